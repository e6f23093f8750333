// The torchvision-style transform classes: deterministic ones (and random ones with their
// parameters pinned) against torchvision 0.14's functional results (tools/golden/transforms_more.py),
// the random parameter draws checked for their ranges and distribution shapes (Kiln's Generator
// stream differs from torch's, so draws are not compared value for value), and each class's
// workerSpec rebuilt as a DataLoader worker would.

// NOTE: the package root first, so that its modules initialise in their usual order.
import "../../src/index.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  CenterCrop,
  ColorJitter,
  ConvertImageDtype,
  functional as F,
  GaussianBlur,
  Grayscale,
  Lambda,
  Pad,
  RandomApply,
  RandomChoice,
  RandomErasing,
  RandomResizedCrop,
  RandomRotation,
  RandomVerticalFlip,
  Resize,
  ToTensor,
} from "../../src/data/transforms/index.ts";
import { decodeAsync, encode } from "../../src/data/worker-spec.ts";
import { Generator, type Tensor, tensor, zeros } from "../../src/index.ts";
import { assertClose, dec, type Enc } from "../nn/golden.ts";

const golden = JSON.parse(
  readFileSync(
    fileURLToPath(new URL("../golden/data/transforms-more.json", import.meta.url)),
    "utf8",
  ),
) as { inputs: Record<string, Enc>; cases: { name: string; input: string; out: Enc }[] };
const x = dec(golden.inputs.x!);
function expected(name: string, input = "x"): Enc {
  const c = golden.cases.find((k) => k.name === name && k.input === input);
  assert.ok(c, `fixture case ${name}`);
  return c.out;
}

test("deterministic classes equal torchvision's functional results", () => {
  assertClose(new Resize([5, 6]).forward(x), expected("resize [5, 6] bilinear aa=False"), "Resize");
  assertClose(
    new Resize(4, "bicubic", null, true).forward(x),
    expected("resize 4 bicubic aa=True"),
    "Resize bicubic aa",
  );
  assertClose(
    new Resize(5, { maxSize: 6 }).forward(x),
    expected("resize maxSize"),
    "Resize maxSize",
  );
  assertClose(new CenterCrop([9, 11]).forward(x), expected("centerCrop [9, 11]"), "CenterCrop");
  assertClose(
    new Pad([1, 2], 0.5, "symmetric").forward(x),
    expected("pad [1, 2] symmetric"),
    "Pad",
  );
  assertClose(new Grayscale(3).forward(x), expected("grayscale 3"), "Grayscale");
  // GaussianBlur with a single sigma draws it from [2, 2].
  assertClose(new GaussianBlur(5, 2.0).forward(x), expected("blur 5 2.0"), "GaussianBlur");
  // RandomRotation pinned to 30 degrees: fill [0, 0, 0] through the mask is the zeros of fill=None.
  assertClose(
    new RandomRotation([30, 30]).forward(x),
    expected("rotate 30 nearest expand=False center=None fill=None"),
    "RandomRotation",
  );
  assertClose(
    new RandomRotation([15, 15], { interpolation: "bilinear", fill: 1 }).forward(x),
    expected("rotate 15 bilinear expand=False center=None fill=[1.0]"),
    "RandomRotation fill",
  );
  assertClose(new RandomVerticalFlip(1).forward(x), expected("vflip"), "RandomVerticalFlip(1)");
  assert.equal(new RandomVerticalFlip(0).forward(x), x);
  const c = new ConvertImageDtype("float64").forward(x);
  assert.equal(c.dtype, "float64");
  assertClose(
    new ConvertImageDtype("uint8").forward(x).to("float32"),
    expected("convert f32->u8"),
    "ConvertImageDtype",
    0,
    0,
  );
  // ToTensor divides uint8 tensors (HWC) by 255, as torchvision's ByteTensor rule: [1, 1, 2] → [2, 1, 1].
  const b = new ToTensor().forward(tensor([[[0, 255]]]).to("uint8"));
  assert.deepEqual([...b.shape], [2, 1, 1]);
  assert.deepEqual([...b.dataSync()], [0, 1]);
  assert.throws(() => new Resize([1, 2, 3]), /1 or 2 values/);
  assert.throws(() => new Pad([1, 2, 3]), /1, 2, or 4 element/);
});

