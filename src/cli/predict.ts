// `kiln predict <weights> <input>`: class probabilities for a PNG or JPEG image, or the first
// images of an IDX file. The input is told by its magic bytes, converted to the model's channels,
// resized to its input size, inverted when a 1-channel image has a light background, normalised;
// what was done is said on stderr (after the prediction: a failure prints one line only), the
// probabilities go to stdout. Imports the public entry, the dataset file readers (capped gunzip,
// typed errors) and the CLI's image helpers.

import { gunzipCapped, readFileChecked } from "../data/datasets/files.ts";
import { idxDeclaredSize } from "../data/datasets/idx.ts";
import { data, fromTypedArray, nn, noGrad, type Tensor, tensor } from "../index.ts";
import { intAtLeast, UsageError } from "./args.ts";
import { openInferenceModel } from "./checkpoint.ts";
import { borderMean, decodeJpeg, decodePng, sniffFormat, toChannels } from "./image.ts";
import { resizeBilinear } from "./resize.ts";

/** The most bytes a gzipped image may inflate to (an image of MAX_PIXELS is far less). */
const MAX_IMAGE_BYTES = 2 ** 28;

/** The light-background rule: invert when the border's mean gray level passes the midpoint. */
const INVERT_THRESHOLD = 0.5;

function readInput(path: string): Uint8Array {
  const bytes = readFileChecked(path);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  // An IDX file declares its size in its header; an image is capped at MAX_IMAGE_BYTES.
  return gunzipCapped(path, bytes, {
    declaredSize: (head) => {
      if (head.length < 4) return undefined;
      return head[0] === 0 && head[1] === 0 ? idxDeclaredSize(path, head) : MAX_IMAGE_BYTES;
    },
  });
}

/** Images as planar uint8 [C, H, W] each, all of one size. */
interface Images {
  pixels: Uint8Array[];
  height: number;
  width: number;
}

function idxImages(path: string, bytes: Uint8Array, count: number, channels: number): Images {
  const idx = data.datasets.parseIdx(path, bytes);
  if (idx.typeCode !== 0x08 || idx.dims.length !== 3) {
    throw new UsageError(
      `'${path}' is not an IDX file of 8-bit images [N, H, W] (type 0x${idx.typeCode.toString(16)}, ${idx.dims.length} dims)`,
    );
  }
  const [n, h, w] = idx.dims as [number, number, number];
  const pixels = Array.from({ length: Math.min(count, n) }, (_, i) => {
    const gray = idx.bytes.subarray(i * h * w, (i + 1) * h * w);
    const out = new Uint8Array(channels * h * w);
    for (let c = 0; c < channels; c++) out.set(gray, c * h * w);
    return out;
  });
  return { pixels, height: h, width: w };
}

function imageInput(
  path: string,
  bytes: Uint8Array,
  format: "png" | "jpeg",
  channels: number,
  say: (line: string) => void,
): Images {
  if (channels !== 1 && channels !== 3) {
    throw new UsageError(
      `the model takes ${channels}-channel images; kiln predict reads PNG and JPEG for 1 (gray) or 3 (RGB)`,
    );
  }
  const img = format === "png" ? decodePng(path, bytes) : decodeJpeg(path, bytes);
  const { pixels, notes } = toChannels(img, channels);
  for (const note of notes) say(note);
  return { pixels: [pixels], height: img.height, width: img.width };
}

/** Inverts 1-channel images whose border is light, or every image with `--invert`. */
function invertAsNeeded(
  images: Float32Array[],
  planes: Uint8Array[],
  [c, h, w]: readonly number[],
  flag: boolean | undefined,
  say: (line: string) => void,
): void {
  if (flag === true) {
    for (const x of images) for (let k = 0; k < x.length; k++) x[k] = 1 - x[k]!;
    say("inverted (--invert)");
    return;
  }
  if (c !== 1) return;
  const border = borderMean(planes[0]!, h!, w!);
  if (border <= INVERT_THRESHOLD) return;
  const detail = `mean of the border pixels ${border.toFixed(3)} > ${INVERT_THRESHOLD}`;
  if (flag === false) {
    say(`light background (${detail}) kept as is (--no-invert); the model expects a dark one`);
    return;
  }
  for (const x of images) for (let k = 0; k < x.length; k++) x[k] = 1 - x[k]!;
  say(`inverted: light background detected (${detail}); --no-invert to keep it`);
}

