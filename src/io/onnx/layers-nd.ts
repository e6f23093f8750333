// ONNX forms of the resampling and N-d layers of issue 18 (opset 13 to 17): ConvTranspose1d/2d/3d
// → ConvTranspose, InstanceNorm1d/2d/3d → InstanceNormalization (BatchNormalization with running
// stats), Upsample → Resize, PixelShuffle → DepthToSpace, PixelUnshuffle, the padding layers → Pad.
// Recorded whole as layers.ts records the others; depends on src/nn and the tracer only.

import { ValueError } from "../../core/errors.ts";
import {
  ConstantPad1d,
  ConstantPad2d,
  ConstantPad3d,
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
  InstanceNorm1d,
  InstanceNorm2d,
  InstanceNorm3d,
  PixelShuffle,
  PixelUnshuffle,
  ReflectionPad1d,
  ReflectionPad2d,
  ReflectionPad3d,
  ReplicationPad1d,
  ReplicationPad2d,
  ReplicationPad3d,
  Upsample,
  ZeroPad2d,
} from "../../nn/index.ts";
import { ones, tensor, zeros } from "../../ops/creation.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { attr } from "./graph.ts";
import type { AttributeJson } from "./schema.ts";
import type { LayerEntry, LayerHandler, Tracer } from "./trace.ts";

/** Runs `fn` on a batched view of x (adding a batch dim to unbatched input, then removing it). */
function batched(tr: Tracer, x: Tensor, spatial: number, fn: (v: string) => string): string {
  if (x.ndim === spatial + 2) return fn(tr.name(x));
  const zero = () => tr.g.int64([0]);
  const v = fn(tr.g.op("Unsqueeze", [tr.name(x), zero()]));
  return tr.g.op("Squeeze", [v, zero()]);
}

/**
 * ConvTranspose with PyTorch's pads on both sides; the output padding is read off the traced
 * output, so a forward `outputSize` argument exports as the output_padding it picked.
 */
function convTranspose(n: number): LayerHandler {
  return (tr, module, x, out) => {
    const m = module as ConvTranspose1d | ConvTranspose2d | ConvTranspose3d;
    const inSp = x.shape.slice(-n);
    const outSp = out.shape.slice(-n);
    const k = m.kernelSize;
    const outputPadding = outSp.map(
      (o, d) =>
        o - ((inSp[d]! - 1) * m.stride[d]! - 2 * m.padding[d]! + m.dilation[d]! * (k[d]! - 1) + 1),
    );
    const attrs = [
      attr.ints("kernel_shape", k),
      attr.ints("strides", m.stride),
      attr.ints("pads", [...m.padding, ...m.padding]),
      attr.ints("output_padding", outputPadding),
      attr.ints("dilations", m.dilation),
      attr.int("group", m.groups),
    ];
    const w = tr.name(m.weight);
    const b = m.bias === null ? [] : [tr.name(m.bias)];
    tr.bind(
      out,
      batched(tr, x, n, (v) => tr.g.op("ConvTranspose", [v, w, ...b], attrs)),
    );
  };
}

/**
 * InstanceNormalization (per-sample statistics); in eval with trackRunningStats PyTorch
 * normalises by the running statistics instead, which is BatchNormalization's eval form.
 */
function instanceNorm(n: number): LayerHandler {
  return (tr, module, x, out) => {
    const m = module as InstanceNorm1d | InstanceNorm2d | InstanceNorm3d;
    const c = [m.numFeatures];
    const scale = tr.name(m.weight ?? ones(c, { dtype: x.dtype }));
    const bias = tr.name(m.bias ?? zeros(c, { dtype: x.dtype }));
    const eps = [attr.float("epsilon", m.eps)];
    const mean = m.runningMean;
    const variance = m.runningVar;
    const running = m.trackRunningStats && !m.training && mean !== null && variance !== null;
    tr.bind(
      out,
      batched(tr, x, n, (v) =>
        running
          ? tr.g.op("BatchNormalization", [v, scale, bias, tr.name(mean), tr.name(variance)], eps)
          : tr.g.op("InstanceNormalization", [v, scale, bias], eps),
      ),
    );
  };
}

