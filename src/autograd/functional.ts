// autograd.functional: Jacobians, Hessians and vector products of a function of tensors, as
// torch.autograd.functional, built on autograd.grad (jvp and hvp by the double-backward trick).
// Depends on src/autograd/grad.ts, src/tensor, src/ops and src/core; nothing in nn or above.

import {
  bool,
  custom,
  func,
  nullable,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../core/args.ts";
import { AutogradError, ValueError } from "../core/errors.ts";
import { onesLike, zeros, zerosLike } from "../ops/creation.ts";
import { reshape, stack, view } from "../ops/movement.ts";
import { withGradMode } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor.ts";
import { gradOf } from "./grad.ts";

/** Inputs of the function: one tensor or a list (then results come as lists). */
type In = Tensor | readonly Tensor[];
/** What the differentiated function returns. */
type Out = Tensor | readonly Tensor[];

/** `createGraph` (default false: results leave the graph), `strict` (default false). */
export interface GraphOptions {
  createGraph?: boolean;
  strict?: boolean;
}

/** Options of `vjp`, `jvp`, `vhp`, `hvp`: the vector `v`, plus GraphOptions. */
export interface ProductOptions extends GraphOptions {
  v?: In | null;
}

/**
 * Options of `jacobian` and `hessian`: `createGraph`, `strict` (defaults false), `vectorize`
 * (accepted; Kiln always computes row by row, which gives the same numbers), `strategy` /
 * `outerJacobianStrategy` (only "reverse-mode": Kiln has no forward-mode AD).
 */
export interface JacobianOptions extends GraphOptions {
  vectorize?: boolean;
  strategy?: "reverse-mode" | "forward-mode";
}

/** Options of `hessian` (see JacobianOptions). */
export interface HessianOptions extends GraphOptions {
  vectorize?: boolean;
  outerJacobianStrategy?: "reverse-mode" | "forward-mode";
}

const isIn = (v: unknown): v is In =>
  v instanceof Tensor || (Array.isArray(v) && v.every((t) => t instanceof Tensor));
const inputsArg = custom<In>("a Tensor or an array of Tensors", isIn);
const vArg = opt(nullable(inputsArg), null);
const strategy = opt(oneOf("reverse-mode", "forward-mode"), "reverse-mode");
const product = (op: string) =>
  signature(op, {
    func,
    inputs: inputsArg,
    v: vArg,
    createGraph: opt(bool, false),
    strict: opt(bool, false),
  });
const SIGS = {
  vjp: product("autograd.functional.vjp"),
  jvp: product("autograd.functional.jvp"),
  vhp: product("autograd.functional.vhp"),
  hvp: product("autograd.functional.hvp"),
  jacobian: signature("autograd.functional.jacobian", {
    func,
    inputs: inputsArg,
    createGraph: opt(bool, false),
    strict: opt(bool, false),
    vectorize: opt(bool, false),
    strategy,
  }),
  hessian: signature("autograd.functional.hessian", {
    func,
    inputs: inputsArg,
    createGraph: opt(bool, false),
    strict: opt(bool, false),
    vectorize: opt(bool, false),
    outerJacobianStrategy: strategy,
  }),
};

function list(x: In | Out): Tensor[] {
  return x instanceof Tensor ? [x] : [...x];
}

/**
 * PyTorch's _grad_preprocess: inputs become fresh leaves that require grad, or with createGraph
 * differentiable aliases (so results keep their link to the caller's graph).
 */
function prepare(xs: readonly Tensor[], createGraph: boolean): Tensor[] {
  return xs.map((x) =>
    createGraph && x.requiresGrad
      ? withGradMode(true, () => view(x, x.shape))
      : x.detach().requiresGrad_(true),
  );
}

/** PyTorch's _grad_postprocess: results leave the graph unless createGraph. */
function finish(xs: readonly Tensor[], createGraph: boolean): Tensor[] {
  return createGraph ? [...xs] : xs.map((x) => x.detach());
}

/** Runs the user's function with grad mode on; `many`: it returned a list. */
function call(
  op: string,
  fn: (...a: Tensor[]) => Out,
  xs: readonly Tensor[],
): { outs: Tensor[]; many: boolean } {
  const out = withGradMode(true, () => fn(...xs));
  if (!(out instanceof Tensor) && !(Array.isArray(out) && out.every((t) => t instanceof Tensor))) {
    throw new ValueError(
      `${op}: The function given to ${op.split(".").pop()} should return a Tensor or an array of Tensors`,
    );
  }
  return { outs: list(out), many: Array.isArray(out) };
}

function checkV(op: string, v: In | null, like: readonly Tensor[], what: string): Tensor[] {
  if (v === null) {
    if (like.length !== 1 || like[0]!.numel() !== 1) {
      throw new ValueError(
        `${op}: The vector v can only be None if the ${what} to the user-provided function is a single Tensor with a single element.`,
      );
    }
    return [onesLike(like[0]!)];
  }
  const vs = list(v);
  if (vs.length !== like.length) {
    throw new ValueError(
      `${op}: v is a tuple of invalid length: should be ${like.length} but got ${vs.length}.`,
    );
  }
  vs.forEach((t, i) => {
    if (t.shape.join() !== like[i]!.shape.join()) {
      throw new ValueError(
        `${op}: Entry ${i} in v has invalid size: should be [${like[i]!.shape.join(", ")}] but got [${t.shape.join(", ")}].`,
      );
    }
  });
  return vs;
}

/** Gradients of `outs` w.r.t. `ins` seeded with `gos`; zeros (or an error if strict) for unused inputs. */
function vjpOf(
  op: string,
  outs: readonly Tensor[],
  ins: readonly Tensor[],
  gos: readonly Tensor[],
  createGraph: boolean,
  strict: boolean,
): Tensor[] {
  const diff = outs.map((o, i) => [o, gos[i]!] as const).filter(([o]) => o.requiresGrad);
  const res: (Tensor | null)[] =
    diff.length === 0
      ? ins.map(() => null)
      : gradOf(
          diff.map(([o]) => o),
          ins,
          diff.map(([, g]) => g),
          true,
          createGraph,
          true,
          op,
        );
  return res.map((g, i) => {
    if (g !== null) return g;
    if (strict) {
      throw new AutogradError(
        `${op}: The output of the user-provided function is independent of input ${i}. This is not allowed in strict mode.`,
      );
    }
    return zerosLike(ins[i]!);
  });
}

function shaped<T>(isList: boolean, xs: readonly T[]): T | T[] {
  return isList ? [...xs] : xs[0]!;
}

/**
 * The vector-Jacobian product vᵀ·J of `func` at `inputs`, as torch.autograd.functional.vjp:
 * returns `[outputs, vjp]` (vjp shaped as `inputs`); `v` may be omitted for a scalar output.
 */
export function vjp(
  func: (...xs: Tensor[]) => Out,
  inputs: In,
  ...rest: WithOptions<[v: In | null, createGraph: boolean, strict: boolean], ProductOptions>
): [Out, Tensor | Tensor[]];
export function vjp(..._args: unknown[]): [Out, Tensor | Tensor[]] {
  const op = "autograd.functional.vjp";
  const p = parseArgs(SIGS.vjp, arguments);
  const fn = p.func as (...xs: Tensor[]) => Out;
  const ins = prepare(list(p.inputs), p.createGraph);
  const { outs, many } = call(op, fn, ins);
  const vs = checkV(op, p.v, outs, "output");
  const g = vjpOf(op, outs, ins, vs, p.createGraph, p.strict);
  return [
    shaped(many, finish(outs, p.createGraph)) as Out,
    shaped(Array.isArray(p.inputs), finish(g, p.createGraph)),
  ];
}

/**
 * The Jacobian-vector product J·v of `func` at `inputs` (by the double-backward trick, as
 * PyTorch), as torch.autograd.functional.jvp: returns `[outputs, jvp]` (jvp shaped as outputs).
 */
export function jvp(
  func: (...xs: Tensor[]) => Out,
  inputs: In,
  ...rest: WithOptions<[v: In | null, createGraph: boolean, strict: boolean], ProductOptions>
): [Out, Tensor | Tensor[]];
export function jvp(..._args: unknown[]): [Out, Tensor | Tensor[]] {
  const op = "autograd.functional.jvp";
  const p = parseArgs(SIGS.jvp, arguments);
  const fn = p.func as (...xs: Tensor[]) => Out;
  const ins = prepare(list(p.inputs), p.createGraph);
  const vs = checkV(op, p.v, ins, "input");
  const { outs, many } = call(op, fn, ins);
  // u ↦ uᵀJ is linear in u; differentiating it w.r.t. u in the direction v gives J·v.
  const us = outs.map((o) => zerosLike(o).requiresGrad_(true));
  const gi = vjpOf(op, outs, ins, us, true, p.strict);
  const needed = gi.map((g, i) => [g, vs[i]!] as const).filter(([g]) => g.requiresGrad);
  const res =
    needed.length === 0
      ? us.map(() => null)
      : gradOf(
          needed.map(([g]) => g),
          us,
          needed.map(([, v]) => v),
          true,
          p.createGraph,
          true,
          op,
        );
  const jv = res.map((g, i) => {
    if (g !== null) return g;
    if (p.strict) {
      throw new AutogradError(
        `${op}: The output of the user-provided function is independent of input ${i}. This is not allowed in strict mode.`,
      );
    }
    return zerosLike(outs[i]!);
  });
  return [
    shaped(many, finish(outs, p.createGraph)) as Out,
    shaped(many, finish(jv, p.createGraph)),
  ];
}

/**
 * The Jacobian of `func` at `inputs`, as torch.autograd.functional.jacobian: for one input and
 * one output a tensor of shape `[...out.shape, ...in.shape]`; a list over inputs and/or outputs
 * otherwise (outputs outer). Computed row by row (`vectorize` gives the same numbers).
 */
export function jacobian(
  func: (...xs: Tensor[]) => Out,
  inputs: In,
  ...rest: WithOptions<
    [createGraph: boolean, strict: boolean, vectorize: boolean, strategy: "reverse-mode"],
    JacobianOptions
  >
): Tensor | Tensor[] | Tensor[][];
export function jacobian(..._args: unknown[]): Tensor | Tensor[] | Tensor[][] {
  const op = "autograd.functional.jacobian";
  const p = parseArgs(SIGS.jacobian, arguments);
  if (p.strategy !== "reverse-mode") {
    throw new ValueError(
      `${op}: strategy "${p.strategy}" needs forward-mode AD, which Kiln does not have; use "reverse-mode"`,
    );
  }
  return jacobianOf(op, p.func as (...xs: Tensor[]) => Out, p.inputs, p.createGraph, p.strict);
}

function jacobianOf(
  op: string,
  fn: (...xs: Tensor[]) => Out,
  inputs: In,
  createGraph: boolean,
  strict: boolean,
): Tensor | Tensor[] | Tensor[][] {
  const ins = prepare(list(inputs), createGraph);
  const { outs, many: manyOut } = call(op, fn, ins);
  const table = outs.map((o, oi) => {
    const m = o.numel();
    const rows: Tensor[][] = ins.map(() => []);
    for (let k = 0; k < m; k++) {
      const seed = zeros([m], { dtype: o.dtype });
      (seed.storage.data as Float32Array)[k] = 1;
      const g = o.requiresGrad
        ? gradOf([o], ins, [reshape(seed, o.shape)], true, createGraph, true, op)
        : ins.map(() => null);
      g.forEach((gi, i) => {
        if (gi === null && strict) {
          throw new AutogradError(
            `${op}: Output ${oi} of the user-provided function does not depend on the input ${i}. This is not allowed in strict mode.`,
          );
        }
        rows[i]!.push(gi ?? zerosLike(ins[i]!));
      });
    }
    return ins.map((x, i) => {
      const j = m === 0 ? zeros([...o.shape, ...x.shape], { dtype: x.dtype }) : stack(rows[i]!);
      const r = reshape(j, [...o.shape, ...x.shape]);
      return createGraph ? r : r.detach();
    });
  });
  const manyIn = Array.isArray(inputs);
  if (!manyOut) return shaped(manyIn, table[0]!);
  return manyIn ? table : table.map((r) => r[0]!);
}

/**
 * The Hessian of the scalar function `func` at `inputs`, as torch.autograd.functional.hessian:
 * one input gives a tensor `[...in.shape, ...in.shape]`, several a list of lists.
 */
export function hessian(
  func: (...xs: Tensor[]) => Tensor,
  inputs: In,
  ...rest: WithOptions<
    [
      createGraph: boolean,
      strict: boolean,
      vectorize: boolean,
      outerJacobianStrategy: "reverse-mode",
    ],
    HessianOptions
  >
): Tensor | Tensor[][];
export function hessian(..._args: unknown[]): Tensor | Tensor[][] {
  const op = "autograd.functional.hessian";
  const p = parseArgs(SIGS.hessian, arguments);
  if (p.outerJacobianStrategy !== "reverse-mode") {
    throw new ValueError(
      `${op}: outerJacobianStrategy "${p.outerJacobianStrategy}" needs forward-mode AD, which Kiln does not have`,
    );
  }
  const fn = p.func as (...xs: Tensor[]) => Out;
  const gradFn = (...xs: Tensor[]): Tensor[] => {
    const out = call(op, fn, xs);
    checkScalar(op, "hessian", out);
    return vjpOf(op, out.outs, xs, [onesLike(out.outs[0]!)], true, p.strict);
  };
  // gradFn returns a list (one gradient per input): one input gives a list of one Jacobian.
  const res = jacobianOf(op, gradFn, p.inputs, p.createGraph, p.strict);
  return Array.isArray(p.inputs) ? (res as Tensor[][]) : (res as Tensor[])[0]!;
}

function checkScalar(op: string, which: string, out: { outs: Tensor[]; many: boolean }): void {
  if (out.many || out.outs.length !== 1) {
    throw new ValueError(`${op}: The function given to ${which} should return a single Tensor`);
  }
  if (out.outs[0]!.numel() !== 1) {
    throw new ValueError(
      `${op}: The Tensor returned by the function given to ${which} should contain a single element`,
    );
  }
}

function hessianProduct(
  op: string,
  which: "vhp" | "hvp",
  args: IArguments,
): [Tensor, Tensor | Tensor[]] {
  const p = parseArgs(SIGS[which], args);
  const fn = p.func as (...xs: Tensor[]) => Out;
  const ins = prepare(list(p.inputs), p.createGraph);
  const res0 = call(op, fn, ins);
  checkScalar(op, which, res0);
  const outs = res0.outs;
  const vs = checkV(op, p.v, ins, "input");
  const jac = vjpOf(op, outs, ins, [onesLike(outs[0]!)], true, p.strict);
  let res: Tensor[];
  if (which === "vhp") {
    res = vjpOf(op, jac, ins, vs, p.createGraph, p.strict);
  } else {
    // PyTorch's double-backward trick: the VJP of the gradient with a dummy u is linear in u;
    // its gradient w.r.t. u in the direction v is H·v.
    const us = ins.map((x) => zerosLike(x).requiresGrad_(true));
    const back = vjpOf(op, jac, ins, us, true, p.strict);
    res = vjpOf(op, back, us, vs, p.createGraph, p.strict);
  }
  return [
    finish(outs, p.createGraph)[0]!,
    shaped(Array.isArray(p.inputs), finish(res, p.createGraph)),
  ];
}

/** vᵀ·H of the scalar `func` at `inputs`, as torch.autograd.functional.vhp: `[output, vhp]`. */
export function vhp(
  func: (...xs: Tensor[]) => Tensor,
  inputs: In,
  ...rest: WithOptions<[v: In | null, createGraph: boolean, strict: boolean], ProductOptions>
): [Tensor, Tensor | Tensor[]];
export function vhp(..._args: unknown[]): [Tensor, Tensor | Tensor[]] {
  return hessianProduct("autograd.functional.vhp", "vhp", arguments);
}

/** H·v of the scalar `func` at `inputs`, as torch.autograd.functional.hvp: `[output, hvp]`. */
export function hvp(
  func: (...xs: Tensor[]) => Tensor,
  inputs: In,
  ...rest: WithOptions<[v: In | null, createGraph: boolean, strict: boolean], ProductOptions>
): [Tensor, Tensor | Tensor[]];
export function hvp(..._args: unknown[]): [Tensor, Tensor | Tensor[]] {
  return hessianProduct("autograd.functional.hvp", "hvp", arguments);
}
