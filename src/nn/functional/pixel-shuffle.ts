// torch.nn.functional.pixel_shuffle / pixel_unshuffle and the deprecated interpolate aliases
// upsample, upsample_nearest and upsample_bilinear, with PyTorch's signatures and checks.
// Depends on src/ops, core and interpolate.ts only.

import { checkArity, int, parseArgs, signature, type WithOptions } from "../../core/args.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { tensorArg } from "./args.ts";
import { INTERPOLATE_ARGS, type InterpolateMode, interpolate } from "./interpolate.ts";

/** PyTorch's checks of a pixel (un)shuffle: a positive factor `r`, an input of 3+ dims. */
function checkPixelArgs(op: string, torchName: string, what: string, r: number, t: Tensor): void {
  if (r <= 0) throw new ValueError(`${op}: ${torchName} expects a positive ${what}, but got ${r}`);
  if (t.ndim < 3)
    throw new ShapeError(
      `${op}: ${torchName} expects its input to have at least 3 dimensions, but got input with ${t.ndim} dimension(s)`,
    );
}

/**
 * Rearranges `[*, C·r², H, W]` into `[*, C, H·r, W·r]`, as
 * torch.nn.functional.pixel_shuffle(input, upscale_factor).
 */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  checkArity("pixelShuffle", arguments, 2);
  const a = parseArgs(PIXEL_SHUFFLE, [x, upscaleFactor]);
  const r = a.upscaleFactor;
  const t = a.input;
  checkPixelArgs("pixelShuffle", "pixel_shuffle", "upscale_factor", r, t);
  const [C, H, W] = t.shape.slice(-3) as [number, number, number];
  if (C % (r * r) !== 0)
    throw new ShapeError(
      `pixelShuffle: pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=${C} is not divisible by ${r * r}`,
    );
  const lead = t.shape.slice(0, -3);
  const n = lead.length;
  const oc = C / (r * r);
  return t
    .reshape([...lead, oc, r, r, H, W])
    .permute([...lead.map((_, i) => i), n, n + 3, n + 1, n + 4, n + 2])
    .reshape([...lead, oc, H * r, W * r]);
}

/**
 * Rearranges `[*, C, H·r, W·r]` into `[*, C·r², H, W]` (pixelShuffle's inverse), as
 * torch.nn.functional.pixel_unshuffle(input, downscale_factor).
 */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  checkArity("pixelUnshuffle", arguments, 2);
  const a = parseArgs(PIXEL_UNSHUFFLE, [x, downscaleFactor]);
  const r = a.downscaleFactor;
  const t = a.input;
  checkPixelArgs("pixelUnshuffle", "pixel_unshuffle", "downscale_factor", r, t);
  const [C, H, W] = t.shape.slice(-3) as [number, number, number];
  if (H % r !== 0)
    throw new ShapeError(
      `pixelUnshuffle: pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=${H} is not divisible by ${r}`,
    );
  if (W % r !== 0)
    throw new ShapeError(
      `pixelUnshuffle: pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)=${W} is not divisible by ${r}`,
    );
  const lead = t.shape.slice(0, -3);
  const n = lead.length;
  return t
    .reshape([...lead, C, H / r, r, W / r, r])
    .permute([...lead.map((_, i) => i), n, n + 2, n + 4, n + 1, n + 3])
    .reshape([...lead, C * r * r, H / r, W / r]);
}

const PIXEL_SHUFFLE = signature("pixelShuffle", { input: tensorArg, upscaleFactor: int });
const PIXEL_UNSHUFFLE = signature("pixelUnshuffle", { input: tensorArg, downscaleFactor: int });

const UPSAMPLE = signature("upsample", INTERPOLATE_ARGS);
const { input, size, scaleFactor } = INTERPOLATE_ARGS;
const upsample2Sig = (op: string) => signature(op, { input, size, scaleFactor });
const UPSAMPLE_NEAREST = upsample2Sig("upsampleNearest");
const UPSAMPLE_BILINEAR = upsample2Sig("upsampleBilinear");

type Size = number | readonly number[] | null;
type Scale = number | readonly number[] | null;

/**
 * Deprecated alias of `interpolate`, as torch.nn.functional.upsample(input, size=None,
 * scale_factor=None, mode='nearest', align_corners=None).
 */
export function upsample(
  x: Tensor,
  ...rest: WithOptions<
    [size: Size, scaleFactor: Scale, mode: InterpolateMode, alignCorners: boolean | null],
    { size?: Size; scaleFactor?: Scale; mode?: InterpolateMode; alignCorners?: boolean | null }
  >
): Tensor {
  const a = parseArgs(UPSAMPLE, [x, ...rest]);
  return interpolate(a.input, a.size, a.scaleFactor, a.mode, a.alignCorners);
}

/**
 * Nearest upsampling, as torch.nn.functional.upsample_nearest(input, size=None,
 * scale_factor=None) (deprecated there; = interpolate with mode "nearest").
 */
export function upsampleNearest(
  x: Tensor,
  ...rest: WithOptions<[size: Size, scaleFactor: Scale], { size?: Size; scaleFactor?: Scale }>
): Tensor {
  const a = parseArgs(UPSAMPLE_NEAREST, [x, ...rest]);
  return interpolate(a.input, a.size, a.scaleFactor, "nearest");
}

/**
 * Bilinear upsampling with aligned corners, as torch.nn.functional.upsample_bilinear(input,
 * size=None, scale_factor=None) (deprecated there; = interpolate bilinear, alignCorners true).
 */
export function upsampleBilinear(
  x: Tensor,
  ...rest: WithOptions<[size: Size, scaleFactor: Scale], { size?: Size; scaleFactor?: Scale }>
): Tensor {
  const a = parseArgs(UPSAMPLE_BILINEAR, [x, ...rest]);
  return interpolate(a.input, a.size, a.scaleFactor, "bilinear", true);
}
