// `kiln predict` and `kiln info` as a newcomer meets them: images of any size, PNG or JPEG, a
// digit drawn dark on light paper, weights made by PyTorch (.pt and .safetensors, no sidecar)
// with --model. Expected classes and probabilities are PyTorch's own, from
// tools/golden/cli_predict.py (PIL decoding, torchvision's antialiased resize, the same model).

import assert from "node:assert/strict";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { PNG } from "pngjs";
import { kiln, ROOT, tempDir, trainTinyMlp } from "../train/helpers.ts";

const DIR = join(ROOT, "test", "golden", "cli");
const g = (name: string) => join(DIR, name);

interface Prediction {
  model: "mlp" | "cnn";
  file: string;
  inverted: boolean;
  probs: number[];
  class: number;
}
const expected = JSON.parse(readFileSync(g("expected.json"), "utf8")) as {
  label: number;
  predict: Prediction[];
};
const golden = (model: string, file: string, inverted: boolean): Prediction =>
  expected.predict.find((p) => p.model === model && p.file === file && p.inverted === inverted)!;

/** The class and probabilities of one `class k (p=...)  [0: p0, 1: p1, ...]` line. */
function parse(stdout: string): { cls: number; probs: number[] } {
  const m = /^class (\d+) \(p=[\d.]+\) {2}\[(.*)\]$/.exec(stdout.trim());
  assert.ok(m, `unexpected output: ${stdout}`);
  return { cls: Number(m[1]), probs: m[2]!.split(", ").map((s) => Number(s.split(": ")[1])) };
}

/**
 * Kiln's printed prediction against PyTorch's. PNG inputs decode and resize exactly as PIL and
 * torchvision do (test/cli/image.test.ts), so the only differences are float32 sums in another
 * order (~1e-6) and the 4 printed decimals (5e-5): `tol` 2e-4. JPEG decoders differ by up to a
 * level per pixel after resizing: the probabilities move by a few 1e-3 (tol 1e-2).
 */
function assertMatches(stdout: string, want: Prediction, tol = 2e-4): void {
  const got = parse(stdout);
  assert.equal(got.cls, want.class, stdout);
  got.probs.forEach((p, i) => {
    assert.ok(Math.abs(p - want.probs[i]!) <= tol, `p[${i}]: kiln ${p}, torch ${want.probs[i]}`);
  });
}

const tmp = tempDir("predict");
let kilnCheckpoint = "";
before(async () => {
  const out = join(tmp.dir, "run");
  kilnCheckpoint = await trainTinyMlp(out);
});
after(() => tmp.cleanup());

