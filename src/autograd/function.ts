// Custom differentiable operations, as torch.autograd.Function: a class with static `forward` and
// `backward`, called through `MyFn.apply(...)`, which records one graph node whose VJP is the
// user's `backward`. Multiple outputs go through one hidden node (see `recordMulti`).
// Depends on src/tensor, src/ops and src/core; nothing in nn or above.

import { showValue } from "../core/args.ts";
import { AutogradError, ValueError } from "../core/errors.ts";
import { formatShape, shapeEquals } from "../core/shape.ts";
import { zeros } from "../ops/creation.ts";
import { cat, expand, sumToShape } from "../ops/movement.ts";
import { isGradEnabled, Node, withGradMode } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor.ts";

/**
 * The context a Function's `forward` and `backward` share, as PyTorch's `ctx`: tensors saved for
 * backward, which inputs need a gradient, and the marks of `markDirty`/`markNonDifferentiable`.
 * Other fields may be set freely (`ctx.k = 3`).
 */
export class FunctionCtx {
  [key: string]: unknown;
  /** One flag per forward argument: whether it is a tensor that requires grad (PyTorch's `needs_input_grad`). */
  needsInputGrad: readonly boolean[] = [];
  #saved: readonly (Tensor | null)[] = [];
  #freed = false;
  /** @internal */
  dirty: readonly Tensor[] = [];
  /** @internal */
  nonDifferentiable: readonly Tensor[] = [];
  /** @internal */
  materializeGrads = true;

  /** Saves tensors (or nulls) for `backward`, read back as `savedTensors` (save_for_backward). */
  saveForBackward(...tensors: (Tensor | null)[]): void {
    tensors.forEach((t, i) => {
      if (t !== null && !(t instanceof Tensor)) {
        throw new ValueError(
          `saveForBackward: save_for_backward can only save tensors, but argument ${i} is ${showValue(t)}`,
        );
      }
    });
    this.#saved = tensors;
  }

  /** The tensors given to `saveForBackward`, in order (saved_tensors). */
  get savedTensors(): (Tensor | null)[] {
    if (this.#freed) {
      throw new AutogradError(
        "savedTensors: Trying to backward through the graph a second time (or directly access " +
          "saved tensors after they have already been freed). Specify retainGraph: true if you " +
          "need to backward through the graph a second time or access saved tensors after " +
          "calling backward.",
      );
    }
    return [...this.#saved];
  }

  /** @internal What the node must check for in-place changes. */
  savedList(): Tensor[] {
    return this.#saved.filter((t): t is Tensor => t !== null);
  }

  /** @internal Drops the saved tensors (the graph was freed). */
  free(): void {
    this.#saved = [];
    this.#freed = true;
  }

  /** Marks input tensors `forward` modified in place (mark_dirty); they must be returned. */
  markDirty(...tensors: Tensor[]): void {
    this.dirty = checkTensors("markDirty", tensors);
  }

  /** Marks outputs that are not differentiable (mark_non_differentiable): they never require grad. */
  markNonDifferentiable(...tensors: Tensor[]): void {
    this.nonDifferentiable = checkTensors("markNonDifferentiable", tensors);
  }

  /**
   * Whether `backward` gets zeros (true, the default) or null for outputs no gradient reached
   * (set_materialize_grads).
   */
  setMaterializeGrads(value: boolean): void {
    if (typeof value !== "boolean") {
      throw new ValueError(`setMaterializeGrads: expected a boolean, got ${showValue(value)}`);
    }
    this.materializeGrads = value;
  }
}

function checkTensors(op: string, tensors: readonly unknown[]): Tensor[] {
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) {
      throw new ValueError(`${op}: expected tensors, but argument ${i} is ${showValue(t)}`);
    }
  });
  return tensors as Tensor[];
}

/** What a Function's `backward` may return: one gradient, or one per forward argument. */
type BackwardResult = Tensor | null | undefined | readonly (Tensor | null | undefined)[];

/**
 * Base class of custom autograd operations, as torch.autograd.Function: subclass it with
 * `static forward(ctx, ...args)` (runs without recording) and `static backward(ctx, ...grads)`
 * (one gradient per output in, one per forward argument out), then call `MyFn.apply(...args)`.
 *
 * @example class Exp extends autograd.Function { static forward(ctx, x) { const y = x.exp(); ctx.saveForBackward(y); return y; } static backward(ctx, g) { const [y] = ctx.savedTensors; return g.mul(y); } }
 */