export function predictCommand(
  checkpoint: string,
  input: string,
  flags: { count: string; invert?: boolean; model?: string; normalize?: string },
): void {
  const count = intAtLeast(1)(flags.count);
  // What was done goes to stderr once the prediction succeeded: a failure prints one line only.
  const done: string[] = [];
  const say = (line: string) => done.push(`kiln predict: ${line}\n`);
  const m = openInferenceModel(checkpoint, flags);
  if (m.itemShape.length !== 3) {
    throw new UsageError(
      `predict takes images; this model takes [${m.itemShape.join(", ")}] (tabular data)`,
    );
  }
  const [c, h, w] = m.itemShape as [number, number, number];
  if (m.notes.length > 0) say(`${checkpoint}: ${m.notes.join("; ")}`);
  const bytes = readInput(input);
  const format = sniffFormat(bytes);
  if (format === null) {
    throw new UsageError(
      `'${input}' is neither a PNG, a JPEG nor an IDX file (told by its first bytes, not its name)`,
    );
  }
  const images =
    format === "idx" ? idxImages(input, bytes, count, c) : imageInput(input, bytes, format, c, say);
  let planes = images.pixels;
  if (format !== "idx" && planes[0]!.every((v) => v === planes[0]![0])) {
    say(`note: the image is uniform (every pixel ${planes[0]![0]}): nothing is drawn on it`);
  }
  if (images.height !== h || images.width !== w) {
    planes = planes.map((p) => resizeBilinear(p, c, images.height, images.width, h, w));
    const n = planes.length > 1 ? `${planes.length} images ` : "";
    say(
      `resized ${n}${images.width}x${images.height} → ${w}x${h} (bilinear, antialiased, as torchvision's resize(antialias=True))`,
    );
  }
  const floats = planes.map((p) => Float32Array.from(p, (v) => v / 255));
  // IDX files are the training format (MNIST's): only --invert inverts them.
  if (format !== "idx" || flags.invert === true) {
    invertAsNeeded(floats, planes, [c, h, w], flags.invert, say);
  }
  const batch = new Float32Array(floats.length * c * h * w);
  floats.forEach((x, i) => {
    batch.set(x, i * c * h * w);
  });
  const images_t = fromTypedArray(batch, [floats.length, c, h, w]);
  const stat = (v: number[]) => tensor(v, { dtype: "float32" }).reshape(1, c, 1, 1);
  say(
    `normalized with mean [${m.mean.map((v) => v.toFixed(4)).join(", ")}], std [${m.std.map((v) => v.toFixed(4)).join(", ")}] (${m.normalizeSource})`,
  );
  let x = images_t.sub(stat(m.mean)).div(stat(m.std));
  if (m.kind === "mlp") x = x.reshape(x.shape[0]!, -1);
  m.model.eval();
  const probs = noGrad(() => nn.functional.softmax(m.model.forward(x) as Tensor, 1));
  const rows = probs.toArray() as number[][];
  process.stderr.write(done.join(""));
  rows.forEach((p, i) => {
    let best = 0;
    p.forEach((v, j) => {
      if (v > p[best]!) best = j;
    });
    const list = p.map((v, j) => `${m.classNames[j]}: ${v.toFixed(4)}`).join(", ");
    console.log(
      `${rows.length > 1 ? `image ${i}: ` : ""}class ${m.classNames[best]} (p=${p[best]!.toFixed(4)})  [${list}]`,
    );
  });
}
