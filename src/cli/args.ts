// Argument parsing helpers of the CLI: numbers and choices validated with one clear message,
// and the usage-error type the entry point turns into exit code 2. Imports only the public entry.

import { InvalidArgumentError } from "commander";

/** A bad command line or bad input file: printed as one line with a --help hint, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

function number(value: string, what: string): number {
  const x = Number(value);
  if (value.trim() === "" || !Number.isFinite(x))
    throw new InvalidArgumentError(`expected ${what}, got '${value}'.`);
  return x;
}

/** An integer >= min. */
export function intAtLeast(min: number) {
  return (value: string): number => {
    const x = number(value, "an integer");
    if (!Number.isInteger(x) || x < min)
      throw new InvalidArgumentError(`expected an integer >= ${min}, got '${value}'.`);
    return x;
  };
}

/** A finite number in [min, max] (max may be Infinity), excluding min when `openMin`. */
export function numberIn(min: number, max: number, openMin = false) {
  return (value: string): number => {
    const x = number(value, "a number");
    if (x < min || x > max || (openMin && x === min)) {
      const lo = openMin ? `(${min}` : `[${min}`;
      const hi = max === Number.POSITIVE_INFINITY ? "inf)" : `${max}]`;
      throw new InvalidArgumentError(`expected a number in ${lo}, ${hi}, got '${value}'.`);
    }
    return x;
  };
}