// biome-ignore lint/suspicious/noShadowRestrictedNames: PyTorch's name (autograd.Function).
// biome-ignore lint/complexity/noStaticOnlyClass: subclassed, as torch.autograd.Function.
export class Function {
  /** The computation; overridden by subclasses. */
  static forward(_ctx: FunctionCtx, ..._args: never[]): unknown {
    throw new AutogradError(
      // biome-ignore lint/complexity/noThisInStatic: the subclass's name, for the message.
      `${this.name}: You must implement the forward function for custom autograd.Function.`,
    );
  }

  /** The vector-Jacobian product; overridden by subclasses. */
  static backward(_ctx: FunctionCtx, ..._grads: never[]): BackwardResult {
    throw new AutogradError(
      // biome-ignore lint/complexity/noThisInStatic: the subclass's name, for the message.
      `${this.name}: You must implement either the backward or vjp method for your custom ` +
        "autograd.Function to use it with backward mode AD.",
    );
  }

  /** Runs `forward` on `args` and records `backward` as its gradient (Function.apply). */
  static apply<A extends unknown[], R>(
    this: { forward(ctx: FunctionCtx, ...args: A): R },
    ...args: A
  ): R {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass apply was called on.
    return applyFunction(this as unknown as typeof Function, args) as R;
  }
}

function applyFunction(cls: typeof Function, args: readonly unknown[]): unknown {
  const ctx = new FunctionCtx();
  const grad = isGradEnabled();
  ctx.needsInputGrad = args.map((a) => a instanceof Tensor && a.requiresGrad && grad);
  const result = withGradMode(false, () =>
    (cls.forward as (c: FunctionCtx, ...a: unknown[]) => unknown)(ctx, ...args),
  );
  const single = !Array.isArray(result);
  const outs: unknown[] = single ? [result] : [...(result as unknown[])];
  for (const d of ctx.dirty) {
    if (!outs.includes(d)) {
      throw new AutogradError(
        `${cls.name}.apply: Some elements marked as dirty during the forward method were not ` +
          "returned as output. The inputs that are modified inplace must all be outputs of the Function.",
      );
    }
  }
  const inputs = args.map((a) => (a instanceof Tensor && a.requiresGrad ? a : null));
  if (!grad || !inputs.some((t) => t !== null)) return result;
  const name = `${cls.name}Backward`;
  // Outputs as the graph sees them: an input returned unchanged becomes an alias, so that the
  // input keeps its own history; a dirty input takes the new node itself.
  const tensors: (Tensor | null)[] = outs.map((o) => {
    if (!(o instanceof Tensor)) return null;
    if (ctx.nonDifferentiable.includes(o)) return null;
    if (ctx.dirty.includes(o)) {
      if (o.isLeaf && o.requiresGrad) {
        throw new AutogradError(
          `${cls.name}.apply: a leaf Variable that requires grad is being used in an in-place operation.`,
        );
      }
      return o;
    }
    return args.includes(o) ? o.detach() : o;
  });
  const shapes = outs.map((o) => (o instanceof Tensor ? o.shape : null));
  const dtypes = outs.map((o) => (o instanceof Tensor ? o.dtype : null));
  const received = outs.map(() => false);
  // The user's backward with one gradient per output (zeros or null where none came).
  const run = (grads: readonly (Tensor | null)[]): (Tensor | null)[] => {
    const full = grads.map((g, k) => {
      if (g !== null || shapes[k] === null || !ctx.materializeGrads) return g;
      return zeros(shapes[k]!, { dtype: dtypes[k]! });
    });
    const r = (cls.backward as (c: FunctionCtx, ...g: unknown[]) => BackwardResult)(ctx, ...full);
    return checkGrads(name, r, args);
  };
  const diff = tensors.filter((t): t is Tensor => t !== null);
  const saved = ctx.savedList();
  const release = () => ctx.free();
  if (diff.length === 1) {
    const k = tensors.findIndex((t) => t !== null);
    const node = new Node(
      name,
      inputs,
      (g) => run(outs.map((_, j) => (j === k ? g : null))),
      saved,
      release,
    );
    diff[0]!.setGradFn(node);
  } else if (diff.length > 1) {
    recordMulti(name, inputs, tensors, received, run, saved, release);
  }
  const final = outs.map((o, k) => tensors[k] ?? o);
  for (const o of outs) {
    if (o instanceof Tensor && ctx.nonDifferentiable.includes(o) && o.requiresGrad && o.isLeaf) {
      o.requiresGrad_(false);
    }
  }
  return single ? final[0] : final;
}

