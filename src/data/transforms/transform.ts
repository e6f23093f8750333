// The transform contract of `data.transforms`: a function or an object with `forward`, as
// torchvision's callables. Image transforms here work on float tensors [..., H, W] (CHW images),
// reading and writing typed arrays directly. Depends on the Tensor class only.

import { ShapeError } from "../../core/errors.ts";
import { Tensor } from "../../tensor/tensor.ts";

/** An object transform; classes with `forward` can also travel to workers via `workerSpec()`. */
export interface TransformModule<I, O = I> {
  forward(x: I): O;
}

/** A transform: a plain function, or an object with `forward` (every class in `data.transforms`). */
export type Transform<I, O = I> = ((x: I) => O) | TransformModule<I, O>;

export function applyTransform<I, O>(t: Transform<I, O>, x: I): O {
  return typeof t === "function" ? t(x) : t.forward(x);
}

/** An image tensor as planes: `planes` images of h × w, contiguous float data. */
export interface Planes {
  data: Float32Array | Float64Array;
  planes: number;
  h: number;
  w: number;
}

export function toPlanes(op: string, x: Tensor): Planes {
  if (x.ndim < 2)
    throw new ShapeError(
      `${op}: expected an image tensor [..., H, W], got shape [${x.shape.join(", ")}]`,
    );
  const f = x.dtype === "float32" || x.dtype === "float64" ? x : x.float();
  const data = f.dataSync() as Float32Array | Float64Array;
  const h = x.shape[x.ndim - 2]!;
  const w = x.shape[x.ndim - 1]!;
  return { data, planes: h * w === 0 ? 0 : data.length / (h * w), h, w };
}

export function fromPlanes(
  like: Tensor,
  data: Float32Array | Float64Array,
  h: number,
  w: number,
): Tensor {
  const dtype = data instanceof Float64Array ? "float64" : "float32";
  return Tensor.fromData(data, [...like.shape.slice(0, -2), h, w], dtype);
}
