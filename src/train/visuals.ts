// Pictures of a validation for TensorBoard and report.html: which samples the model got most
// confidently wrong, those samples laid out side by side as one PNG, and the confusion matrix
// rendered as an image. Pure functions of tensors and numbers, plus the PNG encoder of io.

import { encodePng } from "../io/png.ts";
import { fromTypedArray } from "../ops/creation.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { METRICS_LABEL_NDX, METRICS_PRED_NDX, METRICS_PRED_P_NDX } from "./metrics.ts";

/** A wrong prediction: column of the metrics tensor, true and predicted class, confidence. */
export interface Mistake {
  index: number;
  label: number;
  pred: number;
  /** Predicted probability of `pred`. */
  prob: number;
}

/**
 * The columns of `metrics_t` whose prediction is wrong, most confident first (ties: lower index
 * first), at most `max`. For two classes the PRED_P row holds P(class 1), so the confidence of a
 * prediction of class 0 is 1 - P(class 1).
 */
export function mostConfidentMistakes(
  metrics_t: Tensor,
  numClasses: number,
  max: number,
): Mistake[] {
  const labels = metrics_t.index(METRICS_LABEL_NDX).dataSync();
  const preds = metrics_t.index(METRICS_PRED_NDX).dataSync();
  const predP = metrics_t.index(METRICS_PRED_P_NDX).dataSync();
  const out: Mistake[] = [];
  for (let i = 0; i < labels.length; i++) {
    const label = Number(labels[i]);
    const pred = Number(preds[i]);
    if (label === pred) continue;
    const p = Number(predP[i]);
    out.push({ index: i, label, pred, prob: numClasses === 2 && pred === 0 ? 1 - p : p });
  }
  out.sort((a, b) => b.prob - a.prob || a.index - b.index);
  return out.slice(0, Math.max(0, max));
}

/** Images [N, C, H, W] (C = 1 or 3, values in [0, 1]) side by side: one PNG and each one's corner. */
export interface ImageGrid {
  png: Uint8Array;
  width: number;
  height: number;
  /** Top-left corner of image i in the PNG. */
  positions: { x: number; y: number }[];
}

/**
 * Lays images [N, C, H, W] out in rows of `nrow`, `padding` black pixels around each (as
 * torchvision's make_grid), and encodes the result as an RGBA PNG. Gray images are repeated
 * into R, G and B; values are clamped to [0, 1] and scaled to 0..255 as torchvision's
 * `save_image` does (`x * 255 + 0.5`, truncated).
 */
export function imageGridPng(images: Tensor, nrow = 8, padding = 2): ImageGrid {
  const [n, c, h, w] = images.shape as [number, number, number, number];
  const data = images.float().contiguous().dataSync();
  const cols = Math.min(nrow, n);
  const rows = Math.ceil(n / cols);
  const width = cols * (w + padding) + padding;
  const height = rows * (h + padding) + padding;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
  const positions: { x: number; y: number }[] = [];
  const byte = (v: number) =>
    Math.trunc(Math.min(1, Math.max(0, Number.isNaN(v) ? 0 : v)) * 255 + 0.5);
  for (let k = 0; k < n; k++) {
    const x = padding + (k % cols) * (w + padding);
    const y = padding + Math.floor(k / cols) * (h + padding);
    positions.push({ x, y });
    for (let r = 0; r < h; r++) {
      for (let q = 0; q < w; q++) {
        const o = ((y + r) * width + x + q) * 4;
        for (let ch = 0; ch < 3; ch++) {
          const src = c === 1 ? 0 : ch;
          rgba[o + ch] = byte(data[((k * c + src) * h + r) * w + q]!);
        }
      }
    }
  }
  return { png: encodePng(rgba, width, height), width: w, height: h, positions };
}

/**
 * The confusion matrix as an image [3, H, W] in [0, 1] (rows = true class, columns = predicted),
 * each cell coloured by its share of the row on report.html's white → deep blue square-root
 * scale, with 1-pixel white lines between cells. Cells are 24 pixels for up to 10 classes and
 * shrink to keep the image at most about 480 pixels a side (at least 2 a cell).
 */
export function confusionImage(confusion: readonly (readonly number[])[]): Tensor {
  const n = confusion.length;
  const cell = Math.max(2, Math.min(24, Math.floor(480 / Math.max(1, n))));
  const side = n * cell + (n + 1);
  const img = new Float32Array(3 * side * side).fill(1);
  const from = [247, 251, 255];
  const to = [8, 48, 107];
  confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((v, j) => {
      const f = total > 0 ? v / total : 0;
      const t = Math.sqrt(Math.min(1, Math.max(0, f)));
      const x0 = 1 + j * (cell + 1);
      const y0 = 1 + i * (cell + 1);
      for (let ch = 0; ch < 3; ch++) {
        const value = (from[ch]! + (to[ch]! - from[ch]!) * t) / 255;
        for (let y = y0; y < y0 + cell; y++) {
          img.fill(value, (ch * side + y) * side + x0, (ch * side + y) * side + x0 + cell);
        }
      }
    });
  });
  return fromTypedArray(img, [3, side, side]);
}

/**
 * Rescales each image of [N, C, H, W] to [0, 1] by its own minimum and maximum (a constant image
 * becomes 0): how normalised inputs are shown when the raw images are not at hand.
 */
export function minMaxPerImage(images: Tensor): Tensor {
  const n = images.shape[0]!;
  const flat = images.float().reshape(n, -1);
  const lo = flat.min(1, { keepDim: true }).values;
  const hi = flat.max(1, { keepDim: true }).values;
  const span = hi.sub(lo);
  const scaled = flat.sub(lo).div(span.maskedFill(span.le(0), 1));
  return scaled.reshape(...images.shape);
}
