import { createHash, timingSafeEqual } from 'node:crypto';

import { errorCodes } from '../errors.js';

/** What a request's `Authorization` header amounts to. */
export type Verdict = 'accepted' | 'missing' | 'wrong';

/**
 * Checks `Authorization: Bearer <token>` against the accepted tokens in time that does not
 * depend on how much of a token matched: both sides are hashed first (so their lengths are
 * equal, and a wrong length does not answer sooner) and compared with `timingSafeEqual`, and
 * every accepted token is compared, matched or not.
 */
export class BearerAuth {
  private readonly digests: readonly Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  check(header: string | undefined): Verdict {
    if (!this.enabled) {
      return 'accepted';
    }
    const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
    if (match?.[1] === undefined) {
      return 'missing';
    }
    const offered = digest(match[1]);
    let accepted = false;
    for (const known of this.digests) {
      accepted = timingSafeEqual(known, offered) || accepted;
    }
    return accepted ? 'accepted' : 'wrong';
  }
}

/**
 * The refusal of a request without an accepted token, as RFC 6750 words it: 401 with a
 * `WWW-Authenticate: Bearer` challenge (`error="invalid_token"` when one was offered), and a
 * JSON body that says what to send. The token itself is never echoed.
 */
export function refusal(verdict: Exclude<Verdict, 'accepted'>): {
  status: number;
  headers: Record<string, string>;
  body: { error: string; message: string };
} {
  const realm = 'Bearer realm="reelstream-query"';
  return verdict === 'missing'
    ? {
        status: 401,
        headers: { 'www-authenticate': realm },
        body: {
          error: errorCodes.notAuthorized,
          message:
            'this query endpoint needs "Authorization: Bearer <token>" (the job\'s REELSTREAM_QUERY_TOKEN)',
        },
      }
    : {
        status: 401,
        headers: { 'www-authenticate': `${realm}, error="invalid_token"` },
        body: { error: errorCodes.notAuthorized, message: 'the bearer token is not accepted' },
      };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
