import type { MovieLensUser } from './movieLensTypes.js';

/**
 * The one market every replayed video is served in and every replayed user requests from.
 * MovieLens was one US web site; `u.item` says nothing about where a movie is offered, so the
 * catalogue has a single region and popular-in-region means popular on MovieLens.
 */
export const movieLensRegion = 'us';

/** A replayed user as a recommendation request describes them (there is no user-profile topic). */
export interface MovieLensUserProfile {
  /** Region for `RecommendationRequest.region`: always {@link movieLensRegion}. */
  readonly region: string;
  /** Finer location from the postal code; see {@link areaOfZip}. */
  readonly area: string;
  /** Age band: `<18`, `18-24`, `25-34`, `35-44`, `45-54`, `55+`. */
  readonly ageBand: string;
  readonly gender: 'M' | 'F';
  readonly occupation: string;
}

/** The profile of a MovieLens user (`u.user` row). */
export function movieLensUserProfile(user: MovieLensUser): MovieLensUserProfile {
  return {
    region: movieLensRegion,
    area: areaOfZip(user.zipCode),
    ageBand: ageBand(user.age),
    gender: user.gender,
    occupation: user.occupation,
  };
}

/**
 * Area of a `u.user` postal code. A 5-digit US ZIP code maps by its first digit (the USPS
 * national area) to a coarse census-like area: 0–1 `us-northeast`, 2–3 `us-southeast`, 4–6
 * `us-midwest`, 7 `us-south`, 8–9 `us-west`. A letter-digit-letter code is a Canadian postal
 * code (`T8H1N`): `ca`. Anything else: `unknown`.
 */
export function areaOfZip(zipCode: string): string {
  const zip = zipCode.trim();
  if (/^\d{5}$/.test(zip)) {
    return usAreas[Number(zip[0])] ?? 'unknown';
  }
  return /^[A-Za-z]\d[A-Za-z]/.test(zip) ? 'ca' : 'unknown';
}

const usAreas = [
  'us-northeast',
  'us-northeast',
  'us-southeast',
  'us-southeast',
  'us-midwest',
  'us-midwest',
  'us-midwest',
  'us-south',
  'us-west',
  'us-west',
];

function ageBand(age: number): string {
  if (age < 18) {
    return '<18';
  }
  const bands: readonly [number, string][] = [
    [25, '18-24'],
    [35, '25-34'],
    [45, '35-44'],
    [55, '45-54'],
  ];
  return bands.find(([below]) => age < below)?.[1] ?? '55+';
}
