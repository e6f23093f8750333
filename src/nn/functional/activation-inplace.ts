// How nn.functional's activations run with `inplace`: PyTorch's two kinds of in-place activation
// (those whose backward reads the result, and those that keep a copy of the input), with the
// version-counter checks autograd makes. Internal to nn.functional; depends on src/ops and
// src/tensor only.

import { AutogradError } from "../../core/errors.ts";
import { inplace } from "../../ops/elementwise.ts";
import { needsGrad, record } from "../../tensor/autograd.ts";
import { noGrad } from "../../tensor/graph.ts";
import type { Tensor } from "../../tensor/tensor.ts";

/**
 * Writes `forward(x)` into `x` and returns `x`, for activations whose PyTorch backward reads only
 * the result (relu_, elu_, celu_, selu_, leaky_relu_, rrelu_): the node saves `x` itself after
 * the write, so a later in-place change of `x` makes backward throw, as in PyTorch.
 * `backward(g, result)` is the input gradient; `node` is PyTorch's name (`EluBackward1`).
 * Leaves and views that require grad go through ops' `inplace`, which refuses them as PyTorch does.
 */
export function inplaceSavingResult(
  x: Tensor,
  op: string,
  node: string,
  forward: (x: Tensor) => Tensor,
  backward: (g: Tensor, result: Tensor) => Tensor,
): Tensor {
  const grad = needsGrad(x);
  if (grad && (x.isLeaf || x.base !== null)) return inplace(x, op, forward, []);
  noGrad(() => inplace(x, op, forward, []));
  if (!grad) return x;
  return record(x, node, [x], (g) => [backward(g, x)], [x]);
}

/**
 * Writes `forward(x)` into `x` and returns `x`, for activations whose PyTorch backward reads the
 * input (hardtanh_, threshold_, hardswish_, hardsigmoid_, silu_, mish_): `forward` runs on a copy
 * of `x`, so what it saves is untouched by the write. `node`, when given, renames the recorded
 * node to PyTorch's in-place name (`ThresholdBackward1`).
 */
export function inplaceKeepingInput(
  x: Tensor,
  op: string,
  forward: (x: Tensor) => Tensor,
  node?: string,
): Tensor {
  const out = inplace(x, op, forward, []);
  if (node !== undefined && needsGrad(out)) out.gradFn?.rename(node);
  return out;
}

/**
 * PyTorch refuses the backward of an in-place activation whose negative part has a negative
 * slope (the result no longer tells the sign of the input); `what` is "elu" or "leakyReLu".
 */
export function checkNonNegativeSlope(what: "elu" | "leakyReLu", slope: number): void {
  if (slope < 0) {
    throw new AutogradError(
      `In-place ${what} backward calculation is triggered with a negative slope which is not ` +
        "supported. This is caused by calling in-place forward function with a negative slope, " +
        "please call out-of-place version instead.",
    );
  }
}
