import { TimefsError } from '../model/errors.js';

/** A commander option parser that accepts an integer (within optional bounds) or throws a usage error naming the option. */
export function integerOption(name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new TimefsError('usage', `${name} must be an integer from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}
