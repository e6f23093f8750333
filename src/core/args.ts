// PyTorch's calling convention for every public constructor and function (shared/API.md, rule 2):
// arguments PyTorch takes positionally are accepted positionally in PyTorch's order, keyword
// arguments go in one trailing options object, and anything not understood throws a ValueError
// naming it. One signature per callable, checked at run time for plain-JavaScript callers.
// Pure functions; depends only on errors.ts.

import { ValueError } from "./errors.ts";

/** One parameter of a signature: how to check a value, and what happens when it is absent. */
export interface Arg<T, Req extends boolean = boolean> {
  /** What a valid value is, for messages: "an int", "a boolean or null". */
  readonly expect: string;
  readonly test: (v: unknown) => boolean;
  readonly required: Req;
  readonly dflt: T | undefined;
  /** Whether a plain object in this parameter's positional slot is the value (not the options). */
  readonly takesRecord: boolean;
  /** @internal The type the check admits; never read at run time. */
  readonly __type?: T;
}

type Spec = Record<string, Arg<unknown>>;

/** The values `parseArgs` returns: required and defaulted parameters are always present. */
export type Parsed<S extends Spec> = {
  [K in keyof S]: S[K] extends Arg<infer T, infer R>
    ? R extends true
      ? T
      : S[K]["dflt"] extends undefined
        ? T | undefined
        : T
    : never;
};

/** A callable's parameters: the positional ones in PyTorch's order, then the keyword-only ones. */
export interface Signature<S extends Spec> {
  readonly op: string;
  readonly positional: readonly string[];
  readonly params: S;
}

/**
 * The argument lists a callable with positional parameters `P` (after its required ones) and
 * keyword options `O` accepts: any prefix of `P`, then optionally `O`.
 *
 * @example constructor(inC: number, outC: number, k: IntOrPair, ...rest: WithOptions<[stride: IntOrPair, padding: Padding], ConvOptions>)
 */
export type WithOptions<P extends readonly unknown[], O> =
  | [...P, O?]
  | (P extends readonly [...infer H, unknown] ? WithOptions<H, O> : never);

function make<T>(expect: string, test: (v: unknown) => boolean, takesRecord = false): Arg<T, true> {
  return { expect, test, required: true, dflt: undefined, takesRecord };
}

/** The parameter `a`, optional; `dflt` is used when it is absent (undefined counts as absent). */
export function opt<T, D extends T | undefined = undefined>(
  a: Arg<T>,
  dflt?: D,
): Arg<T, false> & { readonly dflt: D } {
  return { ...a, required: false, dflt: dflt as D };
}

const isInt = (v: unknown): v is number => Number.isInteger(v);

export const int: Arg<number, true> = make("an int", isInt);
/** Any number but NaN (infinities allowed: `normType: Infinity`, `maxVal: Infinity`). */
export const num: Arg<number, true> = make(
  "a number",
  (v) => typeof v === "number" && !Number.isNaN(v),
);
export const bool: Arg<boolean, true> = make("a boolean", (v) => typeof v === "boolean");
export const str: Arg<string, true> = make("a string", (v) => typeof v === "string");
export const func: Arg<(...a: never[]) => unknown, true> = make(
  "a function",
  (v) => typeof v === "function",
);
/** Any value: the callee checks it itself (a dataset, an optimizer, a nested value to save). */
export const unchecked: Arg<unknown, true> = make("a value", () => true, true);

/** One of the given literals (`oneOf("mean", "sum", "none")`). */
export function oneOf<const L extends readonly (string | number | boolean)[]>(
  ...values: L
): Arg<L[number], true> {
  const shown = values.map((v) => JSON.stringify(v)).join(", ");
  return make(`one of ${shown}`, (v) => values.includes(v as L[number]));
}

/** An int, or an array of `n` ints, as PyTorch's `_size_n_t` arguments (`kernel_size=3` or `(3, 3)`). */
export function ints(n: number): Arg<number | readonly number[], true> {
  return make(
    `an int or a tuple of ${n} ints`,
    (v) => isInt(v) || (Array.isArray(v) && v.length === n && v.every(isInt)),
  );
}

/** An array whose every element passes `a` (`arrayOf(int)`: a shape). */
export function arrayOf<T>(a: Arg<T>): Arg<readonly T[], true> {
  return make(`an array of ${plural(a.expect)}`, (v) => Array.isArray(v) && v.every(a.test));
}

/** An instance of `cls` (`instanceOf(Tensor, "a Tensor")`). */
export function instanceOf<T>(cls: abstract new (...a: never) => T, expect: string): Arg<T, true> {
  return make(expect, (v) => v instanceof cls);
}

/** A value that passes any of `parts` (`either(int, oneOf("same", "valid"))`). */
export function either<A extends Arg<unknown>[]>(
  ...parts: A
): Arg<A[number] extends Arg<infer T> ? T : never, true> {
  return make(
    parts.map((p) => p.expect).join(" or "),
    (v) => parts.some((p) => p.test(v)),
    parts.some((p) => p.takesRecord),
  );
}

/** `a`, or null (PyTorch's `Optional[...]` = None). */
export function nullable<T>(a: Arg<T>): Arg<T | null, true> {
  return make(`${a.expect} or null`, (v) => v === null || a.test(v), a.takesRecord);
}

/** A parameter whose value may be a plain object (a record), which then is not the options. */
export function record<T extends object>(
  expect: string,
  test: (v: unknown) => boolean,
): Arg<T, true> {
  return make(expect, test, true);
}

