// torchvision.transforms.functional's normalize, to_tensor and convert_image_dtype on tensors
// (toTensor also takes a RawImage). Depends on core, the Tensor class and the Normalize/ToTensor
// classes' forward rules only.

import {
  arrayOf,
  bool,
  either,
  instanceOf,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { allocate, type DType } from "../../core/dtype.ts";
import { DTypeError } from "../../core/errors.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { imageArg } from "./image.ts";
import { Normalize } from "./normalize.ts";
import { ToTensor } from "./to-tensor.ts";
import type { RawImage } from "./transform.ts";

const NORMALIZE = signature("normalize", {
  tensor: instanceOf(Tensor, "a Tensor"),
  mean: either(num, arrayOf(num)),
  std: either(num, arrayOf(num)),
  inplace: opt(bool, false),
});

/**
 * (x[c] − mean[c]) / std[c] over a float tensor [..., C, H, W], as
 * torchvision.transforms.functional.normalize(tensor, mean, std, inplace=False); `inplace`
 * writes the result into `tensor` and returns it.
 */
export function normalize(
  tensor: Tensor,
  mean: number | readonly number[],
  std: number | readonly number[],
  ...rest: WithOptions<[inplace: boolean], { inplace?: boolean }>
): Tensor {
  const a = parseArgs(NORMALIZE, [tensor, mean, std, ...rest]);
  if (a.tensor.dtype !== "float32" && a.tensor.dtype !== "float64") {
    throw new DTypeError(
      `normalize: Input tensor should be a float tensor. Got ${a.tensor.dtype}.`,
    );
  }
  const y = new Normalize(a.mean, a.std).forward(a.tensor.clone());
  return a.inplace ? a.tensor.copy_(y) : y;
}

/**
 * A RawImage (HWC bytes) or an [H, W, C] tensor as a float32 tensor [C, H, W] (bytes / 255), as
 * torchvision.transforms.functional.to_tensor(pic); see ToTensor.
 */
export function toTensor(pic: Tensor | RawImage): Tensor {
  const a = parseArgs(signature("toTensor", { pic: imageArg }), [pic]);
  return new ToTensor().forward(a.pic);
}

/** The dtypes an image tensor may have (every Kiln dtype but bool). */
export type ImageDType = Exclude<DType, "bool">;
const IMAGE_DTYPES = [
  "float32",
  "float64",
  "float16",
  "bfloat16",
  "uint8",
  "int8",
  "int16",
  "int32",
  "int64",
] as const satisfies readonly ImageDType[];
const isFloat = (d: DType): boolean =>
  d === "float32" || d === "float64" || d === "float16" || d === "bfloat16";
/** torchvision's `_max_value`: the largest value of an integer dtype (int64's as 2^63 − 1 ≈ 2^63). */
const MAX_VALUE: Partial<Record<DType, number>> = {
  uint8: 255,
  int8: 127,
  int16: 32767,
  int32: 2147483647,
  int64: 2 ** 63 - 1,
};

/**
 * Converts an image tensor's dtype and rescales its values, as
 * torchvision.transforms.functional.convert_image_dtype(image, dtype=torch.float): float → float
 * casts; integer → float divides by the integer dtype's maximum (255 for uint8); float → integer
 * multiplies by max + 1 − 1e−3 and truncates (refused from float32 to int32/int64 and float64
 * to int64, which cannot be done safely, as torchvision); integer → integer floor-divides or
 * multiplies by the ratio of (max + 1)s. float16/bfloat16 arithmetic is done in float32 (Kiln's
 * kernels do not compute in 16-bit floats), then cast.
 */
export function convertImageDtype(
  image: Tensor,
  ...rest: WithOptions<[dtype: ImageDType], { dtype?: ImageDType }>
): Tensor {
  const a = parseArgs(
    signature("convertImageDtype", {
      image: instanceOf(Tensor, "a Tensor"),
      dtype: opt(oneOf(...IMAGE_DTYPES), "float32"),
    }),
    [image, ...rest],
  );
  const x = a.image;
  const dtype = a.dtype;
  if (x.dtype === dtype) return x;
  if (x.dtype === "bool") {
    throw new DTypeError("convertImageDtype: expected a float or integer image tensor, got bool");
  }
  const compute = (t: Tensor): Tensor =>
    t.dtype === "float16" || t.dtype === "bfloat16" ? t.to("float32") : t;
  if (isFloat(x.dtype)) {
    if (isFloat(dtype)) return x.to(dtype);
    if (
      (x.dtype === "float32" && (dtype === "int32" || dtype === "int64")) ||
      (x.dtype === "float64" && dtype === "int64")
    ) {
      throw new DTypeError(
        `convertImageDtype: The cast from ${x.dtype} to ${dtype} cannot be performed safely.`,
      );
    }
    return compute(x)
      .mul(MAX_VALUE[dtype]! + 1 - 1e-3)
      .to(dtype);
  }
  const inMax = MAX_VALUE[x.dtype]!;
  if (isFloat(dtype)) {
    const y = compute(x.to(dtype === "float64" ? "float64" : "float32")).div(inMax);
    return y.dtype === dtype ? y : y.to(dtype);
  }
  // Integer to integer, exactly (BigInt for int64).
  const outMax = MAX_VALUE[dtype]!;
  const src = x.contiguous().dataSync() as ArrayLike<number | bigint>;
  const n = src.length;
  const out = allocate(dtype, n) as unknown as { [i: number]: number | bigint; length: number };
  const big = (v: number | bigint): bigint => BigInt(v);
  const inBig = big(x.dtype === "int64" ? 2n ** 63n : inMax + 1);
  const outBig = dtype === "int64" ? 2n ** 63n : big(outMax + 1);
  for (let i = 0; i < n; i++) {
    const v = big(src[i]!);
    let r: bigint;
    if (inBig > outBig) {
      const f = inBig / outBig;
      r = v / f;
      if (v < 0n && r * f !== v) r -= 1n; // floor, as torch.div(rounding_mode="floor")
    } else r = v * (outBig / inBig);
    out[i] = dtype === "int64" ? r : Number(r);
  }
  return Tensor.fromData(out as unknown as Float32Array, x.shape, dtype);
}