/** Resize's attributes for an interpolate mode, matching PyTorch's source-index formulas. */
function resizeAttrs(m: Upsample): AttributeJson[] {
  const s = attr.string;
  const ctm = (mode: string) => s("coordinate_transformation_mode", mode);
  const linearCtm = ctm(m.alignCorners === true ? "align_corners" : "half_pixel");
  switch (m.mode) {
    case "nearest":
      // src = ⌊dst / scale⌋: "asymmetric" with floor rounding.
      return [s("mode", "nearest"), ctm("asymmetric"), s("nearest_mode", "floor")];
    case "nearest-exact":
      // src = ⌊(dst + ½) / scale⌋ = round-half-up of the half_pixel source.
      return [s("mode", "nearest"), ctm("half_pixel"), s("nearest_mode", "round_prefer_ceil")];
    case "linear":
    case "bilinear":
    case "trilinear":
      // NOTE: "half_pixel", not "pytorch_half_pixel": PyTorch maps a length-1 output to
      // (½)·in − ½ (clamped at 0) like half_pixel, not to 0.
      return [s("mode", "linear"), linearCtm];
    case "bicubic":
      return [s("mode", "cubic"), linearCtm, attr.float("cubic_coeff_a", -0.75)];
    default:
      throw new ValueError(`exportOnnx: no Resize mode for ${m.constructor.name} mode "${m.mode}"`);
  }
}

/** Upsample (and UpsamplingNearest2d / UpsamplingBilinear2d) → Resize, or AveragePool for area. */
const upsample: LayerHandler = (tr, module, x, out) => {
  const m = module as Upsample;
  const inSp = x.shape.slice(2);
  const outSp = out.shape.slice(2);
  if (m.mode === "area") {
    // area is adaptive average pooling: a plain AveragePool when each output size divides.
    if (!inSp.every((v, i) => v % outSp[i]! === 0)) {
      throw new ValueError(
        `exportOnnx: no ONNX mapping for ${m.constructor.name} mode "area" from ` +
          `${inSp.join("x")} to ${outSp.join("x")} (only output sizes that divide the input)`,
      );
    }
    const k = inSp.map((v, i) => v / outSp[i]!);
    const attrs = [attr.ints("kernel_shape", k), attr.ints("strides", k)];
    tr.bind(out, tr.g.op("AveragePool", [tr.name(x)], attrs));
    return;
  }
  const attrs = resizeAttrs(m);
  let inputs: string[];
  if (m.scaleFactor !== null && m.recomputeScaleFactor !== true) {
    // PyTorch maps output to source positions with 1/scaleFactor, as Resize does with `scales`.
    const sf = m.scaleFactor;
    const perDim = typeof sf === "number" ? inSp.map(() => sf) : [...sf];
    const scales = tensor([1, 1, ...perDim], { dtype: "float32" });
    inputs = [tr.name(x), "", tr.g.tensor(scales)];
  } else {
    // With a size (or a recomputed scale) both use in/out, as Resize does with `sizes`; N and C
    // come from the input's shape, so a dynamic batch dimension stays dynamic.
    const nc = tr.g.op("Slice", [tr.g.op("Shape", [tr.name(x)]), tr.g.int64([0]), tr.g.int64([2])]);
    const sizes = tr.g.op("Concat", [nc, tr.g.int64(outSp)], [attr.int("axis", 0)]);
    inputs = [tr.name(x), "", "", sizes];
  }
  tr.bind(out, tr.g.op("Resize", inputs, attrs));
};

const reshape = (tr: Tracer, v: string, shape: readonly number[]) =>
  tr.g.op("Reshape", [v, tr.g.int64(shape)]);

/** The final shape of the Reshape/Transpose forms: N copied (Reshape's 0) for 4-D input. */
const finalShape = (x: Tensor, out: Tensor) =>
  x.ndim === 4 ? [0, ...out.shape.slice(1)] : out.shape;