/** A check with a custom predicate (`custom("a positive int", (v) => isInt(v) && v > 0)`). */
export function custom<T>(expect: string, test: (v: unknown) => v is T): Arg<T, true> {
  return make(expect, test);
}

function plural(expect: string): string {
  return expect.replace(/^an? /, "") + (expect.endsWith("s") ? "" : "s");
}

/**
 * The signature of `op`: `positional` lists the parameters PyTorch takes positionally, in its
 * order (object key order), `keywordOnly` those after PyTorch's `*`.
 */
export function signature<P extends Spec, K extends Spec = Record<never, never>>(
  op: string,
  positional: P,
  keywordOnly?: K,
): Signature<P & K> {
  return {
    op,
    positional: Object.keys(positional),
    params: { ...positional, ...(keywordOnly ?? {}) } as P & K,
  };
}

/** Whether `v` is a plain object literal (`{ ... }` or `Object.create(null)`): an options bag. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** How a value looks in a message: `"abc" (string)`, `[object Foo]`, `3`. */
export function showValue(v: unknown): string {
  if (typeof v === "string")
    return `${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)} (string)`;
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined)
    return String(v);
  if (typeof v === "bigint") return `${v}n (bigint)`;
  if (typeof v === "function") return `a function${v.name ? ` ${v.name}` : ""}`;
  if (Array.isArray(v)) {
    const s = JSON.stringify(v);
    return s !== undefined && s.length <= 40 ? s : `an array of length ${v.length}`;
  }
  const name = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor
    ?.name;
  if (name === undefined || name === "Object") {
    const keys = Object.keys(v as object);
    return `an object with keys {${keys.slice(0, 6).join(", ")}${keys.length > 6 ? ", …" : ""}}`;
  }
  return `a ${name}`;
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function unknownOption(sig: Signature<Spec>, key: string): ValueError {
  const known = Object.keys(sig.params);
  const c = camel(key).toLowerCase();
  const near = known.find((k) => k.toLowerCase() === c);
  const hint =
    near !== undefined
      ? ` (did you mean "${near}"? Kiln's option names are PyTorch's in camelCase)`
      : "";
  return new ValueError(
    `${sig.op}: unknown option "${key}"${hint}; ${known.length === 0 ? "it takes no options" : `expected one of ${known.join(", ")}`}`,
  );
}

/**
 * Binds `args` to `sig` as Python binds a call: positional values in order, then the trailing
 * options object by name. Throws a ValueError naming an extra positional argument, an unknown
 * option, one given twice, a missing required one, or a value of the wrong type.
 */
export function parseArgs<S extends Spec>(sig: Signature<S>, args: ArrayLike<unknown>): Parsed<S> {
  const { op, positional, params } = sig;
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  let options: Record<string, unknown> | null = null;
  if (n > 0) {
    const last = args[n - 1];
    const slot = n - 1 < positional.length ? params[positional[n - 1]!]! : null;
    if (isPlainObject(last) && !(slot?.takesRecord ?? false)) {
      options = last;
      n--;
    }
  }
  if (n > positional.length) {
    const names = positional.length === 0 ? "none" : positional.join(", ");
    throw new ValueError(
      `${op}: takes ${positional.length} positional argument${positional.length === 1 ? "" : "s"} (${names}) but ${n} were given; the extra one is ${showValue(args[positional.length])}${options === null ? " (keyword arguments go in one trailing options object)" : ""}`,
    );
  }
  const out: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const v = args[i];
    if (v !== undefined) out[positional[i]!] = v;
  }
  if (options !== null) {
    for (const key of Object.keys(options)) {
      const v = options[key];
      if (!Object.hasOwn(params, key)) throw unknownOption(sig as Signature<Spec>, key);
      if (v === undefined) continue;
      if (Object.hasOwn(out, key)) {
        throw new ValueError(
          `${op}: got multiple values for argument "${key}" (positionally and in the options)`,
        );
      }
      out[key] = v;
    }
  }
  for (const name in params) {
    const a = params[name]!;
    const v = out[name];
    if (v === undefined) {
      if (a.required) throw new ValueError(`${op}: missing required argument "${name}"`);
      out[name] = a.dflt;
    } else if (!a.test(v)) {
      throw new ValueError(`${op}: argument "${name}" must be ${a.expect}, got ${showValue(v)}`);
    }
  }
  return out as Parsed<S>;
}

/**
 * Checks a trailing options object alone (a callable whose positional parameters are typed and
 * checked by hand): every key known, every value of its type. Returns the options with defaults.
 */
export function parseOptions<S extends Spec>(sig: Signature<S>, options: unknown): Parsed<S> {
  if (options !== undefined && !isPlainObject(options)) {
    throw new ValueError(`${sig.op}: options must be a plain object, got ${showValue(options)}`);
  }
  return parseArgs(sig, options === undefined ? [] : [options]);
}

/** Throws unless at most `max` arguments were passed: the guard of a callable with no options. */
export function checkArity(op: string, args: ArrayLike<unknown>, max: number): void {
  let n = args.length;
  while (n > max && args[n - 1] === undefined) n--;
  if (n > max) {
    throw new ValueError(
      `${op}: takes ${max} argument${max === 1 ? "" : "s"} but ${n} were given; the extra one is ${showValue(args[max])}`,
    );
  }
}
