import { delimitedLines, intField, textField } from './delimitedLines.js';
import { MovieLensFormatError } from './movieLensErrors.js';

/**
 * Parses `u.genre` (`name|index` per line) into the genre names by index. The indices must be
 * 0, 1, 2, … without gaps: `u.item`'s genre flags are read in that order.
 */
export function parseGenres(text: string, file = 'u.genre'): string[] {
  const genres: string[] = [];
  for (const line of delimitedLines(text, { file, separator: '|', minFields: 2 })) {
    const index = intField(line, 1, { name: 'genre index', min: 0, max: 1000 });
    if (index !== genres.length) {
      throw new MovieLensFormatError(
        { file, line: line.line },
        `genre index ${index} out of order (expected ${genres.length})`,
      );
    }
    genres.push(textField(line, 0, 'genre name'));
  }
  if (genres.length === 0) {
    throw new MovieLensFormatError({ file }, 'no genres');
  }
  return genres;
}
