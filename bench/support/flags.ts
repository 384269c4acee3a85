import { InvalidArgumentError } from 'commander';

/** commander parser for a positive integer flag; accepts 1_000_000. */
export function positiveInt(value: string): number {
  const parsed = Number(value.replaceAll('_', ''));
  if (!Number.isSafeInteger(parsed) || parsed <= 0) {
    throw new InvalidArgumentError('expected a positive integer');
  }
  return parsed;
}
