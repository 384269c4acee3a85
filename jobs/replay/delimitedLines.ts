import { MovieLensFormatError } from './movieLensErrors.js';

/** One non-blank line of a MovieLens file, split on its separator, with its 1-based number. */
export interface DelimitedLine {
  readonly file: string;
  readonly line: number;
  readonly fields: readonly string[];
}

/**
 * Splits a MovieLens file into lines of fields. Blank lines are skipped (`u.genre` ends with
 * one); `\r\n` endings are accepted. A line with fewer than `minFields` fields is an error
 * naming the file and line.
 */
export function delimitedLines(
  text: string,
  format: { file: string; separator: string; minFields: number },
): DelimitedLine[] {
  const lines: DelimitedLine[] = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const content = (raw[i] ?? '').replace(/\r$/, '');
    if (content.trim() === '') {
      continue;
    }
    const fields = content.split(format.separator);
    if (fields.length < format.minFields) {
      throw new MovieLensFormatError(
        { file: format.file, line: i + 1 },
        `expected at least ${format.minFields} ${describe(format.separator)}-separated fields, found ${fields.length}`,
      );
    }
    lines.push({ file: format.file, line: i + 1, fields });
  }
  return lines;
}

/** The field at `index` as an integer in [min, max]; an error naming file, line and column otherwise. */
export function intField(
  line: DelimitedLine,
  index: number,
  range: { name: string; min: number; max: number },
): number {
  const raw = textField(line, index, range.name).trim();
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw) || value < range.min || value > range.max) {
    throw new MovieLensFormatError(
      { file: line.file, line: line.line },
      `${range.name} must be an integer in ${range.min}..${range.max}, got "${raw}"`,
    );
  }
  return value;
}

/** The field at `index`, as written. */
export function textField(line: DelimitedLine, index: number, name: string): string {
  const value = line.fields[index];
  if (value === undefined) {
    throw new MovieLensFormatError({ file: line.file, line: line.line }, `${name} is missing`);
  }
  return value;
}

function describe(separator: string): string {
  return separator === '\t' ? 'tab' : `"${separator}"`;
}
