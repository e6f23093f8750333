// The image helpers of `kiln predict` against PIL and torchvision (fixtures written by
// tools/golden/cli_predict.py): PNG decoding and conversion to "L"/"RGB", the antialiased
// bilinear resize, JPEG decoding; and hand-derived cases of the rounding, the transparency
// rule, the border mean and the format sniffing.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { PNG } from "pngjs";
import { borderMean, decodeJpeg, decodePng, sniffFormat, toChannels } from "../../src/cli/image.ts";
import { resizeBilinear } from "../../src/cli/resize.ts";
import { ROOT } from "../train/helpers.ts";

const DIR = join(ROOT, "test", "golden", "cli");
const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")) as {
  resize: {
    file: string;
    mode: "L" | "RGB";
    size: [number, number];
    converted: number[];
    resized: number[];
  }[];
  predict: { file: string; inverted: boolean; pixels: number[] }[];
};

/** Largest absolute difference, and how many elements differ. */
function diff(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; count: number } {
  assert.equal(a.length, b.length);
  let max = 0;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    max = Math.max(max, d);
    if (d !== 0) count++;
  }
  return { max, count };
}

describe("PNG decoding and the resize, against PIL and torchvision", () => {
  for (const r of expected.resize) {
    test(`${r.file} as ${r.mode}, resized to ${r.size.join("x")}`, () => {
      const img = decodePng(r.file, readFileSync(join(DIR, r.file)));
      const { pixels } = toChannels(img, r.mode === "L" ? 1 : 3);
      // Decoding and conversion are integer arithmetic (PIL's fixed-point luma): exact.
      assert.deepEqual(Array.from(pixels), r.converted);
      const c = r.mode === "L" ? 1 : 3;
      const out = resizeBilinear(pixels, c, img.height, img.width, r.size[0], r.size[1]);
      // NOTE: torchvision 0.14 resamples in float32 and rounds half to even; Kiln uses float64,
      // so a sum within float32 rounding of a .5 tie may round the other way: at most 1 level,
      // and rarely (noise images hit every case of the filter; these fixtures agree exactly).
      const d = diff(out, r.resized);
      assert.ok(d.max <= 1, `max difference ${d.max} levels`);
      assert.ok(d.count <= out.length / 100, `${d.count} of ${out.length} values differ`);
    });
  }
});

test("JPEG decoded by jpeg-js, resized: within 1 level of PIL's libjpeg decoding", () => {
  const p = expected.predict.find((q) => q.file.endsWith(".jpg"))!;
  const img = decodeJpeg(p.file, readFileSync(join(DIR, p.file)));
  const { pixels } = toChannels(img, 1);
  const out = resizeBilinear(pixels, 1, img.height, img.width, 28, 28);
  const want = p.pixels.map((v) => (p.inverted ? 255 - v : v));
  // NOTE: JPEG decoders may differ (IDCT, chroma upsampling, color-conversion rounding); the
  // standard's conformance bound is 1 level per sample after IDCT. Resizing averages samples, so
  // after it the difference stays within 1 level here.
  const d = diff(out, want);
  assert.ok(d.max <= 1, `max difference ${d.max} levels`);
});

test("rounding half to even, as torch.round: [0, 1] → 0 (0.5), [1, 2] → 2 (1.5), [3, 4] → 4", () => {
  // torchvision 0.14: resize(tensor([[[0, 1]]], dtype=uint8), [1, 1], antialias=True) is 0, and 2, 4.
  // Halving the width of a 2-pixel row: scale 2, one output with weights 1/2, 1/2.
  assert.deepEqual(Array.from(resizeBilinear(Uint8Array.from([0, 1]), 1, 1, 2, 1, 1)), [0]);
  assert.deepEqual(Array.from(resizeBilinear(Uint8Array.from([1, 2]), 1, 1, 2, 1, 1)), [2]);
  assert.deepEqual(Array.from(resizeBilinear(Uint8Array.from([3, 4]), 1, 1, 2, 1, 1)), [4]);
  // Same size: unchanged.
  const same = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  assert.deepEqual(resizeBilinear(same, 1, 2, 3, 2, 3), same);
});

test("transparency: a dark drawing goes over white, a light one over black", () => {
  const rgba = (px: number[][]) => ({
    width: px.length,
    height: 1,
    rgba: Uint8Array.from(px.flat()),
  });
  // Black ink at alpha 255 and 51, and a fully transparent pixel: ink luma 0 < 128, so the
  // background is white: 0·51/255 + 255·204/255 = 204; the transparent pixel becomes 255.
  const dark = toChannels(
    rgba([
      [0, 0, 0, 255],
      [0, 0, 0, 51],
      [9, 9, 9, 0],
    ]),
    1,
  );
  assert.deepEqual(Array.from(dark.pixels), [0, 204, 255]);
  assert.match(dark.notes.join(), /over white/);
  // White ink: background black: 255·51/255 = 51.
  const light = toChannels(
    rgba([
      [255, 255, 255, 255],
      [255, 255, 255, 51],
      [9, 9, 9, 0],
    ]),
    1,
  );
  assert.deepEqual(Array.from(light.pixels), [255, 51, 0]);
  assert.match(light.notes.join(), /over black/);
  // Opaque color to "L": (19595·255 + 2^15) >> 16 = 76 for pure red (PIL gives 76).
  const red = toChannels(rgba([[255, 0, 0, 255]]), 1);
  assert.deepEqual(Array.from(red.pixels), [76]);
  assert.match(red.notes.join(), /grayscale/);
});

test("borderMean: the outermost ring, each pixel once", () => {
  // 3x3: the ring is the 8 pixels around the centre; the centre (255) does not count.
  const px = Uint8Array.from([255, 255, 255, 255, 255, 0, 0, 0, 0]);
  // Ring: 255, 255, 255, 255, 0, 0, 0, 0 → mean 127.5 / 255 = 0.5.
  assert.equal(borderMean(px, 3, 3), 0.5);
  assert.equal(borderMean(new Uint8Array(1).fill(51), 1, 1), 0.2);
});

test("sniffFormat tells PNG, JPEG and IDX by their first bytes, whatever the name", () => {
  assert.equal(sniffFormat(readFileSync(join(DIR, "digit-28.png"))), "png");
  assert.equal(sniffFormat(readFileSync(join(DIR, "digit-blue-on-cream-112.jpg"))), "jpeg");
  assert.equal(sniffFormat(Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 1])), "idx");
  assert.equal(sniffFormat(new TextEncoder().encode("a,b,label\n")), null);
  assert.equal(sniffFormat(new Uint8Array(0)), null);
});

test("a PNG declaring more than 4096x4096 pixels is refused before decoding", () => {
  const bytes = PNG.sync.write(new PNG({ width: 2, height: 2 }));
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  dv.setUint32(16, 5000);
  dv.setUint32(20, 5000);
  assert.throws(() => decodePng("huge.png", bytes), /huge\.png' is 5000x5000 pixels, more than/);
});
