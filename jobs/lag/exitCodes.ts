import type { LagStatus } from './burrowEvaluator.js';
import { lagErrorCodes, type LagErrorCode } from './lagErrors.js';

/**
 * Exit codes of `reelstream lag --alert` (docs/lag.md). Errors use 3 and 4 in every mode; 5 is a
 * usage or configuration mistake.
 */
export const exitCodes = {
  ok: 0,
  warn: 1,
  err: 2,
  groupNotFound: 3,
  unreachable: 4,
  usage: 5,
} as const;

export function exitCodeForStatus(status: LagStatus): number {
  switch (status) {
    case 'OK':
      return exitCodes.ok;
    case 'WARN':
      return exitCodes.warn;
    case 'ERR':
      return exitCodes.err;
  }
}

export function exitCodeForError(code: LagErrorCode): number {
  switch (code) {
    case lagErrorCodes.groupNotFound:
      return exitCodes.groupNotFound;
    case lagErrorCodes.unreachable:
    case lagErrorCodes.notAuthorized:
      return exitCodes.unreachable;
  }
}
