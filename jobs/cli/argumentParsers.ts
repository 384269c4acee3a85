import { InvalidArgumentError } from 'commander';

/**
 * Parsers of the commands' numeric options, for commander's `.option(…, parser)`: a bad value
 * is refused with what was expected, and commander exits with it as a usage error.
 */

/** A whole number above zero, small enough to be exact. */
export function positiveInt(raw: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`"${raw}" is not a positive integer`);
  }
  return value;
}

/** A parser of whole numbers from `min` to `max`; `what` names the value in the refusal. */
export function integerBetween(min: number, max: number, what: string): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`"${raw}" is not ${what} from ${min} to ${max}`);
    }
    return value;
  };
}
