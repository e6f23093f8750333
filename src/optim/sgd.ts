// SGD with momentum, dampening, Nesterov momentum, weight decay and maximize, as torch.optim.SGD.
// The update math is the plain function `sgd()`; the class only gathers tensors and state.

import {
  bool,
  checkArity,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  unchecked,
  type WithOptions,
} from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import { empty, fusedKernels } from "../ops/dispatch.ts";
import { noGrad } from "../tensor/graph.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { checkLr, checkNonNegative, Optimizer, type Params } from "./optimizer.ts";

/**
 * Options of SGD; defaults momentum 0, dampening 0, weightDecay 0, nesterov false, maximize false,
 * and no default lr, as torch.optim.SGD.
 */
export interface SGDOptions {
  /** Learning rate; required (as in PyTorch) unless every param group sets its own. */
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
  /** Accepted for PyTorch parity; no effect (each backend picks its own multi-tensor path). */
  foreach?: boolean | null;
  /** Only false: Kiln's optimizer steps are not differentiable. */
  differentiable?: false;
}

/** torch.optim.SGD's signature: params, lr, momentum, dampening, weight_decay, nesterov, *, ... */
const SGD_SIG = signature(
  "SGD",
  {
    params: unchecked,
    lr: opt(num),
    momentum: opt(num, 0),
    dampening: opt(num, 0),
    weightDecay: opt(num, 0),
    nesterov: opt(bool, false),
  },
  {
    maximize: opt(bool, false),
    foreach: opt(nullable(bool), null),
    differentiable: opt(oneOf(false), false),
  },
);

/** The hyperparameters of one SGD update, as a param group keeps them. */
export interface SGDUpdate {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/**
 * The SGD update, in place on `params` (PyTorch 1.13's `_single_tensor_sgd`):
 * g ← ±grad + λθ; b ← g on the first step, else μb + (1-τ)g; g ← g + μb (Nesterov) or b;
 * θ ← θ - γg. New momentum buffers are written into `momentumBuffers`.
 */
export function sgd(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  momentumBuffers: (Tensor | null)[],
  o: SGDUpdate,
): void {
  if (arguments.length > 4) checkArity("optim.sgd", arguments, 4);
  const fused = fusedKernels();
  const many = fused?.sgdMany;
  // Fusable parameters are gathered for one multi-tensor call, flushed before any parameter
  // that composes so that updates keep their order.
  const ps: Float32Array[] = [];
  const gs: Float32Array[] = [];
  const bs: (Float32Array | null)[] = [];
  const firsts: boolean[] = [];
  const flush = (): void => {
    if (ps.length === 0) return;
    many!(ps, gs, bs, firsts, o);
    ps.length = gs.length = bs.length = firsts.length = 0;
  };
  noGrad(() => {
    params.forEach((param, i) => {
      if (many !== undefined && sgdFusable(param, grads[i]!, momentumBuffers[i] ?? null)) {
        const first = o.momentum !== 0 && (momentumBuffers[i] ?? null) === null;
        let buf: Tensor | null = null;
        if (o.momentum !== 0) {
          buf = first ? empty(param.shape, "float32") : momentumBuffers[i]!;
          momentumBuffers[i] = buf;
          if (!first) buf.storage.version++;
        }
        ps.push(f32(param));
        gs.push(f32(grads[i]!));
        bs.push(buf === null ? null : f32(buf));
        firsts.push(first);
        param.storage.version++;
        return;
      }
      flush();
      let dp = o.maximize ? grads[i]!.neg() : grads[i]!;
      if (o.weightDecay !== 0) dp = dp.add(param, { alpha: o.weightDecay });
      if (o.momentum !== 0) {
        let buf = momentumBuffers[i] ?? null;
        if (buf === null) {
          // NOTE: the first step copies the gradient into the buffer, without dampening.
          buf = dp.clone().detach();
          momentumBuffers[i] = buf;
        } else {
          buf.mul_(o.momentum).add_(dp, { alpha: 1 - o.dampening });
        }
        dp = o.nesterov ? dp.add(buf, { alpha: o.momentum }) : buf;
      }
      param.add_(dp, { alpha: -o.lr });
    });
    flush();
  });
}

/** The storage of a contiguous float32 tensor from its first element. */
export function f32(t: Tensor): Float32Array {
  const d = t.storage.data as Float32Array;
  return t.offset === 0 ? d : d.subarray(t.offset);
}

/** Whether the fused update applies: contiguous float32 tensors of one shape. */
export function fusableUpdate(param: Tensor, ...others: (Tensor | null)[]): boolean {
  if (param.dtype !== "float32" || !param.isContiguous()) return false;
  const n = param.numel();
  for (const t of others) {
    if (t !== null && (t.dtype !== "float32" || !t.isContiguous() || t.numel() !== n)) return false;
  }
  return true;
}

function sgdFusable(param: Tensor, grad: Tensor, buf: Tensor | null): boolean {
  return fusableUpdate(param, grad, buf);
}

/**
 * Stochastic gradient descent (optionally with momentum), as torch.optim.SGD; arguments in
 * PyTorch's order (lr, momentum, dampening, weightDecay, nesterov), positional or as options, and
 * the keyword-only maximize, foreach, differentiable as options.
 * Defaults: momentum 0, dampening 0, weightDecay 0, nesterov false, maximize false; lr is required.
 * State per parameter: `momentum_buffer` (null until momentum is used).
 *
 * @example const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
 * @example const opt = new optim.SGD(model.parameters(), 0.01, 0.9);  // the same
 */
export class SGD extends Optimizer<SGDUpdate> {
  /**
   * Creates the optimizer over `params` (tensors or param groups); lr and the other hyperparameters
   * follow in PyTorch's order, positional or as options.
   */
  constructor(
    params: Params<SGDUpdate>,
    ...rest: WithOptions<
      [lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: boolean],
      SGDOptions
    >
  ) {
    const o = parseArgs(SGD_SIG, [params, ...rest]);
    super("SGD", params, {
      lr: o.lr as number,
      momentum: o.momentum,
      dampening: o.dampening,
      weightDecay: o.weightDecay,
      nesterov: o.nesterov,
      maximize: o.maximize,
    });
  }

  protected override validate(o: Partial<SGDUpdate>, where: string): void {
    // The defaults may leave lr out when every group sets it; each group is checked on its own.
    if (!(where === "" && o.lr === undefined)) checkLr(this.name, o.lr, where);
    checkNonNegative(this.name, "momentum", o.momentum, where);
    checkNonNegative(this.name, "weightDecay", o.weightDecay, where);
    if (o.nesterov && (!((o.momentum ?? 0) > 0) || (o.dampening ?? 0) !== 0)) {
      throw new ValueError(
        `SGD: Nesterov momentum requires a momentum and zero dampening${where} ` +
          `(got momentum=${o.momentum}, dampening=${o.dampening})`,
      );
    }
  }

  override step(closure?: () => Tensor | number): Tensor | number | undefined {
    const loss = this.evalClosure(closure);
    for (const group of this.paramGroups) {
      const params: Tensor[] = [];
      const grads: Tensor[] = [];
      const bufs: (Tensor | null)[] = [];
      for (const p of group.params) {
        const grad = p.peekGrad();
        if (grad === null) continue;
        params.push(p);
        grads.push(grad);
        bufs.push((this.state.get(p)?.momentum_buffer as Tensor | null | undefined) ?? null);
      }
      sgd(params, grads, bufs, group);
      params.forEach((p, i) => {
        this.stateOf(p).momentum_buffer = bufs[i]!;
      });
    }
    return loss;
  }
}
