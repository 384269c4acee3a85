import { errorCodes, ReelstreamError } from '../../operators/index.js';

/**
 * A MovieLens folder that cannot be read: missing, or a file not in the MovieLens-100K format.
 * `file` and `line` (1-based, when the problem is on one line) say where; the message repeats
 * them so the CLI's one-line error is enough to find the problem.
 */
export class MovieLensFormatError extends ReelstreamError {
  override readonly name = 'MovieLensFormatError';
  readonly file: string;
  readonly line: number | undefined;

  constructor(location: { file: string; line?: number }, problem: string) {
    const where = location.line === undefined ? location.file : `${location.file}:${location.line}`;
    super(errorCodes.invalidConfig, `${where}: ${problem}`);
    this.file = location.file;
    this.line = location.line;
  }
}
