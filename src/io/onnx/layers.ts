// ONNX forms of the nn layers (opset 13 to 17), recorded whole instead of the Tensor ops inside
// their forward: Linear → Gemm (MatMul + Add beyond 2-D), Conv → Conv, pooling, BatchNorm in
// eval → BatchNormalization, LayerNorm (LayerNormalization at opset 17, decomposed below), the
// activations, Dropout → identity, Embedding → Gather. Depends on src/nn and the tracer.

import { ValueError } from "../../core/errors.ts";
import { implicitSoftmaxDim } from "../../nn/functional/activation.ts";
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv1d,
  Conv2d,
  Dropout,
  Dropout2d,
  ELU,
  Embedding,
  GELU,
  Hardtanh,
  LayerNorm,
  LeakyReLU,
  Linear,
  LogSoftmax,
  MaxPool1d,
  MaxPool2d,
  ReLU,
  Sigmoid,
  SiLU,
  Softmax,
  Softplus,
  Tanh,
} from "../../nn/index.ts";
import type { AnyModule } from "../../nn/module.ts";
import { ones, zeros } from "../../ops/creation.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { attr } from "./graph.ts";
import type { AttributeJson } from "./schema.ts";
import { reduce } from "./tensor-ops.ts";
import type { LayerEntry, LayerHandler, Tracer } from "./trace.ts";

type IntOrPair = number | readonly number[];

function tuple(v: IntOrPair, n: number): number[] {
  return typeof v === "number" ? new Array<number>(n).fill(v) : [...v];
}

/** Runs `fn` on a batched view of x (adding a batch dim to unbatched input, then removing it). */
function batched(tr: Tracer, x: Tensor, spatial: number, fn: (v: string) => string): string {
  if (x.ndim === spatial + 2) return fn(tr.name(x));
  const zero = () => tr.g.int64([0]);
  const v = fn(tr.g.op("Unsqueeze", [tr.name(x), zero()]));
  return tr.g.op("Squeeze", [v, zero()]);
}

/** An elementwise layer: `make(tr, x, module)` gives the output value. */
function act<M extends AnyModule>(make: (tr: Tracer, x: string, m: M, t: Tensor) => string) {
  return ((tr, m, x, out) => tr.bind(out, make(tr, tr.name(x), m as M, x))) as LayerHandler;
}

const linear: LayerHandler = (tr, module, x, out) => {
  const m = module as Linear;
  const w = tr.name(m.weight);
  const b = m.bias === null ? null : tr.name(m.bias);
  if (x.ndim === 2) {
    const inputs = b === null ? [tr.name(x), w] : [tr.name(x), w, b];
    tr.bind(out, tr.g.op("Gemm", inputs, [attr.int("transB", 1)]));
    return;
  }
  const wt = tr.g.op("Transpose", [w], [attr.ints("perm", [1, 0])]);
  const y = tr.g.op("MatMul", [tr.name(x), wt]);
  tr.bind(out, b === null ? y : tr.g.op("Add", [y, b]));
};

function conv(n: number): LayerHandler {
  return (tr, module, x, out) => {
    const m = module as Conv2d | Conv1d;
    const k = m.kernelSize;
    let begin: number[];
    let end: number[];
    if (m.padding === "same") {
      const total = k.map((ks, i) => m.dilation[i]! * (ks - 1));
      begin = total.map((t) => Math.floor(t / 2));
      end = total.map((t, i) => t - begin[i]!);
    } else if (m.padding === "valid") {
      begin = new Array<number>(n).fill(0);
      end = begin;
    } else {
      begin = [...m.padding];
      end = begin;
    }
    const attrs = [
      attr.ints("kernel_shape", k),
      attr.ints("strides", m.stride),
      attr.ints("pads", [...begin, ...end]),
      attr.ints("dilations", m.dilation),
      attr.int("group", m.groups),
    ];
    const w = tr.name(m.weight);
    const b = m.bias === null ? [] : [tr.name(m.bias)];
    tr.bind(
      out,
      batched(tr, x, n, (v) => tr.g.op("Conv", [v, w, ...b], attrs)),
    );
  };
}

interface PoolFields {
  kernelSize: IntOrPair;
  stride: IntOrPair;
  padding: IntOrPair;
  ceilMode: boolean;
}