test("RandomResizedCrop.getParams: windows inside the image, area and log-ratio in range", () => {
  const g = new Generator(1);
  const img = tensor(new Array(60).fill(0).map(() => new Array(80).fill(0)));
  const scale = [0.08, 1];
  const ratio = [3 / 4, 4 / 3];
  let logSum = 0;
  const n = 2000;
  for (let k = 0; k < n; k++) {
    const [i, j, h, w] = RandomResizedCrop.getParams(img, scale, ratio, g);
    assert.ok(h > 0 && w > 0 && i >= 0 && j >= 0 && i + h <= 60 && j + w <= 80, `${[i, j, h, w]}`);
    // Rounding each side by at most 0.5 px moves the area fraction and ratio a little.
    const frac = (h * w) / (60 * 80);
    assert.ok(frac >= 0.06 && frac <= 1, `area fraction ${frac}`);
    assert.ok(w / h >= 0.6 && w / h <= 1.6, `ratio ${w / h}`);
    logSum += Math.log(w / h);
  }
  // log-uniform over a range symmetric about 0: mean log-ratio ≈ 0 (sd of one draw 0.17).
  assert.ok(Math.abs(logSum / n) < 0.03, `mean log ratio ${logSum / n}`);
  // No draw fits (scale > 1): the central crop clamped to the ratio range. A 100 (h) × 30 (w)
  // image has w/h = 0.3 < 3/4, so w = 30, h = round(30 / 0.75) = 40, i = (100 − 40) / 2 = 30.
  const tall = tensor(new Array(100).fill(0).map(() => new Array(30).fill(0)));
  assert.deepEqual(RandomResizedCrop.getParams(tall, [2, 3], ratio, g), [30, 0, 40, 30]);
  // The transform is resizedCrop at the drawn window: the same seed replays it.
  const t = new RandomResizedCrop([8, 8], { generator: new Generator(7) });
  const [i, j, h, w] = RandomResizedCrop.getParams(x, t.scale, t.ratio, new Generator(7));
  assertClose(t.forward(x), F.resizedCrop(x, i, j, h, w, [8, 8]), "RandomResizedCrop", 0, 0);
});

test("ColorJitter: ranges as torchvision's _check_input, a permutation and uniform factors", () => {
  const cj = new ColorJitter(0.5, [0.2, 1.8], 0, 0.1);
  assert.deepEqual(cj.brightness, [0.5, 1.5]);
  assert.deepEqual(cj.contrast, [0.2, 1.8]);
  assert.equal(cj.saturation, null);
  assert.deepEqual(cj.hue, [-0.1, 0.1]);
  assert.deepEqual(new ColorJitter(2).brightness, [0, 3]); // 1 − 2 clipped at 0
  assert.throws(() => new ColorJitter(-1), /must be non negative/);
  // As torchvision 0.14, a single hue number is not bound-checked (adjustHue refuses a draw > 0.5).
  assert.deepEqual(new ColorJitter(0, 0, 0, 0.6).hue, [-0.6, 0.6]);
  assert.throws(() => new ColorJitter(0, 0, 0, [-0.6, 0]), /hue values should be between/);
  const g = new Generator(3);
  const firstCounts = [0, 0, 0, 0];
  let bSum = 0;
  const n = 4000;
  for (let k = 0; k < n; k++) {
    const [order, b, c, s, h] = ColorJitter.getParams(cj.brightness, cj.contrast, null, cj.hue, g);
    assert.deepEqual([...order].sort(), [0, 1, 2, 3]);
    firstCounts[order[0]!]!++;
    assert.ok(b! >= 0.5 && b! < 1.5 && c! >= 0.2 && c! < 1.8 && s === null);
    assert.ok(h! >= -0.1 && h! < 0.1);
    bSum += b!;
  }
  // Uniform permutations: each op first 1/4 of the time (binomial sd ≈ 27 of 1000).
  for (const count of firstCounts) assert.ok(Math.abs(count - n / 4) < 150, `${firstCounts}`);
  assert.ok(Math.abs(bSum / n - 1) < 0.02, `mean brightness ${bSum / n}`);
  // The forward pass applies the drawn factors in the drawn order (replayed with the same seed).
  const t = new ColorJitter(0.5, 0.5, 0.5, 0.2, { generator: new Generator(9) });
  const [order, b, c, s, h] = ColorJitter.getParams(
    t.brightness,
    t.contrast,
    t.saturation,
    t.hue,
    new Generator(9),
  );
  let want: Tensor = x;
  for (const id of order) {
    if (id === 0) want = F.adjustBrightness(want, b!);
    if (id === 1) want = F.adjustContrast(want, c!);
    if (id === 2) want = F.adjustSaturation(want, s!);
    if (id === 3) want = F.adjustHue(want, h!);
  }
  assertClose(t.forward(x), want, "ColorJitter", 0, 0);
});

test("RandomRotation, GaussianBlur, RandomVerticalFlip, RandomApply, RandomChoice draw in range", () => {
  const g = new Generator(5);
  let flips = 0;
  let applied = 0;
  const picks = [0, 0];
  const n = 4000;
  const rr = new RandomApply([(v: number) => v + 1], 0.3, { generator: g });
  const rc = new RandomChoice([(v: number) => v * 10, (v: number) => v * 100], [1, 3], {
    generator: g,
  });
  for (let k = 0; k < n; k++) {
    const a = RandomRotation.getParams([-10, 20], g);
    assert.ok(a >= -10 && a < 20);
    const s = GaussianBlur.getParams(0.1, 2, g);
    assert.ok(s >= 0.1 && s < 2);
    if (new RandomVerticalFlip(0.25, { generator: g }).forward(x) !== x) flips++;
    if (rr.forward(1) === 2) applied++;
    picks[rc.forward(1) === 10 ? 0 : 1]!++;
  }
  // Bernoulli frequencies within 5 binomial standard deviations.
  assert.ok(Math.abs(flips / n - 0.25) < 0.035, `flips ${flips / n}`);
  assert.ok(Math.abs(applied / n - 0.3) < 0.036, `applied ${applied / n}`);
  assert.ok(Math.abs(picks[0]! / n - 0.25) < 0.035, `picks ${picks}`);
  assert.equal(new RandomApply([() => 5], 1).forward(0), 5);
  assert.equal(new RandomApply([() => 5], 0).forward(0), 0);
  assert.throws(() => new RandomChoice([() => 1], [1, 2]), /number of weights/);
  assert.throws(() => new RandomRotation(-3), /must be positive/);
  assert.throws(() => new GaussianBlur(4), /odd and positive/);
  assert.throws(() => new GaussianBlur(3, [2, 1]), /form \(min, max\)/);
  assert.equal(new Lambda((v: number) => v * 3).forward(2), 6);
  assert.throws(() => new Lambda(3 as never), /should be callable/);
});

