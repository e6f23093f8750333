// Argument checkers shared by nn's signatures (src/core/args.ts): tensors, reductions, float
// dtypes, and PyTorch parameters Kiln accepts only at their default (deprecated or unsupported
// ones), so that any other value throws a ValueError instead of being ignored.

import { custom, instanceOf, nullable, oneOf, opt } from "../../core/args.ts";
import { Tensor } from "../../tensor/tensor.ts";

/** A Tensor. */
export const tensorArg = instanceOf(Tensor, "a Tensor");
/** An optional Tensor, null by default (PyTorch's `Optional[Tensor] = None`). */
export const optTensor = opt(nullable(tensorArg), null);
/** `reduction`, "mean" by default. */
export const reductionArg = opt(oneOf("none", "mean", "sum"), "mean");
/** A floating dtype for factory options, float32 by default. */
export const floatDtypeArg = opt(oneOf("float32", "float64"), "float32");

/**
 * A parameter PyTorch has that Kiln accepts only as None/null (`size_average`, `reduce`,
 * `max_norm`): `why` says what to use instead.
 */
export function onlyNull(why: string) {
  return opt(custom(`null (${why})`, (v): v is null => v === null));
}

/** A boolean parameter Kiln supports only at `false` (`sparse`): `why` says what to use instead. */
export function onlyFalse(why: string) {
  return opt(
    custom(`false (${why})`, (v): v is false => v === false),
    false,
  );
}
