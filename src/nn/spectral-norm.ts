// nn.utils.spectralNorm / removeSpectralNorm: PyTorch 1.13's hook-based spectral normalisation.
// `name_orig` holds the parameter, buffers `name_u` and `name_v` the power-iteration vectors, and
// a forward pre-hook sets `module[name] = name_orig / σ` before each `call` (one or more power
// iterations first, in training mode). Depends on Module and Tensor ops only (and weight-norm.ts's
// shared argument list).

import { int, nullable, num, opt, parseArgs, signature, type WithOptions } from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import { randn } from "../ops/creation.ts";
import { noGrad } from "../tensor/graph.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { AnyModule, RemovableHandle } from "./module.ts";
import { Parameter } from "./parameter.ts";
import { REPARAM_ARGS } from "./weight-norm.ts";

const SPECTRAL_NORM = signature("spectralNorm", {
  ...REPARAM_ARGS,
  nPowerIterations: opt(int, 1),
  eps: opt(num, 1e-12),
  dim: opt(nullable(int), null),
});
const REMOVE = signature("removeSpectralNorm", REPARAM_ARGS);

interface Config {
  name: string;
  nPowerIterations: number;
  eps: number;
  dim: number;
  handle: RemovableHandle | null;
}

const hooks = new WeakMap<AnyModule, Map<string, Config>>();

/** `weight` as a matrix `[size(dim), rest]`, dim moved first, as SpectralNorm.reshape_weight_to_matrix. */
function toMatrix(weight: Tensor, dim: number): Tensor {
  let w = weight;
  if (dim !== 0) {
    const order = [dim, ...weight.shape.map((_, i) => i).filter((i) => i !== dim)];
    w = w.permute(order);
  }
  return w.reshape([w.shape[0] ?? 1, -1]);
}

/** x / max(‖x‖₂, eps), as torch.nn.functional.normalize(x, dim=0, eps). */
function normalize(x: Tensor, eps: number): Tensor {
  return x.div(x.pow(2).sum().sqrt().clamp(eps));
}

function get(module: AnyModule, key: string): Tensor {
  return Reflect.get(module, key) as Tensor;
}

/** orig / σ with σ = uᵀ W v, after `powerIteration` rounds of updating u and v in place. */
function compute(module: AnyModule, c: Config, powerIteration: boolean): Tensor {
  const weight = get(module, `${c.name}_orig`);
  let u = get(module, `${c.name}_u`);
  let v = get(module, `${c.name}_v`);
  const mat = toMatrix(weight, c.dim);
  if (powerIteration) {
    noGrad(() => {
      const w = mat.detach();
      for (let i = 0; i < c.nPowerIterations; i++) {
        v.copy_(normalize(w.t().matmul(u), c.eps));
        u.copy_(normalize(w.matmul(v), c.eps));
      }
      // As PyTorch: later in-place updates must not change the tensors this forward reads.
      u = u.clone();
      v = v.clone();
    });
  }
  const sigma = u.mul(mat.matmul(v)).sum();
  return weight.div(sigma);
}

/**
 * Rescales `module[name]` by its largest singular value σ (estimated by power iteration) and
 * returns the module, as PyTorch 1.13's torch.nn.utils.spectral_norm(module, name='weight',
 * n_power_iterations=1, eps=1e-12, dim=None). The parameter becomes `name_orig`; the buffers
 * `name_u` ~ normalize(N(0, 1)) `[size(dim)]` and `name_v` `[numel/size(dim)]` hold the singular
 * vectors; before each `call`, in training mode, u and v take nPowerIterations steps in place,
 * then `module[name] = name_orig / (uᵀ W v)`. dim null is 1 for ConvTranspose layers, else 0.
 *
 * @example const fc = nn.utils.spectralNorm(new nn.Linear(20, 40)); fc.stateDict(); // bias, weight_orig, weight_u, weight_v
 */
export function spectralNorm<M extends AnyModule>(
  module: M,
  ...rest: WithOptions<
    [name: string, nPowerIterations: number, eps: number, dim: number | null],
    { name?: string; nPowerIterations?: number; eps?: number; dim?: number | null }
  >
): M {
  const o = parseArgs(SPECTRAL_NORM, [module, ...rest]);
  const name = o.name;
  if (o.nPowerIterations <= 0) {
    throw new ValueError(
      `spectralNorm: Expected n_power_iterations to be positive, but got n_power_iterations=${o.nPowerIterations}`,
    );
  }
  const mine = hooks.get(module) ?? new Map<string, Config>();
  if (mine.has(name)) {
    throw new ValueError(
      `spectralNorm: Cannot register two spectral_norm hooks on the same parameter ${name}`,
    );
  }
  const weight = module.namedParameters({ recurse: false }).find(([n]) => n === name)?.[1];
  if (weight === undefined) {
    throw new ValueError(
      `spectralNorm: \`SpectralNorm\` cannot be applied as parameter \`${name}\` is None or not a parameter of ${module.constructor.name}`,
    );
  }
  const dim = o.dim ?? (/^ConvTranspose[123]d$/.test(module.constructor.name) ? 1 : 0);
  const d = dim < 0 ? dim + weight.ndim : dim;
  const c: Config = {
    name,
    nPowerIterations: o.nPowerIterations,
    eps: o.eps,
    dim: d,
    handle: null,
  };
  const [u, v] = noGrad(() => {
    const [h, w] = toMatrix(weight.detach(), d).shape as [number, number];
    const dtype = weight.dtype === "float64" ? "float64" : "float32";
    const u0 = normalize(randn([h], { dtype }), c.eps);
    const v0 = normalize(randn([w], { dtype }), c.eps);
    return [u0, v0];
  });
  Reflect.deleteProperty(module, name);
  module.registerParameter(`${name}_orig`, weight);
  Reflect.set(module, name, weight.detach());
  module.registerBuffer(`${name}_u`, u);
  module.registerBuffer(`${name}_v`, v);
  c.handle = module.registerForwardPreHook((m) => {
    Reflect.set(m, name, compute(m, c, m.training));
    return undefined;
  });
  mine.set(name, c);
  hooks.set(module, mine);
  return module;
}

/**
 * Undoes `spectralNorm`: `module[name]` becomes a Parameter holding name_orig/σ (σ from the
 * current u and v, no power iteration), the `_orig`, `_u` and `_v` entries are removed, and the
 * module is returned, as torch.nn.utils.remove_spectral_norm(module, name='weight').
 */
export function removeSpectralNorm<M extends AnyModule>(
  module: M,
  ...rest: WithOptions<[name: string], { name?: string }>
): M {
  const { name } = parseArgs(REMOVE, [module, ...rest]);
  const c = hooks.get(module)?.get(name);
  if (c === undefined)
    throw new ValueError(`removeSpectralNorm: spectral_norm of '${name}' not found in ${module}`);
  const w = noGrad(() => compute(module, c, false));
  for (const k of [name, `${name}_u`, `${name}_v`, `${name}_orig`])
    Reflect.deleteProperty(module, k);
  module.registerParameter(name, new Parameter(w.detach()));
  c.handle?.remove();
  hooks.get(module)!.delete(name);
  return module;
}
