// ClassifierApp's image sets: 8-bit images kept as their bytes (1 byte a pixel, a quarter of a
// float32 copy) and normalised batch by batch through a per-channel table of the 256 values, so
// that a batch holds exactly what `(x / 255 - mean) / std` in float32 gives (NormalizedImages,
// rebuilt in worker threads from its workerSpec); and the statistics and in-place normalisation
// of whole sets without full-size temporaries. Depends on core, tensor, ops and data only.

import { Uint8Values } from "../core/dtype.ts";
import { ValueError } from "../core/errors.ts";
import { checkIndex } from "../data/check-index.ts";
import { gatherRows } from "../data/gather.ts";
import * as data from "../data/index.ts";
import { tensor } from "../ops/creation.ts";
import { Tensor } from "../tensor/tensor.ts";

/** v / 255 in float32 for every byte value: what `MNIST.scaled` holds for a byte. */
export const BYTE_VALUES = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** Images [N, C, H, W] in [0, 1], float32, from a uint8 tensor of their bytes (as `scaled`). */
export function scaledImages(bytes: Tensor, indices?: readonly number[]): Tensor {
  const [n, ...item] = bytes.shape as number[];
  const size = item.reduce((a, b) => a * b, 1);
  const src = bytes.storage.data as Uint8Array;
  const rows = indices ?? Array.from({ length: n! }, (_, i) => i);
  const out = new Float32Array(rows.length * size);
  rows.forEach((i, r) => {
    const from = bytes.offset + checkIndex("scaledImages", i, n!) * size;
    for (let k = 0; k < size; k++) out[r * size + k] = BYTE_VALUES[src[from + k]!]!;
  });
  return Tensor.fromData(out, [rows.length, ...item], "float32");
}

/** `ds.pixels` as a uint8 tensor [n, C, H, W] (a view of the first n images, no copy). */
export function imageBytes(pixels: Uint8Array, n: number, imageShape: readonly number[]): Tensor {
  const size = imageShape.reduce((a, b) => a * b, 1);
  const view = new Uint8Values(pixels.buffer as ArrayBuffer, pixels.byteOffset, n * size);
  return Tensor.fromData(view, [n, ...imageShape], "uint8");
}

/**
 * Images kept as bytes, items `[image, label]` as a TensorDataset of the normalised images would
 * give them: image float32 `(x / 255 - mean[c]) / std[c]`, [C, H, W] (or flattened to [C·H·W]),
 * label a 0-d tensor; `getBatch` gathers a whole batch at once.
 */
export class NormalizedImages extends data.Dataset<[Tensor, Tensor]> {
  readonly #x: Tensor;
  readonly #y: Tensor;
  readonly #args: unknown[];
  /** Per channel, the normalised value of each byte 0..255. */
  readonly #tables: Float32Array[];
  readonly #flatten: boolean;

