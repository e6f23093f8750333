// Argument pieces and hyperparameter checks shared by the optimizers added for PyTorch 1.13
// parity (NAdam, RAdam, Adamax, ASGD, Rprop, SparseAdam, LBFGS): PyTorch's own error texts
// ("Invalid learning rate: -1"), prefixed with the optimizer's name. Depends on core only.

import { custom } from "../core/args.ts";
import { ValueError } from "../core/errors.ts";

/** A `(a, b)` tuple argument (betas, etas, stepSizes): an array of two numbers. */
export const pair = custom(
  "an array of 2 numbers",
  (v): v is [number, number] =>
    Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "number"),
);

/** Throws `${name}: ${message}${where}` as a ValueError unless `ok`, as PyTorch's `raise ValueError`. */
export function ensure(name: string, ok: boolean, message: string, where: string): void {
  if (!ok) throw new ValueError(`${name}: ${message}${where}`);
}

/** PyTorch's `0.0 <= lr` check: "Invalid learning rate: -1". */
export function checkTorchLr(name: string, lr: unknown, where: string, strict = false): void {
  const ok = typeof lr === "number" && (strict ? lr > 0 : lr >= 0);
  ensure(name, ok, `Invalid learning rate: ${String(lr)}`, where);
}

/** PyTorch's checks of eps, betas and weight_decay (each only when present in `o`). */
export function checkTorchAdamLike(
  name: string,
  o: { eps?: number; betas?: readonly number[]; weightDecay?: number },
  where: string,
  strictEps = false,
): void {
  if (o.eps !== undefined) {
    const ok = strictEps ? o.eps > 0 : o.eps >= 0;
    ensure(name, ok, `Invalid epsilon value: ${o.eps}`, where);
  }
  if (o.betas !== undefined) {
    ensure(
      name,
      Array.isArray(o.betas) && o.betas.length === 2,
      "betas must be [beta1, beta2]",
      where,
    );
    o.betas.forEach((b, i) => {
      ensure(name, b >= 0 && b < 1, `Invalid beta parameter at index ${i}: ${b}`, where);
    });
  }
  if (o.weightDecay !== undefined) {
    ensure(name, o.weightDecay >= 0, `Invalid weight_decay value: ${o.weightDecay}`, where);
  }
}