/**
 * Several differentiable outputs: a hidden flat "hub" tensor carries the node of the Function;
 * output k gets a node that places its gradient in segment k of a hub-sized gradient, so the
 * engine's sum of them is every output's gradient at once when the Function's node runs.
 */
function recordMulti(
  name: string,
  inputs: readonly (Tensor | null)[],
  tensors: readonly (Tensor | null)[],
  received: boolean[],
  run: (grads: readonly (Tensor | null)[]) => (Tensor | null)[],
  saved: Tensor[],
  release: () => void,
): void {
  const sizes = tensors.map((t) => (t === null ? 0 : t.numel()));
  const total = sizes.reduce((a, b) => a + b, 0);
  const kinds = new Set(tensors.filter((t) => t !== null).map((t) => t!.dtype));
  const dtype = kinds.size === 1 ? [...kinds][0]! : "float64";
  const hub = expand(zeros([1], { dtype }), [total]);
  const starts: number[] = [];
  let at = 0;
  for (const n of sizes) {
    starts.push(at);
    at += n;
  }
  const node = new Node(
    name,
    inputs,
    (gh) => {
      const grads = tensors.map((t, k) => {
        if (t === null || !received[k]) return null;
        return gh.narrow(0, starts[k]!, sizes[k]!).reshape(t.shape).to(t.dtype);
      });
      received.fill(false);
      return run(grads);
    },
    saved,
    release,
  );
  hub.setGradFn(node);
  tensors.forEach((t, k) => {
    if (t === null) return;
    const before = starts[k]!;
    const after = total - before - sizes[k]!;
    t.setGradFn(
      new Node(
        name,
        [hub],
        (g) => {
          received[k] = true;
          const flat = g.reshape([-1]).to(dtype);
          return [cat([zeros([before], { dtype }), flat, zeros([after], { dtype })])];
        },
        [],
      ),
    );
  });
}

/** PyTorch's checks of what a Function's backward returned, per forward argument. */
function checkGrads(name: string, r: BackwardResult, args: readonly unknown[]): (Tensor | null)[] {
  const list = Array.isArray(r) ? (r as readonly (Tensor | null | undefined)[]) : [r];
  if (list.length < args.length || list.slice(args.length).some((g) => g != null)) {
    throw new AutogradError(
      `function ${name} returned an incorrect number of gradients (expected ${args.length}, got ${list.length})`,
    );
  }
  return args.map((a, i) => {
    const g = list[i] ?? null;
    if (g === null) return null;
    if (!(g instanceof Tensor)) {
      throw new AutogradError(
        `function ${name} returned a gradient at index ${i} that is not a Tensor or null: ${showValue(g)}`,
      );
    }
    if (!(a instanceof Tensor)) {
      throw new AutogradError(
        `function ${name} returned a gradient different than None at position ${i + 1}, but the ` +
          "corresponding forward input was not a Variable",
      );
    }
    if (!a.requiresGrad) return null;
    if (shapeEquals(g.shape, a.shape)) return g;
    if (expandable(a.shape, g.shape)) return sumToShape(g, a.shape);
    throw new AutogradError(
      `Function ${name} returned an invalid gradient at index ${i} - got ${formatShape(g.shape)} ` +
        `but expected shape compatible with ${formatShape(a.shape)}`,
    );
  });
}

/** Whether `small` broadcasts to `big` (so a gradient of shape `big` sums back to it). */
function expandable(small: readonly number[], big: readonly number[]): boolean {
  if (small.length > big.length) return false;
  for (let i = 1; i <= small.length; i++) {
    const s = small[small.length - i]!;
    if (s !== 1 && s !== big[big.length - i]) return false;
  }
  return true;
}