function poolAttrs(m: PoolFields, n: number): AttributeJson[] {
  const p = tuple(m.padding, n);
  return [
    attr.ints("kernel_shape", tuple(m.kernelSize, n)),
    attr.ints("strides", tuple(m.stride, n)),
    attr.ints("pads", [...p, ...p]),
    attr.int("ceil_mode", m.ceilMode ? 1 : 0),
  ];
}

function maxPool(n: number): LayerHandler {
  return (tr, module, x, out) => {
    const m = module as MaxPool2d | MaxPool1d;
    const attrs = [...poolAttrs(m, n), attr.ints("dilations", tuple(m.dilation, n))];
    tr.bind(
      out,
      batched(tr, x, n, (v) => tr.g.op("MaxPool", [v], attrs)),
    );
  };
}

const avgPool: LayerHandler = (tr, module, x, out) => {
  const m = module as AvgPool2d;
  if (m.divisorOverride !== null) {
    throw new ValueError("exportOnnx: no ONNX mapping for AvgPool2d with divisorOverride");
  }
  const attrs = [...poolAttrs(m, 2), attr.int("count_include_pad", m.countIncludePad ? 1 : 0)];
  tr.bind(
    out,
    batched(tr, x, 2, (v) => tr.g.op("AveragePool", [v], attrs)),
  );
};

const adaptiveAvgPool: LayerHandler = (tr, module, x, out) => {
  const m = module as AdaptiveAvgPool2d;
  const inHW = x.shape.slice(-2);
  const outHW = out.shape.slice(-2);
  if (outHW.every((s) => s === 1)) {
    tr.bind(
      out,
      batched(tr, x, 2, (v) => tr.g.op("GlobalAveragePool", [v])),
    );
    return;
  }
  if (inHW.every((s, i) => s % outHW[i]! === 0)) {
    const k = inHW.map((s, i) => s / outHW[i]!);
    const attrs = [attr.ints("kernel_shape", k), attr.ints("strides", k)];
    tr.bind(
      out,
      batched(tr, x, 2, (v) => tr.g.op("AveragePool", [v], attrs)),
    );
    return;
  }
  throw new ValueError(
    `exportOnnx: no ONNX mapping for AdaptiveAvgPool2d(output_size=${String(m.outputSize)}) on ` +
      `${inHW.join("x")} input (only 1x1 outputs and sizes that divide the input are exported)`,
  );
};

const batchNorm: LayerHandler = (tr, module, x, out) => {
  const m = module as BatchNorm1d | BatchNorm2d;
  const mean = m.runningMean;
  const variance = m.runningVar;
  if (mean === null || variance === null) {
    throw new ValueError(
      `exportOnnx: no ONNX mapping for ${m.constructor.name} without running statistics (trackRunningStats: false)`,
    );
  }
  const c = [m.numFeatures];
  const scale = tr.name(m.weight ?? ones(c, { dtype: x.dtype }));
  const bias = tr.name(m.bias ?? zeros(c, { dtype: x.dtype }));
  const inputs = [tr.name(x), scale, bias, tr.name(mean), tr.name(variance)];
  tr.bind(out, tr.g.op("BatchNormalization", inputs, [attr.float("epsilon", m.eps)]));
};

const layerNorm: LayerHandler = (tr, module, x, out) => {
  const m = module as LayerNorm;
  const k = m.normalizedShape.length;
  const xs = tr.name(x);
  if (tr.opset >= 17) {
    const scale = tr.name(m.weight ?? ones(m.normalizedShape, { dtype: x.dtype }));
    const inputs = m.bias === null ? [xs, scale] : [xs, scale, tr.name(m.bias)];
    const attrs = [attr.int("axis", -k), attr.float("epsilon", m.eps)];
    tr.bind(out, tr.g.op("LayerNormalization", inputs, attrs));
    return;
  }
  // y = (x − E[x]) / √(Var[x] + ε) · w + b over the last k dims (biased variance, as PyTorch).
  const axes = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  const centered = tr.g.op("Sub", [xs, reduce(tr, "ReduceMean", xs, axes, true)]);
  const sq = tr.g.op("Mul", [centered, centered]);
  const variance = reduce(tr, "ReduceMean", sq, axes, true);
  const std = tr.g.op("Sqrt", [tr.g.op("Add", [variance, tr.g.scalar(m.eps, x.dtype)])]);
  let y = tr.g.op("Div", [centered, std]);
  if (m.weight !== null) y = tr.g.op("Mul", [y, tr.name(m.weight)]);
  if (m.bias !== null) y = tr.g.op("Add", [y, tr.name(m.bias)]);
  tr.bind(out, y);
};

