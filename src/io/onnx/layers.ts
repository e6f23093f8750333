// ONNX forms of the nn layers (opset 13 to 17), recorded whole instead of the Tensor ops inside
// their forward: Linear → Gemm (MatMul + Add beyond 2-D), Conv1d/2d/3d → Conv, 1-D to 3-D
// pooling, BatchNorm in eval → BatchNormalization, LayerNorm (LayerNormalization at opset 17,
// decomposed below), the activations, Dropout → identity, Embedding → Gather; the N-d, activation
// and recurrent layers of issue 18 are in layers-*.ts. Depends on src/nn and the tracer.

import { ValueError } from "../../core/errors.ts";
import { implicitSoftmaxDim } from "../../nn/functional/activation.ts";
import {
  AdaptiveAvgPool1d,
  AdaptiveAvgPool2d,
  AdaptiveAvgPool3d,
  AdaptiveMaxPool1d,
  AdaptiveMaxPool2d,
  AdaptiveMaxPool3d,
  AvgPool1d,
  AvgPool2d,
  AvgPool3d,
  BatchNorm1d,
  BatchNorm2d,
  BatchNorm3d,
  Conv1d,
  Conv2d,
  Conv3d,
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
  MaxPool3d,
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
import { ACTIVATION_HANDLERS } from "./layers-activation.ts";
import { ND_HANDLERS } from "./layers-nd.ts";
import { RNN_HANDLERS } from "./layers-rnn.ts";
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
    const m = module as Conv1d | Conv2d | Conv3d;
    if (m.paddingMode !== "zeros") {
      const instead =
        m.paddingMode === "circular"
          ? ""
          : `; put an nn.${m.paddingMode === "reflect" ? "Reflection" : "Replication"}Pad${n}d layer before a conv with padding 0 instead`;
      throw new ValueError(
        `exportOnnx: ${m.constructor.name} with paddingMode "${m.paddingMode}" has no ONNX mapping ` +
          `yet (only "zeros")${instead}`,
      );
    }
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
    const m = module as MaxPool1d | MaxPool2d | MaxPool3d;
    if (m.returnIndices) {
      throw new ValueError(
        `exportOnnx: ${m.constructor.name} with returnIndices: true has no ONNX mapping yet`,
      );
    }
    const attrs = [...poolAttrs(m, n), attr.ints("dilations", tuple(m.dilation, n))];
    tr.bind(
      out,
      batched(tr, x, n, (v) => tr.g.op("MaxPool", [v], attrs)),
    );
  };
}

function avgPool(n: number): LayerHandler {
  return (tr, module, x, out) => {
    const m = module as AvgPool2d | AvgPool3d | (AvgPool1d & { divisorOverride?: undefined });
    const divisor = m.divisorOverride ?? null;
    const k = tuple(m.kernelSize, n);
    if (divisor !== null && m.ceilMode) {
      throw new ValueError(
        `exportOnnx: no ONNX mapping for ${m.constructor.name} with divisorOverride and ceilMode: true`,
      );
    }
    // With divisorOverride (and no ceil mode) every window lies inside the padded input, so the
    // window sum is the count_include_pad mean times the window volume.
    const include = m.countIncludePad || divisor !== null;
    const attrs = [...poolAttrs(m, n), attr.int("count_include_pad", include ? 1 : 0)];
    tr.bind(
      out,
      batched(tr, x, n, (v) => {
        const y = tr.g.op("AveragePool", [v], attrs);
        if (divisor === null) return y;
        const volume = k.reduce((a, b) => a * b, 1);
        return tr.g.op("Mul", [y, tr.g.scalar(volume / divisor, x.dtype)]);
      }),
    );
  };
}

/** Adaptive pooling: Global{op}Pool for all-1 outputs, {op}Pool when each output size divides. */
function adaptivePool(n: number, op: "Average" | "Max"): LayerHandler {
  return (tr, module, x, out) => {
    const m = module as AdaptiveAvgPool2d & { returnIndices?: boolean };
    if (m.returnIndices === true) {
      throw new ValueError(
        `exportOnnx: ${m.constructor.name} with returnIndices: true has no ONNX mapping yet`,
      );
    }
    const inSp = x.shape.slice(-n);
    const outSp = out.shape.slice(-n);
    if (outSp.every((s) => s === 1)) {
      tr.bind(
        out,
        batched(tr, x, n, (v) => tr.g.op(`Global${op}Pool`, [v])),
      );
      return;
    }
    if (inSp.every((s, i) => s % outSp[i]! === 0)) {
      const k = inSp.map((s, i) => s / outSp[i]!);
      const attrs = [attr.ints("kernel_shape", k), attr.ints("strides", k)];
      tr.bind(
        out,
        batched(tr, x, n, (v) => tr.g.op(`${op}Pool`, [v], attrs)),
      );
      return;
    }
    throw new ValueError(
      `exportOnnx: no ONNX mapping for ${m.constructor.name}(output_size=${JSON.stringify(m.outputSize)}) ` +
        `on ${inSp.join("x")} input (only all-1 outputs and sizes that divide the input are exported)`,
    );
  };
}

const batchNorm: LayerHandler = (tr, module, x, out) => {
  const m = module as BatchNorm1d | BatchNorm2d | BatchNorm3d;
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
  [Conv3d, conv(3)],
  [MaxPool1d, maxPool(1)],
  [MaxPool2d, maxPool(2)],
  [MaxPool3d, maxPool(3)],
  [AvgPool1d, avgPool(1)],
  [AvgPool2d, avgPool(2)],
  [AvgPool3d, avgPool(3)],
  [AdaptiveAvgPool1d, adaptivePool(1, "Average")],
  [AdaptiveAvgPool2d, adaptivePool(2, "Average")],
  [AdaptiveAvgPool3d, adaptivePool(3, "Average")],
  [AdaptiveMaxPool1d, adaptivePool(1, "Max")],
  [AdaptiveMaxPool2d, adaptivePool(2, "Max")],
  [AdaptiveMaxPool3d, adaptivePool(3, "Max")],
  [BatchNorm1d, batchNorm],
  [BatchNorm2d, batchNorm],
  [BatchNorm3d, batchNorm],
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
  ...ACTIVATION_HANDLERS,
  ...RNN_HANDLERS,
  ...ND_HANDLERS,
];

function wrapDim(d: number, t: Tensor): number {
  return d < 0 ? d + t.ndim : d;
}
