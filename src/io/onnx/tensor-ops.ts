// ONNX forms of the Tensor methods (opset 13 to 17): one handler per method name, given the
// receiver, the call's arguments and the result Kiln computed. A method absent from the table has
// no mapping and fails the export with its name. Depends on the tracer and the graph builder.
//
// NOTE: reshape targets copy leading dimensions that keep their size (ONNX Reshape's 0), and
// flatten keeps the dimensions before startDim the same way, so a dynamic batch dimension stays
// dynamic through `x.view(x.shape[0], -1)` and `x.flatten(1)`.

import type { DType } from "../../core/dtype.ts";
import {
  BINARY_RULES,
  type BinaryRule,
  type OnnxForm,
  type OnnxStep,
  UNARY_RULES,
  type UnaryRule,
} from "../../ops/elementwise.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { attr } from "./graph.ts";
import type { TensorHandler, Tracer } from "./trace.ts";

const asTensor = (out: unknown) => out as Tensor;

function wrap(d: number, n: number): number {
  return d < 0 ? d + n : d;
}

/** Shape arguments as Tensor.reshape takes them: numbers, or one array. */
function shapeArg(args: readonly unknown[]): number[] {
  const first = args[0];
  return Array.isArray(first) ? [...(first as number[])] : (args as number[]);
}

/** Dims argument of a reduction: null/undefined is all dims. */
function dimsArg(d: unknown, ndim: number): number[] | null {
  if (d === undefined || d === null) return null;
  const list = typeof d === "number" ? [d] : [...(d as number[])];
  return list.map((x) => wrap(x, ndim));
}

/** keepDim as the method took it: positional (`sum(1, true)`) or in options (`{ keepDim }`). */
function keepDimArg(o: unknown): boolean {
  if (typeof o === "boolean") return o;
  return (o as { keepDim?: boolean } | undefined)?.keepDim ?? false;
}

/** The ONNX form of a unary op, from its entry in the op table. */
function unaryHandler(form: OnnxForm, input: "out" | "bool" | "raw"): TensorHandler | undefined {
  if (!Array.isArray(form)) return undefined;
  const steps = form as readonly OnnxStep[];
  return (tr, x, _args, out) => {
    const o = asTensor(out);
    let v = input === "raw" ? tr.name(x) : tr.operand(x, input === "bool" ? "bool" : o.dtype);
    for (const step of steps) {
      if (typeof step === "string") v = tr.g.op(step, [v]);
      else {
        const [op, scalar, side] = step;
        const c = tr.g.scalar(scalar, o.dtype);
        v = tr.g.op(op, side === "left" ? [c, v] : [v, c]);
      }
    }
    tr.bind(o, v);
  };
}

function alias(): TensorHandler {
  return (tr, x, _args, out) => tr.alias(asTensor(out), x);
}

/** Elementwise arithmetic: both operands cast to the result dtype; add/sub take an alpha. */
function arith(
  op: string,
  withAlpha = false,
  attrs: readonly ReturnType<typeof attr.int>[] = [],
): TensorHandler {
  return (tr, x, args, out) => {
    const o = asTensor(out);
    let other = args[0];
    const alpha = withAlpha ? ((args[1] as { alpha?: number } | undefined)?.alpha ?? 1) : 1;
    let b: string;
    if (alpha !== 1 && typeof other === "number") other = other * alpha;
    b = tr.operand(other, o.dtype);
    if (alpha !== 1 && typeof other !== "number")
      b = tr.g.op("Mul", [b, tr.g.scalar(alpha, o.dtype)]);
    tr.bind(o, tr.g.op(op, [tr.operand(x, o.dtype), b], [...attrs]));
  };
}

/** Comparisons: operands cast to their common dtype; logic: operands cast to bool. */
function predicate(op: string, logical: boolean, negate: boolean): TensorHandler {
  return (tr, x, args, out) => {
    const common = logical ? "bool" : tr.promote(x, args[0]);
    let v = tr.g.op(op, [tr.operand(x, common), tr.operand(args[0], common)]);
    if (negate) v = tr.g.op("Not", [v]);
    tr.bind(asTensor(out), v);
  };
}