describe("kiln predict on weights made by PyTorch", { concurrency: 4 }, () => {
  const bw = "digit-black-on-white-112.png";

  test("a black-on-white 112x112 digit: resized, inverted, classified as PyTorch does (.pt)", async () => {
    const r = await kiln("predict", g("mlp.pt"), g(bw), "--model", "mlp");
    assert.equal(r.code, 0, r.stderr);
    const want = golden("mlp", bw, true);
    assert.equal(want.class, expected.label, "the fixture's digit is classified correctly");
    assertMatches(r.stdout, want);
    assert.match(r.stderr, /resized 112x112 → 28x28/);
    assert.match(r.stderr, /inverted: light background detected/);
    assert.match(r.stderr, /mean \[0\.1307\], std \[0\.3081\] \(the default for 1-channel models/);
    assert.match(r.stderr, /a PyTorch \.pt file/);
  });

  test("the same weights as safetensors written outside Kiln", async () => {
    const r = await kiln("predict", g("mlp.safetensors"), g(bw), "--model", "mlp");
    assert.equal(r.code, 0, r.stderr);
    assertMatches(r.stdout, golden("mlp", bw, true));
    assert.match(r.stderr, /a safetensors file/);
  });

  test("--no-invert: the digit as drawn, misread as PyTorch misreads it", async () => {
    const r = await kiln("predict", g("mlp.pt"), g(bw), "--model", "mlp", "--no-invert");
    assert.equal(r.code, 0, r.stderr);
    const want = golden("mlp", bw, false);
    assert.notEqual(want.class, expected.label);
    assertMatches(r.stdout, want);
    assert.doesNotMatch(r.stderr, /inverted/);
    assert.match(r.stderr, /kept as is \(--no-invert\)/);
  });

  test("a 28x28 MNIST digit: no resize, no inversion", async () => {
    const r = await kiln("predict", g("mlp.pt"), g("digit-28.png"), "--model", "mlp");
    assert.equal(r.code, 0, r.stderr);
    assertMatches(r.stdout, golden("mlp", "digit-28.png", false));
    assert.doesNotMatch(r.stderr, /resized|inverted/);
  });

  test("a color PNG: converted to luma as PIL's convert('L')", async () => {
    const file = "digit-blue-on-cream-112.png";
    const r = await kiln("predict", g("mlp.pt"), g(file), "--model", "mlp");
    assert.equal(r.code, 0, r.stderr);
    assertMatches(r.stdout, golden("mlp", file, true));
    assert.match(r.stderr, /converted color to grayscale/);
  });

  test("a JPEG, also under a .png name (told by its magic bytes)", async () => {
    const file = "digit-blue-on-cream-112.jpg";
    const misnamed = join(tmp.dir, "photo.png");
    copyFileSync(g(file), misnamed);
    for (const path of [g(file), misnamed]) {
      const r = await kiln("predict", g("mlp.pt"), path, "--model", "mlp");
      assert.equal(r.code, 0, r.stderr);
      assertMatches(r.stdout, golden("mlp", file, true), 1e-2);
    }
  });

  test("a dark drawing on a transparent background: over white, then inverted", async () => {
    // alpha = 255 - gray with black ink: composited over white, 255 - alpha = gray, the
    // black-on-white image exactly.
    const src = PNG.sync.read(readFileSync(g(bw)));
    const png = new PNG({ width: src.width, height: src.height });
    for (let i = 0; i < src.width * src.height; i++) {
      png.data.set([0, 0, 0, 255 - src.data[4 * i]!], 4 * i);
    }
    const path = join(tmp.dir, "transparent.png");
    writeFileSync(path, PNG.sync.write(png));
    const r = await kiln("predict", g("mlp.pt"), path, "--model", "mlp");
    assert.equal(r.code, 0, r.stderr);
    assertMatches(r.stdout, golden("mlp", bw, true));
    assert.match(r.stderr, /composited over white/);
  });

  test("a gzipped PNG", async () => {
    const path = join(tmp.dir, "digit.png.gz");
    writeFileSync(path, gzipSync(readFileSync(g("digit-28.png"))));
    const r = await kiln("predict", g("mlp.pt"), path, "--model", "mlp");
    assert.equal(r.code, 0, r.stderr);
    assertMatches(r.stdout, golden("mlp", "digit-28.png", false));
  });

  test("--model cnn: a training checkpoint's nested model_state_dict (BatchNorm buffers)", async () => {
    const r = await kiln("predict", g("cnn-checkpoint.pt"), g(bw), "--model", "cnn");
    assert.equal(r.code, 0, r.stderr);
    assertMatches(r.stdout, golden("cnn", bw, true));
    assert.match(r.stderr, /under the file's key 'model_state_dict'/);
    assert.match(r.stderr, /input \[1, 28, 28\] inferred/);
  });

  test("--normalize given explicitly: used and named", async () => {
    const r = await kiln(
      "predict",
      g("mlp.pt"),
      g(bw),
      "--model",
      "mlp",
      "--normalize",
      "0.1307,0.3081",
    );
    assert.equal(r.code, 0, r.stderr);
    assertMatches(r.stdout, golden("mlp", bw, true));
    assert.match(r.stderr, /\(--normalize\)/);
    const other = await kiln("predict", g("mlp.pt"), g(bw), "--model", "mlp", "--normalize", "0,1");
    assert.equal(other.code, 0, other.stderr);
    assert.notDeepEqual(parse(other.stdout).probs, parse(r.stdout).probs);
  });
});

describe("kiln predict / info: refusals name what was given and what was expected", {
  concurrency: 4,
}, () => {
  const cases: [string, () => string[], RegExp][] = [
    [
      "PyTorch weights without --model",
      () => ["predict", g("mlp.pt"), g("digit-28.png")],
      /mlp\.pt' has no Kiln sidecar.*pass --model mlp\|cnn/,
    ],
    [
      "safetensors without a sidecar, without --model",
      () => ["info", g("mlp.safetensors")],
      /no mlp\.json beside it.*pass --model/,
    ],
    [
      "--model cnn on an MLP's weights",
      () => ["predict", g("mlp.pt"), g("digit-28.png"), "--model", "cnn"],
      /mlp\.pt'.*block1\.0\.weight.*its keys: fc1\.weight/,
    ],
    [
      "--model resnet",
      () => ["info", g("mlp.pt"), "--model", "resnet"],
      /--model.*'resnet'.*mlp, cnn/,
    ],
    [
      "--normalize with three numbers",
      () => ["predict", g("mlp.pt"), g("digit-28.png"), "--model", "mlp", "--normalize", "1,2,3"],
      /--normalize: expected mean,std .*1-channel model, got '1,2,3'/,
    ],
    [
      "--normalize with a zero std",
      () => ["info", g("mlp.pt"), "--model", "mlp", "--normalize", "0.5,0"],
      /each std must be > 0/,
    ],
    [
      "a CSV as input",
      () => ["predict", g("mlp.pt"), g("expected.json"), "--model", "mlp"],
      /expected\.json' is neither a PNG, a JPEG nor an IDX file/,
    ],
    [
      "--model cnn on a Kiln MLP checkpoint",
      () => ["predict", kilnCheckpoint, g("digit-28.png"), "--model", "cnn"],
      /--model cnn: checkpoint .* holds a mlp \(NeuralNet\)/,
    ],
  ];
  for (const [name, argv, re] of cases) {
    test(name, async () => {
      const r = await kiln(...argv());
      assert.equal(r.code, 2, r.stderr);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, re);
      assert.match(lines[0]!, /\(see 'kiln (predict|info) --help'\)$/);
    });
  }
});

describe("kiln info and a Kiln checkpoint", { concurrency: 4 }, () => {
  test("info on PyTorch weights: architecture, inferred input, normalisation, no training state", async () => {
    const r = await kiln("info", g("mlp.safetensors"), "--model", "mlp");
    assert.equal(r.code, 0, r.stderr);
    // 784·128 + 128 + 128·10 + 10 = 101770 parameters.
    assert.match(
      r.stdout,
      /model: NeuralNet \(mlp\), 101770 parameters, input \[1, 28, 28\], 10 classes/,
    );
    assert.match(r.stdout, /no Kiln sidecar \(built as --model mlp\)/);
    assert.match(r.stdout, /normalization: mean \[0\.1307\], std \[0\.3081\] \(the default/);
    assert.match(r.stdout, /no training state/);
    const cnn = await kiln("info", g("cnn-checkpoint.pt"), "--model", "cnn");
    assert.equal(cnn.code, 0, cnn.stderr);
    // block1: conv 16·1·9 = 144, BN 2·16; block2: conv 32·16·9 = 4608, BN 2·32; fc 10·1568 + 10.
    assert.match(cnn.stdout, /ConvNet \(cnn\), 20538 parameters, input \[1, 28, 28\]/);
  });

  test("a Kiln checkpoint resizes and inverts too, and names its statistics", async () => {
    const r = await kiln("predict", kilnCheckpoint, g("digit-black-on-white-112.png"));
    assert.equal(r.code, 0, r.stderr);
    parse(r.stdout);
    assert.match(r.stderr, /resized 112x112 → 28x28/);
    assert.match(r.stderr, /inverted: light background detected/);
    assert.match(r.stderr, /the training set's, from the checkpoint/);
    const info = await kiln("info", kilnCheckpoint, "--model", "mlp");
    assert.equal(info.code, 0, info.stderr);
    assert.match(
      info.stdout,
      /normalization: mean \[0\.1\d{3}\], std \[0\.3\d{3}\] \(the training set's/,
    );
    assert.match(info.stdout, /matches the sidecar/);
  });

  test("--help says which resize, which inversion rule, which normalisation", async () => {
    const r = await kiln("predict", "--help");
    assert.equal(r.code, 0, r.stderr);
    const help = r.stdout.replace(/\s+/g, " ");
    assert.match(help, /resize\(img, size, antialias=True\)/);
    assert.match(help, /mean gray level above 0\.5 is inverted/);
    assert.match(help, /--no-invert/);
    assert.match(help, /--model <name>/);
    assert.match(help, /MNIST's 0\.1307,0\.3081 \(1 channel\)/);
    const info = await kiln("info", "--help");
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout.replace(/\s+/g, " "), /--normalize <mean,std>/);
  });
});
