import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { MovieLensFormatError } from './movieLensErrors.js';
import { writeMovieLensFixture } from './movieLensFixture.js';
import { defaultMovieLensDir, loadMovieLens, movieLensAvailable } from './movieLensLoader.js';

const sharedData = await movieLensAvailable();
const skipShared = sharedData ? false : `MovieLens-100K not found in ${defaultMovieLensDir}`;

async function rejectsAt(
  overrides: Record<string, string>,
  expected: { file: string; line?: number; message: RegExp },
): Promise<void> {
  const dir = writeMovieLensFixture(overrides);
  try {
    await assert.rejects(loadMovieLens(dir), (error: unknown) => {
      assert.ok(error instanceof MovieLensFormatError);
      assert.equal(error.file, join(dir, expected.file));
      assert.equal(error.line, expected.line);
      assert.match(error.message, expected.message);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a folder in the MovieLens format loads: ratings in file order, movies, users, genres', async () => {
  const dir = writeMovieLensFixture();
  try {
    const data = await loadMovieLens(dir);
    assert.deepEqual(data.genres, ['unknown', 'Action', 'Adventure', "Children's"]);
    assert.deepEqual(
      data.ratings.map((r) => [r.userId, r.movieId, r.rating, r.timestamp]),
      [
        [1, 2, 5, 100],
        [2, 1, 1, 50],
        [1, 1, 3, 100],
        [2, 3, 4, 200],
      ],
    );
    assert.deepEqual(data.movies.get(2), {
      movieId: 2,
      title: 'GoldenEye (1995)',
      releaseTime: Date.UTC(1995, 0, 1),
      genres: ['Action', 'Adventure'],
    });
    assert.equal(data.movies.get(3)?.releaseTime, undefined);
    assert.deepEqual(data.users.get(2), {
      userId: 2,
      age: 53,
      gender: 'F',
      occupation: 'other',
      zipCode: 'T8H1N',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing folder or file is a clear error', async () => {
  await assert.rejects(loadMovieLens('/nonexistent/movielens'), /no MovieLens folder here/);
  const dir = writeMovieLensFixture();
  rmSync(join(dir, 'u.user'));
  try {
    await assert.rejects(loadMovieLens(dir), /u\.user: file missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed lines are reported with file and line number', async () => {
  await rejectsAt(
    { 'u.data': '1\t2\t5\t100\n\n2\t1\t9\t50\n' },
    { file: 'u.data', line: 3, message: /u\.data:3: rating must be an integer in 1\.\.5, got "9"/ },
  );
  await rejectsAt(
    { 'u.data': '1\t2\t5\t100\n2 1 1 50\n' },
    { file: 'u.data', line: 2, message: /expected at least 4 tab-separated fields, found 1/ },
  );
  await rejectsAt(
    { 'u.data': '1\t2\t5\t100\n7\t1\t1\t50\n' },
    { file: 'u.data', line: 2, message: /user 7 is not in u\.user/ },
  );
  await rejectsAt(
    { 'u.data': '1\t9\t5\t100\n' },
    { file: 'u.data', line: 1, message: /movie 9 is not in u\.item/ },
  );
  await rejectsAt(
    { 'u.item': '1|Toy Story (1995)|1995-01-01||http://x|0|0|0|1\n' },
    { file: 'u.item', line: 1, message: /release_date must look like 01-Jan-1995/ },
  );
  await rejectsAt(
    { 'u.item': '1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0\n' },
    { file: 'u.item', line: 1, message: /expected at least 9 "\|"-separated fields, found 8/ },
  );
  await rejectsAt(
    { 'u.user': '1|24|X|technician|85711\n' },
    { file: 'u.user', line: 1, message: /gender must be M or F/ },
  );
  await rejectsAt(
    { 'u.genre': 'unknown|0\nAction|2\n' },
    { file: 'u.genre', line: 2, message: /genre index 2 out of order/ },
  );
  await rejectsAt({ 'u.data': '\n' }, { file: 'u.data', message: /no ratings/ });
});

test(
  'the shared MovieLens-100K copy: held back before 1998-04-09',
  { skip: skipShared },
  async () => {
    const data = await loadMovieLens(defaultMovieLensDir);
    assert.equal(data.ratings.length, 96_340);
    assert.equal(data.movies.size, 1_682);
    assert.equal(data.users.size, 943);
    assert.equal(data.genres.length, 19);
    const times = data.ratings.map((r) => r.timestamp);
    assert.equal(Math.min(...times), 874_724_710);
    assert.ok(Math.max(...times) < 892_080_000);
    // Accented titles decode from ISO-8859-1.
    assert.ok([...data.movies.values()].some((m) => /[\u00c0-\u00ff]/.test(m.title)));
  },
);