/**
 * The Tensor methods named after an elementwise op, built from the op table's ONNX forms; an op
 * whose form is `{ none }` gets no handler, so its export fails naming it.
 */
function elementwiseHandlers(): Record<string, TensorHandler> {
  const handlers: Record<string, TensorHandler> = {};
  for (const [name, rule] of Object.entries(UNARY_RULES) as [string, UnaryRule][]) {
    const input = rule.dtype === "bool" ? rule.onnxInput : "out";
    const h = unaryHandler(rule.onnx, input);
    if (h !== undefined) handlers[name] = h;
  }
  for (const [name, rule] of Object.entries(BINARY_RULES) as [string, BinaryRule][]) {
    if (typeof rule.onnx !== "string") continue;
    if (rule.dtype === "compare" || rule.dtype === "logical") {
      handlers[name] = predicate(rule.onnx, rule.dtype === "logical", rule.negate === true);
    } else {
      const extra = "onnxAttrs" in rule ? rule.onnxAttrs : undefined;
      const attrs = Object.entries(extra ?? {}).map(([k, v]) => attr.int(k, v));
      handlers[name] = arith(rule.onnx, name === "add" || name === "sub", attrs);
    }
  }
  // In place (`nn.ReLU({ inplace: true })`, `x.relu_()`): the tensor holds the Relu's output
  // from here on; ops recorded earlier keep the value they read.
  handlers.relu_ = handlers.relu!;
  return handlers;
}

/** ReduceX of opset 13-17: axes is an input for ReduceSum, an attribute for the others. */
export function reduce(
  tr: Tracer,
  op: string,
  x: string,
  axes: readonly number[] | null,
  keepDims: boolean,
): string {
  const keep = attr.int("keepdims", keepDims ? 1 : 0);
  if (op === "ReduceSum") {
    return tr.g.op(op, axes === null ? [x] : [x, tr.g.int64(axes)], [keep]);
  }
  return tr.g.op(op, [x], axes === null ? [keep] : [attr.ints("axes", axes), keep]);
}

function reduction(op: string): TensorHandler {
  return (tr, x, args, out) => {
    const o = asTensor(out);
    const dims = dimsArg(args[0], x.ndim);
    tr.bind(o, reduce(tr, op, tr.operand(x, o.dtype), dims, dims !== null && keepDimArg(args[1])));
  };
}

/** ArgMax/ArgMin (int64 in ONNX) cast to Kiln's int32. */
function argReduce(tr: Tracer, op: string, x: Tensor, dim: number | null, keep: boolean): string {
  let v = tr.name(x);
  let axis = 0;
  if (dim === null) v = tr.g.op("Reshape", [v, tr.g.int64([-1])]);
  else axis = wrap(dim, x.ndim);
  const idx = tr.g.op(op, [v], [attr.int("axis", axis), attr.int("keepdims", keep ? 1 : 0)]);
  return tr.g.op("Cast", [idx], [attr.int("to", 6)]);
}

function minMax(reduceOp: "ReduceMax" | "ReduceMin", elemOp: "Max" | "Min"): TensorHandler {
  return (tr, x, args, out) => {
    const a = args[0];
    if (a !== undefined && typeof a !== "number") {
      const o = asTensor(out);
      tr.bind(o, tr.g.op(elemOp, [tr.operand(x, o.dtype), tr.operand(a, o.dtype)]));
    } else if (a === undefined) {
      tr.bind(asTensor(out), reduce(tr, reduceOp, tr.name(x), null, false));
    } else {
      const { values, indices } = out as { values: Tensor; indices: Tensor };
      const keep = keepDimArg(args[1]);
      const d = wrap(a, x.ndim);
      tr.bind(values, reduce(tr, reduceOp, tr.name(x), [d], keep));
      tr.bind(indices, argReduce(tr, reduceOp === "ReduceMax" ? "ArgMax" : "ArgMin", x, d, keep));
    }
  };
}

