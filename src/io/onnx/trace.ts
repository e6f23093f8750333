// Tracing one forward pass into an ONNX graph. For the duration of the trace only, the methods of
// Tensor.prototype and the `forward` of the nn layers whose ONNX form is known are wrapped: each
// wrapper runs the real computation, then records ONNX nodes for it, keyed by tensor identity.
// A depth counter suppresses recording inside an op or layer that is already being recorded.
// Everything is restored in a `finally`. Depends on src/tensor, src/nn and the graph builder.
//
// NOTE: functions that are not Tensor methods (`cat`, `where`, nn.functional.*) cannot be wrapped
// (ES module bindings are immutable). Those with an ONNX form of their own run through
// `traceable` (tensor/functional-trace.ts), whose tracer this installs. The outputs of the others
// are recognised when they are used: a tensor whose autograd history reaches the traced input was
// computed from it, so it is either rebuilt from its autograd node (cat, stack, unsqueeze, whose
// attributes follow from the shapes) or rejected with an error naming the node; one that does not
// is a constant and becomes an initializer. The trace therefore runs with gradients enabled and a float input requiring grad.
// An op whose operands are all constants is folded (its result becomes an initializer when used).

import { fusedKernels, setFusedKernels } from "../../backend/registry.ts";
import { type DType, resultType } from "../../core/dtype.ts";
import { ValueError } from "../../core/errors.ts";
import type { AnyModule } from "../../nn/module.ts";
import { promotionOperand } from "../../ops/dispatch.ts";
import { type FunctionalTracer, setFunctionalTracer } from "../../tensor/functional-trace.ts";
import type { Node } from "../../tensor/graph.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { attr, GraphBuilder, onnxDType } from "./graph.ts";

/** Records the ONNX form of one Tensor method call whose result is `out`. */
export type TensorHandler = (
  tr: Tracer,
  self: Tensor,
  args: readonly unknown[],
  out: unknown,
) => void;

/** Records the ONNX form of one layer's forward (`x → out`; `args` are all the forward's arguments). */
export type LayerHandler = (
  tr: Tracer,
  module: AnyModule,
  x: Tensor,
  out: Tensor,
  args: readonly unknown[],
) => void;

/**
 * Records the ONNX form of one nn.functional call that runs through `traceable` (`args` are its
 * parsed arguments, options last; `out` is its result).
 */
export type FunctionalHandler = (tr: Tracer, args: readonly unknown[], out: unknown) => void;

/** A layer class (its prototype's `forward` is wrapped) and how it exports. */
export type LayerEntry = readonly [abstract new (...args: never) => AnyModule, LayerHandler];

/** The state of one trace: the graph and the value name of every tensor met so far. */
export class Tracer {
  readonly g = new GraphBuilder();
  /** > 0 while an op or layer is being recorded: nested calls run without recording. */
  suppress = 0;
  #names = new WeakMap<Tensor, string>();
  #traced = new WeakSet<Tensor>();
  #params: ReadonlyMap<Tensor, string>;

  constructor(
    readonly opset: number,
    params: ReadonlyMap<Tensor, string>,
  ) {
    this.#params = params;
  }

  /** Marks `t` as the value `name`, computed from the input. */
  bind(t: Tensor, name: string): void {
    this.#names.set(t, name);
    this.#traced.add(t);
  }

  /** `out` carries the same values as `src` (detach, contiguous, dropout in eval, ...). */
  alias(out: Tensor, src: Tensor): void {
    this.bind(out, this.name(src));
  }

  /** The value name of `t`: traced, a parameter or buffer, rebuilt from autograd, or a constant. */
  name(t: Tensor): string {
    const known = this.#names.get(t);
    if (known !== undefined) return known;
    const param = this.#params.get(t);
    let name: string;
    if (param !== undefined) name = this.g.tensor(t, param);
    else {
      const node = this.#inputDerived(t);
      if (node !== null) {
        name = this.#fromAutograd(t, node);
        this.#traced.add(t);
      } else name = this.g.tensor(t);
    }
    this.#names.set(t, name);
    return name;
  }

