import { delimitedLines, intField, textField } from './delimitedLines.js';
import { MovieLensFormatError } from './movieLensErrors.js';
import type { MovieLensUser } from './movieLensTypes.js';

/** Parses `u.user`: `user_id|age|gender|occupation|zip_code`, no header. */
export function parseUsers(text: string, file = 'u.user'): Map<number, MovieLensUser> {
  const users = new Map<number, MovieLensUser>();
  for (const line of delimitedLines(text, { file, separator: '|', minFields: 5 })) {
    const userId = intField(line, 0, { name: 'user_id', min: 1, max: 2 ** 31 - 1 });
    const gender = textField(line, 2, 'gender');
    if (gender !== 'M' && gender !== 'F') {
      throw new MovieLensFormatError(
        { file, line: line.line },
        `gender must be M or F, got "${gender}"`,
      );
    }
    if (users.has(userId)) {
      throw new MovieLensFormatError({ file, line: line.line }, `user ${userId} listed twice`);
    }
    users.set(userId, {
      userId,
      age: intField(line, 1, { name: 'age', min: 0, max: 150 }),
      gender,
      occupation: textField(line, 3, 'occupation'),
      zipCode: textField(line, 4, 'zip_code').trim(),
    });
  }
  return users;
}