const identity: LayerHandler = (tr, _m, x, out) => tr.alias(out, x);

/** ½x(1 + erf(x/√2)), or the tanh form ½x(1 + tanh(√(2/π)(x + 0.044715x³))), as Kiln's gelu. */
function gelu(tr: Tracer, x: string, m: GELU, t: Tensor): string {
  const c = (v: number) => tr.g.scalar(v, t.dtype);
  let inner: string;
  if (m.approximate === "tanh") {
    const cube = tr.g.op("Mul", [tr.g.op("Mul", [x, x]), x]);
    const poly = tr.g.op("Add", [x, tr.g.op("Mul", [cube, c(0.044715)])]);
    inner = tr.g.op("Tanh", [tr.g.op("Mul", [poly, c(Math.sqrt(2 / Math.PI))])]);
  } else inner = tr.g.op("Erf", [tr.g.op("Mul", [x, c(Math.SQRT1_2)])]);
  return tr.g.op("Mul", [tr.g.op("Mul", [x, c(0.5)]), tr.g.op("Add", [inner, c(1)])]);
}

/** The layer classes exported whole, with their handlers. */
export const LAYER_HANDLERS: readonly LayerEntry[] = [
  [Linear, linear],
  [Conv1d, conv(1)],
  [Conv2d, conv(2)],
  [MaxPool1d, maxPool(1)],
  [MaxPool2d, maxPool(2)],
  [AvgPool2d, avgPool],
  [AdaptiveAvgPool2d, adaptiveAvgPool],
  [BatchNorm1d, batchNorm],
  [BatchNorm2d, batchNorm],
  [LayerNorm, layerNorm],
  [Dropout, identity],
  [Dropout2d, identity],
  [
    Embedding,
    (tr, module, x, out) => {
      const w = tr.name((module as Embedding).weight);
      tr.bind(out, tr.g.op("Gather", [w, tr.name(x)], [attr.int("axis", 0)]));
    },
  ],
  [ReLU, act((tr, x) => tr.g.op("Relu", [x]))],
  [
    LeakyReLU,
    act<LeakyReLU>((tr, x, m) => tr.g.op("LeakyRelu", [x], [attr.float("alpha", m.negativeSlope)])),
  ],
  [ELU, act<ELU>((tr, x, m) => tr.g.op("Elu", [x], [attr.float("alpha", m.alpha)]))],
  [GELU, act<GELU>(gelu)],
  [SiLU, act((tr, x) => tr.g.op("Mul", [x, tr.g.op("Sigmoid", [x])]))],
  [Sigmoid, act((tr, x) => tr.g.op("Sigmoid", [x]))],
  [Tanh, act((tr, x) => tr.g.op("Tanh", [x]))],
  [
    Softmax,
    act<Softmax>((tr, x, m, t) =>
      tr.g.op("Softmax", [x], [attr.int("axis", wrapDim(m.dim ?? implicitSoftmaxDim(t.ndim), t))]),
    ),
  ],
  [
    LogSoftmax,
    act<LogSoftmax>((tr, x, m, t) =>
      tr.g.op(
        "LogSoftmax",
        [x],
        [attr.int("axis", wrapDim(m.dim ?? implicitSoftmaxDim(t.ndim), t))],
      ),
    ),
  ],
  [
    Softplus,
    // NOTE: ONNX Softplus has no threshold; above it PyTorch returns x, and log(1 + eˣ) differs
    // from x there by less than e^−threshold (2e-9 at the default 20).
    act<Softplus>((tr, x, m, t) => {
      if (m.beta === 1) return tr.g.op("Softplus", [x]);
      const beta = tr.g.scalar(m.beta, t.dtype);
      return tr.g.op("Div", [tr.g.op("Softplus", [tr.g.op("Mul", [x, beta])]), beta]);
    }),
  ],
  [
    Hardtanh,
    act<Hardtanh>((tr, x, m, t) =>
      tr.g.op("Clip", [x, tr.g.scalar(m.minVal, t.dtype), tr.g.scalar(m.maxVal, t.dtype)]),
    ),
  ],
];

function wrapDim(d: number, t: Tensor): number {
  return d < 0 ? d + t.ndim : d;
}