  /**
   * `x` uint8 [N, C, H, W] (contiguous), `y` labels [N], `mean` and `std` one number per channel;
   * `flatten` gives items of [C·H·W] for an MLP.
   */
  constructor(x: Tensor, y: Tensor, mean: number[], std: number[], flatten: boolean) {
    super();
    const c = x.shape[1];
    if (x.dtype !== "uint8" || x.ndim !== 4 || !x.isContiguous() || y.shape[0] !== x.shape[0]) {
      throw new ValueError(
        `NormalizedImages: expected contiguous uint8 images [N, C, H, W] and N labels, but got ${x.dtype} [${x.shape.join(", ")}] and [${y.shape.join(", ")}]`,
      );
    }
    if (mean.length !== c || std.length !== c) {
      throw new ValueError(
        `NormalizedImages: expected ${c} means and stds (one per channel), but got ${mean.length} and ${std.length}`,
      );
    }
    this.#x = x;
    this.#y = y;
    this.#flatten = flatten;
    this.#args = [x, y, mean, std, flatten];
    // a float32 subtraction then a float32 division, each correctly rounded: Float32Array stores
    // the double quotient rounded, as the float32 kernels of sub and div compute it
    this.#tables = mean.map((m, ch) => {
      const [mc, sc] = [Math.fround(m), Math.fround(std[ch]!)];
      return Float32Array.from(BYTE_VALUES, (v) => Math.fround(v - mc) / sc);
    });
  }

  get length(): number {
    return this.#x.shape[0]!;
  }

  get(index: number): [Tensor, Tensor] {
    const i = checkIndex("NormalizedImages.get", index, this.length);
    const [img] = this.getBatch([i]);
    const item = this.#x.shape.slice(1);
    return [img.reshape(this.#flatten ? [-1] : item), this.#y.index(i)];
  }

  /** Images [B, C, H, W] (or [B, C·H·W]) and labels [B] of `indices`. */
  getBatch(indices: readonly number[]): [Tensor, Tensor] {
    const [n, c, h, w] = this.#x.shape as [number, number, number, number];
    const run = h * w;
    const size = c * run;
    const src = this.#x.storage.data as Uint8Array;
    const out = new Float32Array(indices.length * size);
    indices.forEach((index, r) => {
      const i = checkIndex("NormalizedImages.getBatch", index, n);
      for (let ch = 0; ch < c; ch++) {
        const table = this.#tables[ch]!;
        const from = this.#x.offset + i * size + ch * run;
        const to = r * size + ch * run;
        for (let k = 0; k < run; k++) out[to + k] = table[src[from + k]!]!;
      }
    });
    const shape = this.#flatten ? [indices.length, size] : [indices.length, c, h, w];
    return [
      Tensor.fromData(out, shape, "float32"),
      gatherRows("NormalizedImages.getBatch", this.#y, indices),
    ];
  }

  /** How a worker thread rebuilds this dataset: the same bytes, labels and statistics. */
  workerSpec(): data.WorkerSpec {
    return { module: import.meta.url, exportName: "NormalizedImages", args: this.#args };
  }
}

/**
 * Per-channel mean and std of images [N, C, H, W] (float32 in [0, 1], or uint8 bytes read as
 * their value / 255) or per-feature of [N, F], population std, rounded to float32. NOTE: two
 * passes over the values in float64, reading the tensor's storage, so that no full-size temporary
 * is made: `x.std(dims)` held `x - mean` and its square (2 × 188 MB for MNIST) until the next
 * garbage collection, the largest part of the run's peak memory. For MNIST the results are the
 * float32 reductions' bit for bit; elsewhere they may differ from them in the last bit.
 */
export function channelStats(x: Tensor, itemShape: readonly number[]): [number[], number[]] {
  const c = x.contiguous();
  const n = c.shape[0]!;
  const channels = itemShape[0]!;
  // an item is [C, H, W] (each channel a run of `run` values) or [F] (each feature one value)
  const run = itemShape.length === 3 ? itemShape[1]! * itemShape[2]! : 1;
  const values = c.storage.data as Float32Array | Float64Array | Uint8Array;
  // bytes count as their float32 value in [0, 1] (what the float images hold)
  const scale = c.dtype === "uint8" ? BYTE_VALUES : null;
  const count = n * run;
  const sum = new Float64Array(channels);
  const sq = new Float64Array(channels);
  for (let pass = 0; pass < 2; pass++) {
    for (let ch = 0; ch < channels; ch++) {
      const m = pass === 0 ? 0 : sum[ch]! / count;
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const from = c.offset + (i * channels + ch) * run;
        for (let k = from; k < from + run; k++) {
          const v = scale === null ? values[k]! : scale[values[k]!]!;
          acc += pass === 0 ? v : (v - m) * (v - m);
        }
      }
      (pass === 0 ? sum : sq)[ch] = acc;
    }
  }
  const mean = Array.from(sum, (s) => s / count);
  const std = Array.from(sq, (s) => Math.fround(Math.sqrt(s / count)));
  return [mean.map((m) => Math.fround(m)), std.map((s) => (s > 0 ? s : 1))];
}

/**
 * `x.sub(mean).div(std)` per channel (as prepareInputs), written into `x` itself: float32
 * `(v - mean) / std` rounded as the two float32 ops round, with no full-size temporary (the
 * in-place ops write through one). `x` must be a contiguous float32 tensor that nothing else reads.
 */
export function normaliseInPlace(
  x: Tensor,
  mean: readonly number[],
  std: readonly number[],
  itemShape: readonly number[],
): Tensor {
  if (x.dtype !== "float32" || !x.isContiguous()) {
    const stat = (v: readonly number[]) =>
      tensor([...v], { dtype: "float32" }).reshape(statShape(itemShape));
    return x.sub(stat(mean)).div(stat(std));
  }
  const n = x.shape[0]!;
  const channels = itemShape[0]!;
  const run = itemShape.length === 3 ? itemShape[1]! * itemShape[2]! : 1;
  const v = x.storage.data as Float32Array;
  const m = mean.map((a) => Math.fround(a));
  const sd = std.map((a) => Math.fround(a));
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < channels; ch++) {
      const from = x.offset + (i * channels + ch) * run;
      const [mc, sc] = [m[ch]!, sd[ch]!];
      // a double subtraction of two float32 values rounded to float32, then the same for the
      // division: each correctly rounded, so the float32 kernels' results exactly
      for (let k = from; k < from + run; k++) v[k] = Math.fround(v[k]! - mc) / sc;
    }
  }
  x.storage.version++;
  return x;
}

/** The shape mean and std broadcast from against a batch: [1, C, 1, 1] or [1, F]. */
function statShape(itemShape: readonly number[]): number[] {
  return itemShape.length === 3 ? [1, itemShape[0]!, 1, 1] : [1, itemShape[0]!];
}