/** Reshape to `target`, copying (0) the leading dims that keep their size. */
export function reshapeTo(tr: Tracer, x: Tensor, target: readonly number[]): string {
  const t = [...target];
  for (let i = 0; i < Math.min(t.length, x.ndim); i++) {
    if (t[i] === -1 || t[i] !== x.shape[i] || t[i] === 0) break;
    t[i] = 0;
  }
  return tr.g.op("Reshape", [tr.name(x), tr.g.int64(t)]);
}

/** torch.flatten(startDim, endDim) as Flatten (startDim 1 to the end) or a dynamic Reshape. */
export function flattenTo(tr: Tracer, x: Tensor, startDim: number, endDim: number): string | null {
  if (x.ndim === 0) return tr.g.op("Reshape", [tr.name(x), tr.g.int64([1])]);
  const s = wrap(startDim, x.ndim);
  const e = wrap(endDim, x.ndim);
  if (s === e) return null;
  if (s === 1 && e === x.ndim - 1) return tr.g.op("Flatten", [tr.name(x)], [attr.int("axis", 1)]);
  const target = [...new Array<number>(s).fill(0), -1, ...x.shape.slice(e + 1)];
  return tr.g.op("Reshape", [tr.name(x), tr.g.int64(target)]);
}

function castTo(dtype: DType | null): TensorHandler {
  return (tr, x, args, out) => {
    const to = dtype ?? (args[0] as DType);
    tr.bind(asTensor(out), tr.cast(tr.name(x), x.dtype, to));
  };
}

function transposeTo(tr: Tracer, x: Tensor, perm: readonly number[]): string {
  return tr.g.op("Transpose", [tr.name(x)], [attr.ints("perm", perm)]);
}

function expandTo(tr: Tracer, x: Tensor, out: Tensor): string {
  const lead = out.ndim - x.ndim;
  const target = out.shape.map((s, i) => (i >= lead && x.shape[i - lead] === s ? 1 : s));
  return tr.g.op("Expand", [tr.name(x), tr.g.int64(target)]);
}

function splitParts(tr: Tracer, x: Tensor, parts: readonly Tensor[], dim: number): void {
  const d = wrap(dim, x.ndim);
  const sizes = parts.map((p) => p.shape[d]!);
  const outs = tr.g.node(
    "Split",
    [tr.name(x), tr.g.int64(sizes)],
    [attr.int("axis", d)],
    parts.length,
  );
  parts.forEach((p, i) => {
    tr.bind(p, outs[i]!);
  });
}

/** The permutation of movedim(source, destination): moved dims first placed, the rest in order. */
function movedPerm(x: Tensor, args: readonly unknown[]): number[] {
  const list = (v: unknown) => (typeof v === "number" ? [v] : [...(v as number[])]);
  const src = list(args[0]).map((d) => wrap(d, x.ndim));
  const dst = list(args[1]).map((d) => wrap(d, x.ndim));
  const perm = new Array<number>(x.ndim).fill(-1);
  dst.forEach((d, i) => {
    perm[d] = src[i]!;
  });
  const rest = x.shape.map((_, i) => i).filter((i) => !src.includes(i));
  return perm.map((p) => (p === -1 ? rest.shift()! : p));
}

