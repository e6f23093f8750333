// Second-order gradient check (torch.autograd.gradgradcheck's role) in float64: the gradient of
// S = Σ v ⊙ ∂L/∂x, with L = Σ w ⊙ f(x) and the first gradient computed with createGraph, must
// match central differences of S, where S itself is evaluated by a plain first-order backward.

import { autograd, type Tensor } from "../../src/index.ts";

export interface GradGradMismatch {
  input: number;
  element: number;
  analytic: number;
  numeric: number;
}

function firstGrads(
  fn: () => Tensor,
  inputs: readonly Tensor[],
  w: Tensor,
  createGraph: boolean,
): Tensor[] {
  const out = fn();
  const g = autograd.grad([out], inputs, [w], { createGraph, allowUnused: true });
  return g.map((t, i) => t ?? inputs[i]!.mul(0));
}

function second(gs: readonly Tensor[], vs: readonly Tensor[]): Tensor {
  return gs.map((g, i) => g.mul(vs[i]!).sum()).reduce((a, b) => a.add(b));
}

/**
 * Compares the analytic second-order gradient of `fn` at `inputs` (contiguous float64 tensors
 * that require grad) with central differences. `w` weights the output, `vs` the first gradients
 * (deterministic, not all-ones, so every mixed term shows). Returns the mismatches.
 */
export function gradgradcheck(
  fn: () => Tensor,
  inputs: readonly Tensor[],
  w: Tensor,
  vs: readonly Tensor[],
  options: { eps?: number; atol?: number; rtol?: number } = {},
): GradGradMismatch[] {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-4;
  // The output weight w is differentiated too: the first gradient is linear in it.
  const wg = w.detach().clone().requiresGrad_(true);
  const all = [...inputs, wg];
  const s = second(firstGrads(fn, inputs, wg, true), vs);
  const analytic = s.requiresGrad
    ? autograd.grad([s], all, null, { allowUnused: true }).map((t) => t?.dataSync() ?? null)
    : all.map(() => null);
  const value = () => Number(second(firstGrads(fn, inputs, wg, false), vs).item());
  const bad: GradGradMismatch[] = [];
  all.forEach((x, i) => {
    const data = x.storage.data as Float64Array;
    for (let j = 0; j < x.numel(); j++) {
      const p = x.offset + j;
      const orig = data[p]!;
      data[p] = orig + eps;
      const up = value();
      data[p] = orig - eps;
      const down = value();
      data[p] = orig;
      const numeric = (up - down) / (2 * eps);
      const a = analytic[i]?.[j] ?? 0;
      if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
        bad.push({ input: i, element: j, analytic: a, numeric });
      }
    }
  });
  return bad;
}
