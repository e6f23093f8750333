// nn.utils.weightNorm / removeWeightNorm: PyTorch 1.13's hook-based weight normalisation. The
// parameter `name` is replaced by `name_g` (magnitude) and `name_v` (direction) and recomputed
// as v · g/‖v‖ by a forward pre-hook before each `call`. Depends on Module and Tensor ops only.

import {
  instanceOf,
  int,
  nullable,
  opt,
  parseArgs,
  signature,
  str,
  type WithOptions,
} from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import { noGrad } from "../tensor/graph.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { type AnyModule, Module, type RemovableHandle } from "./module.ts";
import { Parameter } from "./parameter.ts";

/**
 * The parameters the weight- and spectral-norm functions start with: `(module, name = "weight")`
 * (all of removeWeightNorm's and removeSpectralNorm's).
 */
export const REPARAM_ARGS = {
  module: instanceOf(Module, "an nn.Module"),
  name: opt(str, "weight"),
};

const WEIGHT_NORM = signature("weightNorm", { ...REPARAM_ARGS, dim: opt(nullable(int), 0) });
const REMOVE = signature("removeWeightNorm", REPARAM_ARGS);

/**
 * The 2-norm of `v` over every dim but `dim`, kept as size-1 dims (dim −1: over all of v, a 0-d
 * tensor), as torch.norm_except_dim(v, 2, dim).
 */
export function normExceptDim(v: Tensor, dim: number): Tensor {
  if (dim === -1) return v.pow(2).sum().sqrt();
  const d = dim < 0 ? dim + v.ndim : dim;
  if (d < 0 || d >= v.ndim)
    throw new ValueError(`weightNorm: dim ${dim} is out of range for a ${v.ndim}-D weight`);
  const others = v.shape.map((_, i) => i).filter((i) => i !== d);
  if (others.length === 0) return v.abs();
  return v.pow(2).sum(others, true).sqrt();
}

interface Hooked {
  dim: number;
  handle: RemovableHandle;
}

const hooks = new WeakMap<AnyModule, Map<string, Hooked>>();

function compute(module: AnyModule, name: string, dim: number): Tensor {
  const g = Reflect.get(module, `${name}_g`) as Tensor;
  const v = Reflect.get(module, `${name}_v`) as Tensor;
  return v.mul(g.div(normExceptDim(v, dim)));
}

function ownParameter(op: string, module: AnyModule, name: string): Parameter {
  const p = module.namedParameters({ recurse: false }).find(([n]) => n === name)?.[1];
  if (p === undefined)
    throw new ValueError(`${op}: ${module.constructor.name} has no parameter named "${name}"`);
  return p;
}

/**
 * Reparametrises `module[name]` as `name_g · name_v / ‖name_v‖` (the norm over every dim but
 * `dim`; dim null or −1: over the whole tensor) and returns the module, as PyTorch 1.13's
 * torch.nn.utils.weight_norm(module, name='weight', dim=0). The parameter `name` is removed,
 * `name_g` (the norms, shape of `normExceptDim`) and `name_v` (the old weight) are registered
 * after the others, and a forward pre-hook recomputes `module[name]` before each `call`.
 *
 * @example const fc = nn.utils.weightNorm(new nn.Linear(20, 40)); fc.stateDict(); // bias, weight_g, weight_v
 */
export function weightNorm<M extends AnyModule>(
  module: M,
  ...rest: WithOptions<[name: string, dim: number | null], { name?: string; dim?: number | null }>
): M {
  const o = parseArgs(WEIGHT_NORM, [module, ...rest]);
  const name = o.name;
  const dim = o.dim ?? -1;
  const mine = hooks.get(module) ?? new Map<string, Hooked>();
  if (mine.has(name))
    throw new ValueError(
      `weightNorm: Cannot register two weight_norm hooks on the same parameter ${name}`,
    );
  const weight = ownParameter("weightNorm", module, name);
  const g = noGrad(() => normExceptDim(weight.detach(), dim));
  Reflect.deleteProperty(module, name);
  module.registerParameter(`${name}_g`, new Parameter(g));
  module.registerParameter(`${name}_v`, new Parameter(weight.detach()));
  Reflect.set(module, name, compute(module, name, dim));
  const handle = module.registerForwardPreHook((m) => {
    Reflect.set(m, name, compute(m, name, dim));
    return undefined;
  });
  mine.set(name, { dim, handle });
  hooks.set(module, mine);
  return module;
}

/**
 * Undoes `weightNorm`: `module[name]` becomes a Parameter again holding g · v/‖v‖, `name_g` and
 * `name_v` are removed, and the module is returned, as torch.nn.utils.remove_weight_norm(module,
 * name='weight'). Throws a ValueError when `name` is not weight-normalised.
 */
export function removeWeightNorm<M extends AnyModule>(
  module: M,
  ...rest: WithOptions<[name: string], { name?: string }>
): M {
  const { name } = parseArgs(REMOVE, [module, ...rest]);
  const h = hooks.get(module)?.get(name);
  if (h === undefined)
    throw new ValueError(`removeWeightNorm: weight_norm of '${name}' not found in ${module}`);
  const w = noGrad(() => compute(module, name, h.dim));
  Reflect.deleteProperty(module, name);
  Reflect.deleteProperty(module, `${name}_g`);
  Reflect.deleteProperty(module, `${name}_v`);
  Reflect.set(module, name, new Parameter(w.detach()));
  h.handle.remove();
  hooks.get(module)!.delete(name);
  return module;
}
