import assert from 'node:assert/strict';
import { test } from 'node:test';

import { movieLensIds, movieIdOfVideo, userIdOfUser } from './movieLensIds.js';
import { areaOfZip, movieLensUserProfile } from './userProfile.js';

test('postal codes map to areas', () => {
  assert.deepEqual(
    ['01002', '10003', '22903', '30329', '48197', '60402', '75240', '85711', '94043'].map(
      areaOfZip,
    ),
    [
      'us-northeast',
      'us-northeast',
      'us-southeast',
      'us-southeast',
      'us-midwest',
      'us-midwest',
      'us-south',
      'us-west',
      'us-west',
    ],
  );
  assert.equal(areaOfZip('T8H1N'), 'ca');
  assert.equal(areaOfZip('V3N4P'), 'ca');
  assert.equal(areaOfZip('123'), 'unknown');
});

test('a user profile: the one MovieLens region, area, age band', () => {
  assert.deepEqual(
    movieLensUserProfile({
      userId: 1,
      age: 24,
      gender: 'M',
      occupation: 'technician',
      zipCode: '85711',
    }),
    { region: 'us', area: 'us-west', ageBand: '18-24', gender: 'M', occupation: 'technician' },
  );
  const band = (age: number): string =>
    movieLensUserProfile({ userId: 1, age, gender: 'F', occupation: 'x', zipCode: '1' }).ageBand;
  assert.deepEqual([7, 18, 25, 44, 45, 55, 73].map(band), [
    '<18',
    '18-24',
    '25-34',
    '35-44',
    '45-54',
    '55+',
    '55+',
  ]);
});

test('ids round-trip', () => {
  assert.equal(movieIdOfVideo(movieLensIds.video(242)), 242);
  assert.equal(userIdOfUser(movieLensIds.user(196)), 196);
  assert.equal(movieIdOfVideo('video-12'), undefined);
  assert.equal(movieIdOfVideo('ml-m012'), undefined);
});
