// Module full backward hooks (register_full_backward_hook / _pre_hook), as PyTorch's BackwardHook:
// the module's tensor inputs and outputs pass through identity autograd Functions whose backward
// sees all gradients of one side at once. Depends on src/autograd, src/tensor; used by module.ts.

import { Function as AutogradFunction, type FunctionCtx } from "../autograd/function.ts";
import { AutogradError } from "../core/errors.ts";
import { isGradEnabled } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor.ts";

/** Gradients, one per input (or output) position; null where there is none. */
export type Grads = (Tensor | null)[];

/**
 * `hook(module, gradInput, gradOutput)`, called when the gradients with respect to the module's
 * inputs are computed; a returned array replaces gradInput.
 */
export type FullBackwardHook<M = unknown> = (
  module: M,
  gradInput: Grads,
  gradOutput: Grads,
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook may be a function with no return.
) => Grads | undefined | void;

/** `hook(module, gradOutput)`, called before gradInput is computed; may return a new gradOutput. */
export type FullBackwardPreHook<M = unknown> = (module: M, gradOutput: Grads) => Grads | undefined;

type Run = (grads: Grads) => Grads;

/** Identity on its tensor arguments; its backward hands all of their gradients to `run`. */
class BackwardHookFunction extends AutogradFunction {
  static override forward(ctx: FunctionCtx, run: Run, ...xs: Tensor[]): Tensor[] {
    ctx.run = run;
    ctx.markNonDifferentiable(...xs.filter((x) => !x.requiresGrad));
    return xs;
  }

  static override backward(ctx: FunctionCtx, ...grads: (Tensor | null)[]): Grads {
    return [null, ...(ctx.run as Run)(grads)];
  }
}

function through(xs: Tensor[], run: Run): Tensor[] {
  return BackwardHookFunction.apply(run, ...xs);
}

function check(op: string, got: unknown, n: number): Grads {
  if (
    !Array.isArray(got) ||
    got.length !== n ||
    got.some((g) => g !== null && !(g instanceof Tensor))
  ) {
    throw new AutogradError(
      `${op}: backward hook returned an invalid number of grad_input, got ${Array.isArray(got) ? got.length : typeof got}, but expected ${n}`,
    );
  }
  return got as Grads;
}

/**
 * Runs `forward(args)` with full backward hooks: returns forward's output, whose tensors (and
 * the tensor arguments) are routed through hook Functions when grad mode is on.
 */
export function withBackwardHooks<M>(
  module: M,
  args: unknown[],
  forward: (args: unknown[]) => unknown,
  hooks: Iterable<FullBackwardHook<M>>,
  preHooks: Iterable<FullBackwardPreHook<M>>,
): unknown {
  if (!isGradEnabled()) return forward(args);
  const n = args.length;
  const tensorAt = args.map((a, i) => (a instanceof Tensor ? i : -1)).filter((i) => i >= 0);
  const anyInput = tensorAt.some((i) => (args[i] as Tensor).requiresGrad);
  let gradOutput: Grads = [];
  const callHooks = (gradInput: Grads): Grads => {
    let gi = gradInput;
    for (const h of hooks) {
      const r = h(module, gi, gradOutput);
      if (r !== undefined && r !== null) gi = check("registerFullBackwardHook", r, n);
    }
    return gi;
  };
  let input = args;
  if (anyInput) {
    const wrapped = through(
      tensorAt.map((i) => args[i] as Tensor),
      (grads) => {
        const full: Grads = args.map(() => null);
        tensorAt.forEach((i, k) => {
          full[i] = (args[i] as Tensor).requiresGrad ? (grads[k] ?? null) : null;
        });
        const out = callHooks(full);
        return tensorAt.map((i) => out[i] ?? null);
      },
    );
    input = [...args];
    tensorAt.forEach((i, k) => {
      input[i] = wrapped[k];
    });
  }
  const output = forward(input);
  const outs = output instanceof Tensor ? [output] : Array.isArray(output) ? output : [];
  const outAt = outs
    .map((o, i) => (o instanceof Tensor && o.requiresGrad ? i : -1))
    .filter((i) => i >= 0);
  if (outAt.length === 0) return output;
  const wrappedOut = through(
    outAt.map((i) => outs[i] as Tensor),
    (grads) => {
      let go: Grads = grads.map((g) => g ?? null);
      for (const h of preHooks) {
        const r = h(module, go);
        if (r !== undefined && r !== null) go = check("registerFullBackwardPreHook", r, go.length);
      }
      gradOutput = go;
      // No input needs a gradient: the hooks run here, with gradInput all null (as PyTorch).
      if (!anyInput) callHooks(args.map(() => null));
      return go;
    },
  );
  if (output instanceof Tensor) return wrappedOut[0];
  const res = [...(output as unknown[])];
  outAt.forEach((i, k) => {
    res[i] = wrappedOut[k];
  });
  return res;
}
