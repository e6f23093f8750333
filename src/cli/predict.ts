// `kiln predict <checkpoint> <input>`: class probabilities for a PNG image or the first images of
// an IDX file, normalised as in training. Imports only the public entry (and pngjs to decode).

import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { PNG } from "pngjs";
import { data, fromTypedArray, nn, noGrad, type Tensor, tensor } from "../index.ts";
import { intAtLeast, UsageError } from "./args.ts";
import { openCheckpoint } from "./checkpoint.ts";

function readBytes(path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(
      `cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
}

/** A PNG as float [C, H, W] in [0, 1]: gray by ITU-R 601-2 luma (as PIL's "L") for one channel. */
function pngImage(path: string, bytes: Uint8Array, channels: number, invert: boolean): Tensor {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes));
  } catch (e) {
    throw new UsageError(`'${path}' is not a readable PNG: ${(e as Error).message}`);
  }
  const { width, height, data: rgba } = png;
  const out = new Float32Array(channels * width * height);
  for (let i = 0; i < width * height; i++) {
    const a = rgba[4 * i + 3]! / 255;
    const rgb = [0, 1, 2].map((c) => (rgba[4 * i + c]! * a) / 255);
    const vals = channels === 1 ? [(rgb[0]! * 299 + rgb[1]! * 587 + rgb[2]! * 114) / 1000] : rgb;
    vals.forEach((v, c) => {
      out[c * width * height + i] = invert ? 1 - v : v;
    });
  }
  return fromTypedArray(out, [1, channels, height, width]);
}

function idxImages(path: string, bytes: Uint8Array, count: number): Tensor {
  const idx = data.datasets.parseIdx(path, bytes);
  if (idx.typeCode !== 0x08 || idx.dims.length !== 3) {
    throw new UsageError(
      `'${path}' is not an IDX file of 8-bit images [N, H, W] (type 0x${idx.typeCode.toString(16)}, ${idx.dims.length} dims)`,
    );
  }
  const [n, h, w] = idx.dims as [number, number, number];
  const k = Math.min(count, n);
  const out = Float32Array.from(idx.bytes.subarray(0, k * h * w), (v) => v / 255);
  return fromTypedArray(out, [k, 1, h, w]);
}

export function predictCommand(
  checkpoint: string,
  input: string,
  flags: { count: string; invert?: boolean },
): void {
  const count = intAtLeast(1)(flags.count);
  const ck = openCheckpoint(checkpoint);
  const [c, h, w] = ck.itemShape as [number, number, number];
  if (ck.itemShape.length !== 3)
    throw new UsageError("predict takes images; this checkpoint was trained on tabular data");
  const bytes = readBytes(input);
  const images = input.toLowerCase().endsWith(".png")
    ? pngImage(input, bytes, c, flags.invert ?? false)
    : idxImages(input, bytes, count);
  if (images.shape[1] !== c || images.shape[2] !== h || images.shape[3] !== w) {
    throw new UsageError(
      `the model takes [${c}, ${h}, ${w}] images, '${input}' holds [${images.shape.slice(1).join(", ")}]`,
    );
  }
  const stat = (v: number[]) => tensor(v, { dtype: "float32" }).reshape(1, c, 1, 1);
  let x = images.sub(stat(ck.mean)).div(stat(ck.std));
  if (ck.args.model === "mlp") x = x.reshape(x.shape[0]!, -1);
  ck.model.eval();
  const probs = noGrad(() => nn.functional.softmax(ck.model.forward(x) as Tensor, 1));
  const rows = probs.toArray() as number[][];
  rows.forEach((p, i) => {
    let best = 0;
    p.forEach((v, j) => {
      if (v > p[best]!) best = j;
    });
    const list = p.map((v, j) => `${ck.classNames[j]}: ${v.toFixed(4)}`).join(", ");
    console.log(
      `${images.shape[0]! > 1 ? `image ${i}: ` : ""}class ${ck.classNames[best]} (p=${p[best]!.toFixed(4)})  [${list}]`,
    );
  });
}
