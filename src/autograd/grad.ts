// autograd.grad: gradients of outputs with respect to chosen inputs, returned rather than
// accumulated into `.grad`, optionally with the graph of the gradients recorded (higher-order).
// Argument checking and PyTorch's errors only; the reverse pass is src/tensor/autograd.ts.
// Depends on src/tensor and src/core; nothing in nn or above.

import {
  arrayOf,
  bool,
  either,
  instanceOf,
  nullable,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../core/args.ts";
import { AutogradError, ValueError } from "../core/errors.ts";
import { formatShape, shapeEquals } from "../core/shape.ts";
import { onesLike, zerosLike } from "../ops/creation.ts";
import { stack } from "../ops/movement.ts";
import { runGraph } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";

/** One tensor or a list of them (PyTorch's `Sequence[Tensor] or Tensor`). */
export type Tensors = Tensor | readonly Tensor[];

/** A gradient per output: a tensor, or null for "ones" of a scalar output. */
export type GradOutputs = Tensor | readonly (Tensor | null)[] | null;

/**
 * Options of `grad`, as torch.autograd.grad's keywords: `gradOutputs` (the vector of the
 * vector-Jacobian product, default ones for scalar outputs), `retainGraph` (default
 * `createGraph`), `createGraph` (default false), `allowUnused` (default false: an input the
 * outputs do not depend on is an error; true gives null for it), `onlyInputs` (deprecated and
 * ignored by PyTorch too), `isGradsBatched` (the first dim of every gradOutput is a batch; here
 * computed by a loop over it).
 */
export interface GradOptions {
  gradOutputs?: GradOutputs;
  retainGraph?: boolean | null;
  createGraph?: boolean;
  onlyInputs?: boolean;
  allowUnused?: boolean;
  isGradsBatched?: boolean;
}

const tensorArg = instanceOf(Tensor, "a Tensor");
const GRAD = signature("autograd.grad", {
  outputs: either(tensorArg, arrayOf(tensorArg)),
  inputs: either(tensorArg, arrayOf(tensorArg)),
  gradOutputs: opt(nullable(either(tensorArg, arrayOf(nullable(tensorArg)))), null),
  retainGraph: opt(nullable(bool), null),
  createGraph: opt(bool, false),
  onlyInputs: opt(bool, true),
  allowUnused: opt(bool, false),
  isGradsBatched: opt(bool, false),
});

/** Lists one tensor or a list, as PyTorch's `_tensor_or_tensors_to_tuple`. */
export function asList<T>(x: T | readonly T[]): readonly T[] {
  return Array.isArray(x) ? (x as readonly T[]) : [x as T];
}

/**
 * The gradients of `outputs` with respect to `inputs` (leaf or not), one per input, without
 * touching any `.grad`; as torch.autograd.grad (positional order `outputs, inputs, gradOutputs,
 * retainGraph, createGraph, onlyInputs, allowUnused, isGradsBatched`, or one options object).
 * With `createGraph` the gradients record a graph, so they can be differentiated again.
 *
 * @example const [gx] = autograd.grad(y.sum(), [x], { createGraph: true });
 */
export function grad(
  outputs: Tensors,
  inputs: Tensors,
  ...rest: WithOptions<
    [
      gradOutputs: GradOutputs,
      retainGraph: boolean | null,
      createGraph: boolean,
      onlyInputs: boolean,
      allowUnused: boolean,
      isGradsBatched: boolean,
    ],
    GradOptions
  >
): (Tensor | null)[];
export function grad(..._args: unknown[]): (Tensor | null)[] {
  const p = parseArgs(GRAD, arguments);
  const outs = asList(p.outputs);
  const ins = asList(p.inputs);
  if (outs.length === 0) throw new ValueError("autograd.grad: grad requires at least one output");
  if (ins.length === 0) throw new ValueError("autograd.grad: grad requires non-empty inputs.");
  const gos = p.gradOutputs === null ? outs.map(() => null) : asList(p.gradOutputs);
  if (gos.length !== outs.length) {
    throw new ValueError(
      `autograd.grad: grad_outputs and outputs must have the same length: got ${gos.length} and ` +
        `${outs.length}`,
    );
  }
  const retain = p.retainGraph ?? p.createGraph;
  if (p.isGradsBatched) {
    return batched(outs, ins, gos, retain, p.createGraph, p.allowUnused);
  }
  return gradOf(outs, ins, gos, retain, p.createGraph, p.allowUnused, "autograd.grad");
}

/** The shared core of grad and the functional API (arguments already checked). */
export function gradOf(
  outs: readonly Tensor[],
  ins: readonly Tensor[],
  gos: readonly (Tensor | null)[],
  retainGraph: boolean,
  createGraph: boolean,
  allowUnused: boolean,
  op: string,
): (Tensor | null)[] {
  ins.forEach((x) => {
    if (!x.requiresGrad) {
      throw new AutogradError(`${op}: One of the differentiated Tensors does not require grad`);
    }
  });
  const roots: Tensor[] = [];
  const seeds: Tensor[] = [];
  outs.forEach((o, i) => {
    const g = seedFor(op, o, gos[i] ?? null, i);
    if (!o.requiresGrad) {
      throw new AutogradError(
        `${op}: element ${i} of tensors does not require grad and does not have a grad_fn`,
      );
    }
    roots.push(o);
    seeds.push(g);
  });
  const res = runGraph(roots, seeds, retainGraph, createGraph, ins, false);
  if (!allowUnused) {
    res.forEach((g) => {
      if (g === null) {
        throw new AutogradError(
          `${op}: One of the differentiated Tensors appears to not have been used in the graph. ` +
            "Set allowUnused: true if this is the desired behavior.",
        );
      }
    });
  }
  return res;
}

/** The gradient fed to output `i`: the given one (shape checked) or ones for a scalar. */
function seedFor(op: string, o: Tensor, g: Tensor | null, i: number): Tensor {
  if (g === null) {
    if (o.numel() !== 1) {
      throw new AutogradError(`${op}: grad can be implicitly created only for scalar outputs`);
    }
    return onesLike(o);
  }
  if (!shapeEquals(g.shape, o.shape)) {
    throw new AutogradError(
      `${op}: Mismatch in shape: grad_output[${i}] has a shape of ${formatShape(g.shape)} and ` +
        `output[${i}] has a shape of ${formatShape(o.shape)}.`,
    );
  }
  return g;
}

function batched(
  outs: readonly Tensor[],
  ins: readonly Tensor[],
  gos: readonly (Tensor | null)[],
  retain: boolean,
  createGraph: boolean,
  allowUnused: boolean,
): (Tensor | null)[] {
  const b = gos.find((g) => g !== null)?.shape[0];
  if (b === undefined || gos.some((g) => g === null || g.shape[0] !== b)) {
    throw new ValueError(
      "autograd.grad: isGradsBatched needs a gradOutput for every output, all with the same " +
        "first (batch) dimension",
    );
  }
  const per: (Tensor | null)[][] = [];
  for (let k = 0; k < b; k++) {
    const gk = gos.map((g) => g!.select(0, k));
    per.push(gradOf(outs, ins, gk, k < b - 1 || retain, createGraph, allowUnused, "autograd.grad"));
  }
  return ins.map((x, i) => {
    const col = per.map((r) => r[i] ?? null);
    if (col.every((g) => g === null)) return null;
    return stack(col.map((g) => g ?? zerosLike(x)));
  });
}

/**
 * Options of `backward`: `gradTensors` (default ones for scalar tensors), `retainGraph` (default
 * `createGraph`), `createGraph`, `gradVariables` (PyTorch's deprecated alias of gradTensors),
 * `inputs` (accumulate only into these).
 */
export interface BackwardFnOptions {
  gradTensors?: GradOutputs;
  retainGraph?: boolean | null;
  createGraph?: boolean;
  gradVariables?: GradOutputs;
  inputs?: Tensors | null;
}

const BACKWARD = signature("autograd.backward", {
  tensors: either(tensorArg, arrayOf(tensorArg)),
  gradTensors: opt(nullable(either(tensorArg, arrayOf(nullable(tensorArg)))), null),
  retainGraph: opt(nullable(bool), null),
  createGraph: opt(bool, false),
  gradVariables: opt(nullable(either(tensorArg, arrayOf(nullable(tensorArg)))), null),
  inputs: opt(nullable(either(tensorArg, arrayOf(tensorArg))), null),
});

/**
 * Accumulates into `.grad` the gradients of `tensors` (summed), as torch.autograd.backward
 * (positional order `tensors, gradTensors, retainGraph, createGraph, gradVariables, inputs`, or
 * one options object).
 */
export function backward(
  tensors: Tensors,
  ...rest: WithOptions<
    [
      gradTensors: GradOutputs,
      retainGraph: boolean | null,
      createGraph: boolean,
      gradVariables: GradOutputs,
      inputs: Tensors | null,
    ],
    BackwardFnOptions
  >
): void;
export function backward(..._args: unknown[]): void {
  const op = "autograd.backward";
  const p = parseArgs(BACKWARD, arguments);
  if (p.gradTensors !== null && p.gradVariables !== null) {
    throw new ValueError(
      `${op}: 'grad_tensors' and 'grad_variables' (deprecated) arguments both passed to backward(). Please only use 'grad_tensors'.`,
    );
  }
  const outs = asList(p.tensors);
  const given = p.gradTensors ?? p.gradVariables;
  const gos = given === null ? outs.map(() => null) : asList(given);
  if (gos.length !== outs.length) {
    throw new ValueError(
      `${op}: grad_tensors and tensors must have the same length: got ${gos.length} and ${outs.length}`,
    );
  }
  const inputs = p.inputs === null ? null : asList(p.inputs);
  if (inputs !== null && inputs.length === 0) {
    throw new ValueError(`${op}: 'inputs' argument to backward() cannot be empty.`);
  }
  const seeds = outs.map((o, i) => {
    if (!o.requiresGrad) {
      throw new AutogradError(
        `${op}: element ${i} of tensors does not require grad and does not have a grad_fn`,
      );
    }
    return seedFor(op, o, gos[i] ?? null, i);
  });
  runGraph(outs, seeds, p.retainGraph ?? p.createGraph, p.createGraph, inputs, true);
}