  /** A tensor or scalar operand as a value of `dtype` (scalars become 0-d initializers). */
  operand(x: unknown, dtype: DType): string {
    if (x instanceof Tensor) return this.cast(this.name(x), x.dtype, dtype);
    if (typeof x === "number" || typeof x === "boolean") return this.g.scalar(Number(x), dtype);
    throw new ValueError(`exportOnnx: cannot export an operand of type ${typeof x}`);
  }

  /** `name` cast from `from` to `to` (no node when they agree). */
  cast(name: string, from: DType, to: DType): string {
    return from === to ? name : this.g.op("Cast", [name], [attr.int("to", onnxDType(to))]);
  }

  /** The dtype two operands promote to, by PyTorch's rules. */
  promote(a: Tensor, b: unknown): DType {
    if (!(b instanceof Tensor) && typeof b !== "number" && typeof b !== "boolean") return a.dtype;
    return resultType([promotionOperand(a), promotionOperand(b as Tensor | number | boolean)]);
  }

  /** Whether `t` was computed from the input (traced, or by a function seen through autograd). */
  dependsOnInput(t: Tensor): boolean {
    return this.#traced.has(t) || this.#inputDerived(t) !== null;
  }

  /** The autograd node of `t` when its history reaches a traced value, else null. */
  #inputDerived(t: Tensor): Node | null {
    const start = t.gradFn;
    if (start === null) return null;
    const seen = new Set<Node>([start]);
    const stack = [start];
    while (stack.length > 0) {
      const node = stack.pop()!;
      for (const u of node.inputs) {
        if (u === null) continue;
        if (this.#traced.has(u)) return start;
        const next = u.gradFn;
        if (next !== null && !seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    return null;
  }

  /** Rebuilds an untraced, input-derived tensor from its autograd node, or says why it cannot. */
  #fromAutograd(t: Tensor, node: Node): string {
    const inputs = node.inputs;
    const complete = inputs.length > 0 && inputs.every((u) => u !== null);
    if ((node.name === "CatBackward0" || node.name === "StackBackward0") && complete) {
      const parts = inputs as Tensor[];
      const axis = catAxis(t.shape, parts);
      if (axis >= 0) {
        const names = parts.map((p) => this.cast(this.name(p), p.dtype, t.dtype));
        return this.g.op("Concat", names, [attr.int("axis", axis)]);
      }
    }
    if (node.name === "UnsqueezeBackward0" && complete) {
      const x = inputs[0]!;
      for (let d = 0; d <= x.ndim; d++) {
        const s = [...x.shape];
        s.splice(d, 0, 1);
        if (s.join() === t.shape.join())
          return this.g.op("Unsqueeze", [this.name(x), this.g.int64([d])]);
      }
    }
    throw new ValueError(
      `exportOnnx: no ONNX mapping for ${node.name}: a tensor computed from the input by a function ` +
        "that is neither a Tensor method nor a known nn layer (such as where() or " +
        "nn.functional.leakyRelu); use Tensor methods or nn layers in forward",
    );
  }
}

/** The dimension along which `parts` concatenate to `shape`, or -1. */
function catAxis(shape: readonly number[], parts: readonly Tensor[]): number {
  for (let d = 0; d < shape.length; d++) {
    const fits = parts.every(
      (p) => p.ndim === shape.length && p.shape.every((s, i) => i === d || s === shape[i]),
    );
    if (fits && parts.reduce((a, p) => a + p.shape[d]!, 0) === shape[d]) return d;
  }
  return -1;
}

let active: Tracer | null = null;

/** Tensor members that are metadata or autograd plumbing, never graph ops. */
const NOT_OPS = new Set([
  "constructor",
  "size",
  "numel",
  "isContiguous",
  "view_",
  "requiresGrad_",
  "setGradFn",
  "retainGrad",
  "backward",
  "detach_",
  "item",
  "toArray",
  "dataSync",
  "toString",
]);

type Method = (this: unknown, ...args: unknown[]) => unknown;

/** Wraps the Tensor methods; returns the function that restores them. */
function patchTensor(handlers: Readonly<Record<string, TensorHandler>>): () => void {
  const proto = Tensor.prototype;
  const restore: (() => void)[] = [];
  for (const key of Object.getOwnPropertyNames(proto)) {
    const desc = Object.getOwnPropertyDescriptor(proto, key)!;
    if (NOT_OPS.has(key) || typeof desc.value !== "function") continue;
    const orig = desc.value as Method;
    const handler = handlers[key];
    const wrapped = function (this: Tensor, ...args: unknown[]): unknown {
      const tr = active;
      if (tr === null || tr.suppress > 0) return orig.apply(this, args);
      tr.suppress++;
      try {
        const out = orig.apply(this, args);
        // An op on constants only (`arange(7).float()`) is folded: its result is a constant.
        const operands = [this, ...args.flat()].filter((a): a is Tensor => a instanceof Tensor);
        if (!operands.some((t) => tr.dependsOnInput(t))) return out;
        if (handler === undefined) {
          const why = key.endsWith("_") ? " (in-place ops are not exported)" : "";
          throw new ValueError(`exportOnnx: no ONNX mapping for Tensor.${key}${why}`);
        }
        handler(tr, this, args, out);
        return out;
      } finally {
        tr.suppress--;
      }
    };
    Object.defineProperty(proto, key, { ...desc, value: wrapped });
    restore.push(() => Object.defineProperty(proto, key, desc));
  }
  return () => {
    for (const r of restore) r();
  };
}

/** Wraps `forward` of each layer class (as an own property); returns the restorer. */
function patchLayers(entries: readonly LayerEntry[]): () => void {
  const restore: (() => void)[] = [];
  for (const [cls, handler] of entries) {
    const proto = cls.prototype as { forward: Method };
    const own = Object.getOwnPropertyDescriptor(proto, "forward");
    const orig = proto.forward;
    const wrapped = function (this: AnyModule, ...args: unknown[]): unknown {
      const tr = active;
      if (tr === null || tr.suppress > 0) return orig.apply(this, args);
      tr.suppress++;
      try {
        const out = orig.apply(this, args);
        handler(tr, this, args[0] as Tensor, out as Tensor, args);
        return out;
      } finally {
        tr.suppress--;
      }
    };
    Object.defineProperty(proto, "forward", {
      value: wrapped,
      writable: true,
      configurable: true,
      enumerable: false,
    });
    restore.push(() => {
      if (own !== undefined) Object.defineProperty(proto, "forward", own);
      else Reflect.deleteProperty(proto, "forward");
    });
  }
  return () => {
    for (const r of restore.reverse()) r();
  };
}

/**
 * Runs `fn` with `tracer` active and the wrappers installed, restoring everything afterwards.
 * Not reentrant: one trace at a time.
 */
export function withTracing<T>(
  tracer: Tracer,
  tensorHandlers: Readonly<Record<string, TensorHandler>>,
  layers: readonly LayerEntry[],
  functional: Readonly<Record<string, FunctionalHandler>>,
  fn: () => T,
): T {
  if (active !== null) throw new ValueError("exportOnnx: an export is already in progress");
  const restoreTensor = patchTensor(tensorHandlers);
  const prevFunctional = setFunctionalTracer(functionalTracer(functional));
  let restoreLayers: (() => void) | null = null;
  // NOTE: fused kernels (functional linear on native) build their result outside the Tensor
  // methods; with them off, composite ops run as the methods the handlers record.
  const fused = fusedKernels() !== undefined;
  setFusedKernels(false);
  try {
    restoreLayers = patchLayers(layers);
    active = tracer;
    return fn();
  } finally {
    active = null;
    if (fused) setFusedKernels(true);
    restoreLayers?.();
    setFunctionalTracer(prevFunctional);
    restoreTensor();
  }
}

/** The tracer of `traceable` functional calls: records each through its handler. */
function functionalTracer(handlers: Readonly<Record<string, FunctionalHandler>>): FunctionalTracer {
  return (name, args, compute) => {
    const tr = active;
    if (tr === null || tr.suppress > 0) return compute();
    tr.suppress++;
    try {
      const out = compute();
      const operands = args.filter((a): a is Tensor => a instanceof Tensor);
      if (!operands.some((t) => tr.dependsOnInput(t))) return out;
      const handler = handlers[name];
      if (handler === undefined)
        throw new ValueError(`exportOnnx: no ONNX mapping for nn.functional.${name}`);
      handler(tr, args, out);
      return out;
    } finally {
      tr.suppress--;
    }
  };
}