test("RandomErasing: rectangle strictly inside, area in scale, value written, rest untouched", () => {
  const g = new Generator(11);
  for (let k = 0; k < 500; k++) {
    const [i, j, h, w, v] = RandomErasing.getParams(x, [0.02, 0.33], [0.3, 3.3], [0.5], g);
    assert.ok(h < 7 && w < 9 && i >= 0 && j >= 0 && i + h <= 7 && j + w <= 9);
    if (h * w < 63) assert.deepEqual([...v.shape], [1, 1, 1]);
  }
  // The whole area at ratio 1 is an 8×8 square (round(√63)), never strictly inside 7×9: after
  // 10 tries the image itself comes back, as torchvision's get_params.
  const [i, j, h, w, v] = RandomErasing.getParams(x, [1, 1], [1, 1], null, g);
  assert.deepEqual([i, j, h, w], [0, 0, 7, 9]);
  assert.equal(v, x);
  const t = new RandomErasing({ p: 1, value: [7, 8, 9], generator: new Generator(2) });
  const [ei, ej, eh, ew] = RandomErasing.getParams(
    x,
    t.scale,
    t.ratio,
    [7, 8, 9],
    (() => {
      const r = new Generator(2);
      r.random(); // the p draw
      return r;
    })(),
  );
  const out = t.forward(x);
  const o = out.dataSync();
  const src = x.dataSync();
  for (let c = 0; c < 3; c++)
    for (let r = 0; r < 7; r++)
      for (let q = 0; q < 9; q++) {
        const inside = r >= ei && r < ei + eh && q >= ej && q < ej + ew;
        const at = c * 63 + r * 9 + q;
        assert.equal(o[at], inside ? 7 + c : src[at], `(${c}, ${r}, ${q})`);
      }
  assert.equal(new RandomErasing({ p: 0 }).forward(x), x);
  // value "random": standard normal noise (mean ≈ 0, sd ≈ 1 over many pixels).
  const big = zeros([3, 64, 64]);
  const noisy = new RandomErasing({
    p: 1,
    value: "random",
    scale: [0.3, 0.33],
    generator: new Generator(4),
  }).forward(big);
  const vals = [...noisy.dataSync()].map(Number).filter((v) => v !== 0);
  const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
  const sd = Math.sqrt(vals.reduce((s, v) => s + (v - mean) ** 2, 0) / vals.length);
  assert.ok(
    vals.length > 3000 && Math.abs(mean) < 0.1 && Math.abs(sd - 1) < 0.1,
    `${vals.length} ${mean} ${sd}`,
  );
  assert.throws(() => new RandomErasing({ scale: [0, 2] }), /Scale should be between 0 and 1/);
  assert.throws(() => new RandomErasing(2), /probability should be between 0 and 1/);
  assert.throws(() => new RandomErasing({ p: 1, value: [1, 2] }).forward(x), /single value or 3/);
});

test("workerSpec: every class rebuilds to an equal transform, as in a DataLoader worker", async () => {
  const ts = [
    new Resize(5, "bicubic", 9, true),
    new CenterCrop([4, 6]),
    new RandomResizedCrop(8, [0.5, 1], [0.5, 2], "nearest"),
    new ColorJitter(0.1, 0.2, 0.3, 0.4),
    new Grayscale(3),
    new GaussianBlur([3, 5], [0.5, 1.5]),
    new Pad([1, 2], 3, "edge"),
    new RandomRotation([5, 10], "bilinear", true, [1, 2], [1, 2, 3]),
    new RandomVerticalFlip(0.7),
    new RandomErasing(0.2, [0.1, 0.2], [0.5, 2], "random", true),
    new RandomApply([new Grayscale(1)], 0.4),
    new RandomChoice([new Pad(1), new CenterCrop(3)], [2, 1]),
    new ConvertImageDtype("float64"),
  ];
  for (const t of ts) {
    const back = await decodeAsync(encode(t, "t"), (g) => g);
    assert.equal(String(back), String(t));
    assert.equal((back as object).constructor, t.constructor);
  }
  assert.throws(
    () => encode(new Lambda((v: number) => v), "t"),
    /cannot be sent to a worker thread/,
  );
});