/** The mapped Tensor methods. */
export const TENSOR_HANDLERS: Readonly<Record<string, TensorHandler>> = {
  ...elementwiseHandlers(),
  matmul: arith("MatMul"),
  square: (tr, x, _a, out) => {
    const v = tr.name(x);
    tr.bind(asTensor(out), tr.g.op("Mul", [v, v]));
  },
  lerp: (tr, x, args, out) => {
    const o = asTensor(out);
    const a = tr.operand(x, o.dtype);
    const d = tr.g.op("Sub", [tr.operand(args[0], o.dtype), a]);
    tr.bind(o, tr.g.op("Add", [a, tr.g.op("Mul", [d, tr.operand(args[1], o.dtype)])]));
  },
  clamp: (tr, x, args, out) => {
    const o = asTensor(out);
    const first = args[0];
    // clamp(min, max) or clamp({ min, max })
    const [lo, hi] =
      first !== null && typeof first === "object" && !(first instanceof Tensor)
        ? [(first as { min?: unknown }).min ?? null, (first as { max?: unknown }).max ?? null]
        : [first ?? null, args[1] ?? null];
    let v = tr.operand(x, o.dtype);
    const scalarOrNone = (b: unknown) => b === null || typeof b === "number";
    if (scalarOrNone(lo) && scalarOrNone(hi)) {
      const bound = (b: unknown) => (b === null ? "" : tr.operand(b, o.dtype));
      v = tr.g.op("Clip", [v, bound(lo), bound(hi)]);
    } else {
      if (lo !== null) v = tr.g.op("Max", [v, tr.operand(lo, o.dtype)]);
      if (hi !== null) v = tr.g.op("Min", [v, tr.operand(hi, o.dtype)]);
    }
    tr.bind(o, v);
  },

  sum: reduction("ReduceSum"),
  mean: reduction("ReduceMean"),
  prod: reduction("ReduceProd"),
  amax: reduction("ReduceMax"),
  amin: reduction("ReduceMin"),
  logsumexp: reduction("ReduceLogSumExp"),
  max: minMax("ReduceMax", "Max"),
  min: minMax("ReduceMin", "Min"),
  argmax: (tr, x, args, out) =>
    tr.bind(
      asTensor(out),
      argReduce(tr, "ArgMax", x, (args[0] as number | null) ?? null, keepDimArg(args[1])),
    ),
  argmin: (tr, x, args, out) =>
    tr.bind(
      asTensor(out),
      argReduce(tr, "ArgMin", x, (args[0] as number | null) ?? null, keepDimArg(args[1])),
    ),

  reshape: (tr, x, args, out) => tr.bind(asTensor(out), reshapeTo(tr, x, shapeArg(args))),
  view: (tr, x, args, out) => tr.bind(asTensor(out), reshapeTo(tr, x, shapeArg(args))),
  flatten: (tr, x, args, out) => {
    const v = flattenTo(tr, x, (args[0] as number) ?? 0, (args[1] as number) ?? -1);
    if (v === null) tr.alias(asTensor(out), x);
    else tr.bind(asTensor(out), v);
  },
  squeeze: (tr, x, args, out) => {
    const d = args[0] as number | undefined;
    const axes =
      d === undefined
        ? x.shape.flatMap((s, i) => (s === 1 ? [i] : []))
        : x.shape[wrap(d, x.ndim)] === 1
          ? [wrap(d, x.ndim)]
          : [];
    if (axes.length === 0) tr.alias(asTensor(out), x);
    else tr.bind(asTensor(out), tr.g.op("Squeeze", [tr.name(x), tr.g.int64(axes)]));
  },
  unsqueeze: (tr, x, args, out) => {
    const d = wrap(args[0] as number, x.ndim + 1);
    tr.bind(asTensor(out), tr.g.op("Unsqueeze", [tr.name(x), tr.g.int64([d])]));
  },
  permute: (tr, x, args, out) =>
    tr.bind(
      asTensor(out),
      transposeTo(
        tr,
        x,
        shapeArg(args).map((d) => wrap(d, x.ndim)),
      ),
    ),
  transpose: (tr, x, args, out) => {
    const perm = x.shape.map((_, i) => i);
    const a = wrap(args[0] as number, x.ndim);
    const b = wrap(args[1] as number, x.ndim);
    [perm[a], perm[b]] = [perm[b]!, perm[a]!];
    tr.bind(asTensor(out), transposeTo(tr, x, perm));
  },
  t: (tr, x, _a, out) => {
    if (x.ndim < 2) tr.alias(asTensor(out), x);
    else tr.bind(asTensor(out), transposeTo(tr, x, [1, 0]));
  },
  expand: (tr, x, _a, out) => tr.bind(asTensor(out), expandTo(tr, x, asTensor(out))),
  expandAs: (tr, x, _a, out) => tr.bind(asTensor(out), expandTo(tr, x, asTensor(out))),
  narrow: (tr, x, args, out) => {
    const d = wrap(args[0] as number, x.ndim);
    const start = wrap(args[1] as number, x.shape[d]!);
    const ends = [start + (args[2] as number)];
    const v = tr.g.op("Slice", [
      tr.name(x),
      tr.g.int64([start]),
      tr.g.int64(ends),
      tr.g.int64([d]),
    ]);
    tr.bind(asTensor(out), v);
  },
  select: (tr, x, args, out) => {
    const d = wrap(args[0] as number, x.ndim);
    const i = wrap(args[1] as number, x.shape[d]!);
    const v = tr.g.op("Gather", [tr.name(x), tr.g.int64([i], true)], [attr.int("axis", d)]);
    tr.bind(asTensor(out), v);
  },
  split: (tr, x, args, out) => splitParts(tr, x, out as Tensor[], (args[1] as number) ?? 0),
  chunk: (tr, x, args, out) => splitParts(tr, x, out as Tensor[], (args[1] as number) ?? 0),
  repeat: (tr, x, args, out) => {
    const sizes = shapeArg(args);
    const lead = sizes.length - x.ndim;
    let v = tr.name(x);
    if (lead > 0) {
      const axes = Array.from({ length: lead }, (_, i) => i);
      v = tr.g.op("Unsqueeze", [v, tr.g.int64(axes)]);
    }
    tr.bind(asTensor(out), tr.g.op("Tile", [v, tr.g.int64(sizes)]));
  },
  gather: (tr, x, args, out) => {
    const d = wrap(args[0] as number, x.ndim);
    const v = tr.g.op(
      "GatherElements",
      [tr.name(x), tr.name(args[1] as Tensor)],
      [attr.int("axis", d)],
    );
    tr.bind(asTensor(out), v);
  },
  indexSelect: (tr, x, args, out) => {
    const d = wrap(args[0] as number, x.ndim);
    const idx = args[1];
    const i = Array.isArray(idx) ? tr.g.int64(idx as number[]) : tr.name(idx as Tensor);
    tr.bind(asTensor(out), tr.g.op("Gather", [tr.name(x), i], [attr.int("axis", d)]));
  },
  maskedFill: (tr, x, args, out) => {
    const o = asTensor(out);
    const v = tr.g.op("Where", [
      tr.operand(args[0], "bool"),
      tr.operand(args[1], o.dtype),
      tr.operand(x, o.dtype),
    ]);
    tr.bind(o, v);
  },

  // Products and moves that hand-written attention uses (issue 18).
  mm: arith("MatMul"),
  bmm: arith("MatMul"),
  swapaxes: (tr, x, args, out) => TENSOR_HANDLERS.transpose!(tr, x, args, out),
  swapdims: (tr, x, args, out) => TENSOR_HANDLERS.transpose!(tr, x, args, out),
  movedim: (tr, x, args, out) => tr.bind(asTensor(out), transposeTo(tr, x, movedPerm(x, args))),
  moveaxis: (tr, x, args, out) => tr.bind(asTensor(out), transposeTo(tr, x, movedPerm(x, args))),
  viewAs: (tr, x, args, out) => tr.bind(asTensor(out), reshapeTo(tr, x, (args[0] as Tensor).shape)),
  reshapeAs: (tr, x, args, out) =>
    tr.bind(asTensor(out), reshapeTo(tr, x, (args[0] as Tensor).shape)),
  unbind: (tr, x, args, out) => {
    const d = wrap((args[0] as number | undefined) ?? 0, x.ndim);
    const parts = out as Tensor[];
    const ones = tr.g.int64(parts.map(() => 1));
    const pieces = tr.g.node("Split", [tr.name(x), ones], [attr.int("axis", d)], parts.length);
    parts.forEach((p, i) => {
      tr.bind(p, tr.g.op("Squeeze", [pieces[i]!, tr.g.int64([d])]));
    });
  },

  detach: alias(),
  contiguous: alias(),
  clone: alias(),
  to: castTo(null),
  float: castTo("float32"),
  double: castTo("float64"),
  int: castTo("int32"),
  bool: castTo("bool"),
};
