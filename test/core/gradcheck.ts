// Finite-difference gradient check (torch.autograd.gradcheck's role) for float64 inputs: the
// analytic gradient of L = Σ_k <w_k, f(x)_k> for fixed weights w must match central differences
// of L, element by element of every input that requires grad.

import { noGrad, type Tensor } from "./kiln.ts";

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
}

/** One disagreement between the analytic and the numerical gradient. */
export interface GradMismatch {
  input: number;
  element: number;
  analytic: number;
  numeric: number;
}

function loss(outs: Tensor | Tensor[], weights: readonly (Tensor | null)[]): number {
  const list = Array.isArray(outs) ? outs : [outs];
  let s = 0;
  list.forEach((o, k) => {
    const w = weights[k];
    if (w === null || w === undefined) return;
    s += Number(o.double().mul(w).sum().item());
  });
  return s;
}

/**
 * Compares autograd with central differences for `fn` at `inputs` (contiguous float64 tensors
 * with requiresGrad set on those to check). `weights` holds one upstream gradient per output
 * (null for outputs that are not differentiable). Returns the mismatches, empty when all agree.
 */
export function gradcheck(
  fn: () => Tensor | Tensor[],
  inputs: readonly Tensor[],
  weights: readonly (Tensor | null)[],
  options: GradcheckOptions = {},
): GradMismatch[] {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-6;
  const rtol = options.rtol ?? 1e-5;
  for (const x of inputs) x.grad = null;
  const outs = fn();
  const list = Array.isArray(outs) ? outs : [outs];
  let total: Tensor | null = null;
  list.forEach((o, k) => {
    const w = weights[k];
    if (w === null || w === undefined || !o.requiresGrad) return;
    const term = o.double().mul(w).sum();
    total = total === null ? term : total.add(term);
  });
  if (total === null) throw new Error("gradcheck: no output requires grad");
  (total as Tensor).backward();
  const bad: GradMismatch[] = [];
  inputs.forEach((x, i) => {
    if (!x.requiresGrad) return;
    const data = x.storage.data;
    const analytic = x.grad === null ? null : x.grad.dataSync();
    for (let j = 0; j < x.numel(); j++) {
      const p = x.offset + j;
      const orig = data[p]!;
      data[p] = orig + eps;
      const up = noGrad(() => loss(fn(), weights));
      data[p] = orig - eps;
      const down = noGrad(() => loss(fn(), weights));
      data[p] = orig;
      const numeric = (up - down) / (2 * eps);
      const a = analytic === null ? 0 : analytic[j]!;
      if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
        bad.push({ input: i, element: j, analytic: a, numeric });
      }
    }
  });
  return bad;
}
