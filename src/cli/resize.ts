// Antialiased bilinear resizing of 8-bit images, as torchvision.transforms.functional.resize(img,
// size, antialias=True) on a uint8 tensor (PyTorch's _upsample_bilinear2d_aa; PIL's BILINEAR
// resize uses the same filter). Pure functions over planar bytes; no imports.
// NOTE: a candidate for the library (data.transforms.Resize / a functional resize); it lives in
// the CLI until the library has one.

/** For each output index: the first input index, how many follow, and their weights. */
interface AxisWeights {
  start: Int32Array;
  size: Int32Array;
  /** `outSize * span` weights, row i holding the `size[i]` weights of output i. */
  weights: Float64Array;
  span: number;
}

/** The triangle filter of bilinear interpolation: 1 - |x| on (-1, 1). */
function triangle(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

/**
 * The weights of one axis, as PyTorch's _compute_weights_aa (aten/src/ATen/native/cpu/
 * UpSampleKernel.cpp): scale = in / out; downscaling stretches the filter's support to `scale`
 * input pixels (the antialiasing), upscaling keeps it at 1; weights are normalised to sum to 1.
 */
function axisWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const support = Math.max(scale, 1);
  const invScale = scale >= 1 ? 1 / scale : 1;
  const span = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const size = new Int32Array(outSize);
  const weights = new Float64Array(outSize * span);
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    // NOTE: C++'s int64 cast truncates toward zero, as Math.trunc.
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - lo;
    let total = 0;
    for (let j = 0; j < n; j++) {
      const wgt = triangle((j + lo - center + 0.5) * invScale);
      weights[i * span + j] = wgt;
      total += wgt;
    }
    if (total !== 0) for (let j = 0; j < n; j++) weights[i * span + j]! /= total;
    start[i] = lo;
    size[i] = n;
  }
  return { start, size, weights, span };
}

/** Rounds half to even, as torch.round (torchvision rounds the float result before the cast). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Resizes `channels` planes of `height` x `width` bytes (planar [C, H, W]) to `outHeight` x
 * `outWidth` with antialiased bilinear interpolation: rows first, then columns, in floating point,
 * rounded half to even and clamped to [0, 255] at the end, as torchvision 0.14's resize of a uint8
 * tensor with antialias=True. An axis whose size does not change is copied unchanged.
 */
export function resizeBilinear(
  src: Uint8Array,
  channels: number,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number,
): Uint8Array {
  const mid = new Float64Array(channels * height * outWidth);
  if (outWidth === width) {
    for (let k = 0; k < src.length; k++) mid[k] = src[k]!;
  } else {
    const ax = axisWeights(width, outWidth);
    for (let row = 0; row < channels * height; row++) {
      const inRow = row * width;
      const outRow = row * outWidth;
      for (let x = 0; x < outWidth; x++) {
        let acc = 0;
        const lo = ax.start[x]!;
        for (let j = 0; j < ax.size[x]!; j++)
          acc += ax.weights[x * ax.span + j]! * src[inRow + lo + j]!;
        mid[outRow + x] = acc;
      }
    }
  }
  const out = new Uint8Array(channels * outHeight * outWidth);
  const planeMid = height * outWidth;
  const planeOut = outHeight * outWidth;
  const ay = outHeight === height ? null : axisWeights(height, outHeight);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++) {
        let acc: number;
        if (ay === null) {
          acc = mid[c * planeMid + y * outWidth + x]!;
        } else {
          acc = 0;
          const lo = ay.start[y]!;
          for (let j = 0; j < ay.size[y]!; j++) {
            acc += ay.weights[y * ay.span + j]! * mid[c * planeMid + (lo + j) * outWidth + x]!;
          }
        }
        out[c * planeOut + y * outWidth + x] = Math.min(255, Math.max(0, roundHalfEven(acc)));
      }
    }
  }
  return out;
}