/** [*, C·r², H, W] → [*, C, H·r, W·r]: DepthToSpace (CRD is PyTorch's channel order). */
const pixelShuffle: LayerHandler = (tr, module, x, out) => {
  const r = (module as PixelShuffle).upscaleFactor;
  if (x.ndim === 3 || x.ndim === 4) {
    const attrs = [attr.int("blocksize", r), attr.string("mode", "CRD")];
    tr.bind(
      out,
      batched(tr, x, 2, (v) => tr.g.op("DepthToSpace", [v], attrs)),
    );
    return;
  }
  const [c, h, w] = out.shape.slice(-3) as [number, number, number];
  const v = reshape(tr, tr.name(x), [-1, c, r, r, h / r, w / r]);
  const t = tr.g.op("Transpose", [v], [attr.ints("perm", [0, 1, 4, 2, 5, 3])]);
  tr.bind(out, reshape(tr, t, finalShape(x, out)));
};

/**
 * [*, C, H·r, W·r] → [*, C·r², H, W]. ONNX SpaceToDepth orders the output channels block-major
 * (DCR), PyTorch channel-major, so they agree only for C = 1; otherwise Reshape/Transpose.
 */
const pixelUnshuffle: LayerHandler = (tr, module, x, out) => {
  const r = (module as PixelUnshuffle).downscaleFactor;
  const [c, h, w] = x.shape.slice(-3) as [number, number, number];
  if (c === 1 && (x.ndim === 3 || x.ndim === 4)) {
    tr.bind(
      out,
      batched(tr, x, 2, (v) => tr.g.op("SpaceToDepth", [v], [attr.int("blocksize", r)])),
    );
    return;
  }
  const v = reshape(tr, tr.name(x), [-1, c, h / r, r, w / r, r]);
  const t = tr.g.op("Transpose", [v], [attr.ints("perm", [0, 1, 3, 5, 2, 4])]);
  tr.bind(out, reshape(tr, t, finalShape(x, out)));
};

/** A padding layer → Pad: PyTorch's last-dim-first (begin, end) pairs become ONNX's pads. */
function pad(mode: "constant" | "reflect" | "edge"): LayerHandler {
  return (tr, module, x, out) => {
    const m = module as ConstantPad2d;
    const begin = new Array<number>(x.ndim).fill(0);
    const end = new Array<number>(x.ndim).fill(0);
    for (let k = 0; 2 * k < m.padding.length; k++) {
      begin[x.ndim - 1 - k] = m.padding[2 * k]!;
      end[x.ndim - 1 - k] = m.padding[2 * k + 1]!;
    }
    const inputs = [tr.name(x), tr.g.int64([...begin, ...end])];
    if (mode === "constant") inputs.push(tr.g.scalar(m.value, x.dtype));
    tr.bind(out, tr.g.op("Pad", inputs, [attr.string("mode", mode)]));
  };
}

/** The N-d and resampling layer classes of issue 18, with their handlers (spread into LAYER_HANDLERS). */
export const ND_HANDLERS: readonly LayerEntry[] = [
  [ConvTranspose1d, convTranspose(1)],
  [ConvTranspose2d, convTranspose(2)],
  [ConvTranspose3d, convTranspose(3)],
  [InstanceNorm1d, instanceNorm(1)],
  [InstanceNorm2d, instanceNorm(2)],
  [InstanceNorm3d, instanceNorm(3)],
  [Upsample, upsample],
  [PixelShuffle, pixelShuffle],
  [PixelUnshuffle, pixelUnshuffle],
  [ConstantPad1d, pad("constant")],
  [ConstantPad2d, pad("constant")],
  [ConstantPad3d, pad("constant")],
  [ZeroPad2d, pad("constant")],
  [ReflectionPad1d, pad("reflect")],
  [ReflectionPad2d, pad("reflect")],
  [ReflectionPad3d, pad("reflect")],
  [ReplicationPad1d, pad("edge")],
  [ReplicationPad2d, pad("edge")],
  [ReplicationPad3d, pad("edge")],
];
