// `kiln train --model luna`: the synthetic nodule candidates (deterministic, stratified split),
// the book's balanced sampling and 3-D augmentation, and a short seeded LunaApp run that reaches
// the recall and precision the README states. Checks against hand-derived numbers.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { openCheckpoint } from "../../src/cli/checkpoint.ts";
import { Generator } from "../../src/core/rng.ts";
import {
  augmentationMatrix,
  augmentCandidate,
  BOOK_AUGMENTATION,
  NODULE_CROP,
  NoduleDataset,
  noduleCandidates,
  renderNoduleCrop,
} from "../../src/data/datasets/index.ts";
import { flip, getBackend } from "../../src/index.ts";
import { LunaApp, parseNoduleSpec } from "../../src/train/luna-app.ts";
import { tempDir } from "./helpers.ts";

/**
 * The README's short run: the first 96 training crops of 300 candidates (25% nodules), balanced,
 * Adam lr 0.001, batch 4, one epoch (24 steps); validation on the 31 held-out candidates:
 * ceil(75/10) = 8 nodules and ceil(225/10) = 23 others.
 */
const SHORT_RUN = {
  dataset: "nodules:300:0.25",
  limit: 96,
  balanced: true,
  optimizer: "adam",
  lr: 0.001,
  batchSize: 4,
  epochs: 1,
  seed: 0,
} as const;
// Measured on the native backend (seeds 0, 1, 2): recall 1.0, 1.0, 1.0 (8 of 8) and precision
// 0.89, 1.0, 0.80; the README states recall >= 0.75 (6 of 8) and precision >= 0.6.
const MIN_RECALL = 0.75;
const MIN_PRECISION = 0.6;

const tmp = tempDir("luna");
after(() => tmp.cleanup());

describe("synthetic nodule candidates", () => {
  test("the list: round(count·fraction) nodules, deterministic in the seed", () => {
    const a = noduleCandidates({ count: 200, positiveFraction: 0.25, seed: 3 });
    assert.equal(a.length, 200);
    assert.equal(a.filter((c) => c.isNodule).length, 50);
    assert.deepEqual(noduleCandidates({ count: 200, positiveFraction: 0.25, seed: 3 }), a);
    const b = noduleCandidates({ count: 200, positiveFraction: 0.25, seed: 4 });
    assert.notDeepEqual(
      b.map((c) => c.isNodule),
      a.map((c) => c.isNodule),
    );
    for (const c of a) assert.ok(c.isNodule ? c.radius >= 3 && c.radius <= 6 : c.radius === 0);
  });

  test("the split: every 10th nodule and every 10th non-nodule validates, disjoint", () => {
    const opts = { count: 200, positiveFraction: 0.25, seed: 3 };
    const trn = new NoduleDataset(opts);
    const val = new NoduleDataset({ ...opts, isValSet: true });
    // 50 nodules → ceil(50/10) = 5 validate; 150 others → 15.
    assert.equal(val.length, 20);
    assert.equal(val.labels.filter((l) => l === 1).length, 5);
    assert.equal(trn.length, 180);
    assert.equal(trn.labels.filter((l) => l === 1).length, 45);
    const seen = new Set([...trn.candidates, ...val.candidates].map((c) => c.index));
    assert.equal(seen.size, 200);
    assert.equal(new NoduleDataset({ ...opts, limit: 7 }).length, 7);
  });

  test("crops: shape [1, 32, 48, 48], identical for equal seeds, a bright centre for nodules", () => {
    const [c0, c1] = noduleCandidates({ count: 20, positiveFraction: 0.5, seed: 1 }).filter(
      (c, i, all) => all.findIndex((d) => d.isNodule === c.isNodule) === i,
    );
    const ds = new NoduleDataset({ count: 20, positiveFraction: 0.5, seed: 1 });
    const [x, label] = ds.get(0);
    assert.deepEqual(x.shape, [1, ...NODULE_CROP]);
    assert.equal(x.dtype, "float32");
    assert.equal(label, ds.candidates[0]!.isNodule ? 1 : 0);
    assert.deepEqual(
      Array.from(
        new NoduleDataset({ count: 20, positiveFraction: 0.5, seed: 1 }).get(0)[0].dataSync(),
      ),
      Array.from(x.dataSync()),
    );
    // A nodule of radius >= 3 within 3 voxels of the centre covers the central voxel: it is
    // nodule tissue (150 HU ± noise), far above lung (-750 HU); the crop stays in [-1000, 1000].
    for (const c of [c0!, c1!]) {
      const crop = renderNoduleCrop(c);
      const centre = crop[(16 * 48 + 24) * 48 + 24]!;
      if (c.isNodule) assert.ok(centre > -100, `nodule centre ${centre}`);
      assert.ok(crop.every((v) => v >= -1000 && v <= 1000));
    }
  });

  test("bad options are ValueErrors naming the option", () => {
    assert.throws(() => noduleCandidates({ count: 1 }), /count must be at least 2/);
    assert.throws(() => noduleCandidates({ positiveFraction: 1 }), /positiveFraction/);
    assert.throws(() => new NoduleDataset({ size: 3 } as never), /NoduleDataset.*unknown|size/);
    assert.throws(() => parseNoduleSpec("mnist"), /not the synthetic nodule dataset/);
    assert.throws(() => parseNoduleSpec("nodules:10"), /count '10'/);
    assert.throws(() => parseNoduleSpec("nodules:300:1.5"), /positive fraction '1.5'/);
    assert.deepEqual(parseNoduleSpec("nodules:600:0.2:7"), {
      count: 600,
      positiveFraction: 0.2,
      seed: 7,
    });
  });
});

describe("the book's 3-D augmentation", () => {
  const crop = new NoduleDataset({ count: 20, positiveFraction: 0.5, seed: 2 }).rawCandidate(0);

  test("all augmentations off: the crop unchanged, no numbers drawn", () => {
    const g = new Generator(5);
    const out = augmentCandidate(crop, {}, g);
    assert.deepEqual(Array.from(out.dataSync()), Array.from(crop.dataSync()));
    assert.equal(g.random(), new Generator(5).random());
  });

  test("keeps the shape; deterministic under a seed, different across seeds", () => {
    const a = augmentCandidate(crop, BOOK_AUGMENTATION, new Generator(9));
    const b = augmentCandidate(crop, BOOK_AUGMENTATION, new Generator(9));
    const c = augmentCandidate(crop, BOOK_AUGMENTATION, new Generator(10));
    assert.deepEqual(a.shape, crop.shape);
    assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
    assert.notDeepEqual(Array.from(a.dataSync()), Array.from(c.dataSync()));
  });

  test("the matrix is drawn as the book draws it: per axis flip, offset, scale; then rotation", () => {
    const t = augmentationMatrix(BOOK_AUGMENTATION, new Generator(4));
    const g = new Generator(4);
    const expected: number[][] = [0, 1, 2, 3].map((r) =>
      [0, 1, 2, 3].map((c) => (r === c ? 1 : 0)),
    );
    for (let i = 0; i < 3; i++) {
      if (g.random() > 0.5) expected[i]![i] = -1;
      expected[i]![3] = 0.1 * (g.random() * 2 - 1);
      expected[i]![i] = expected[i]![i]! * (1 + 0.2 * (g.random() * 2 - 1));
    }
    const angle = g.random() * 2 * Math.PI;
    const [cs, sn] = [Math.cos(angle), Math.sin(angle)];
    // T @ [[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]: only columns 0 and 1 mix.
    for (let r = 0; r < 4; r++) {
      const [a, b] = [expected[r]![0]!, expected[r]![1]!];
      assert.ok(Math.abs(t[r]![0]! - (a * cs + b * sn)) < 1e-12);
      assert.ok(Math.abs(t[r]![1]! - (-a * sn + b * cs)) < 1e-12);
      assert.ok(Math.abs(t[r]![2]! - expected[r]![2]!) < 1e-12);
      assert.ok(Math.abs(t[r]![3]! - expected[r]![3]!) < 1e-12);
    }
  });

  test("flips alone mirror the crop exactly (grid x, y, z = last, middle, first axis)", () => {
    for (const seed of [1, 2, 3]) {
      const g = new Generator(seed);
      const dims = [3, 2, 1].filter(() => g.random() > 0.5);
      const out = augmentCandidate(crop, { flip: true }, new Generator(seed));
      const ref = dims.length === 0 ? crop : flip(crop, dims);
      const d = out.sub(ref).abs().max().item() as number;
      assert.ok(d < 1e-3, `seed ${seed}, flipped dims ${dims}: max difference ${d}`);
    }
  });

  test("noise alone adds noise · randn from the generator", () => {
    const out = augmentCandidate(crop, { noise: 25 }, new Generator(6));
    const g = new Generator(6);
    const x = crop.dataSync();
    const y = out.dataSync();
    for (let i = 0; i < 50; i++) assert.ok(Math.abs(y[i]! - (x[i]! + 25 * g.normal())) < 1e-3);
  });
});

describe("LunaApp", () => {
  test("--balanced: training samples alternate nodule, non-nodule", async () => {
    const app = new LunaApp(
      { dataset: "nodules:60:0.1", balanced: true, batchSize: 6, out: tmp.dir },
      () => {},
    );
    const dl = app.initTrainDl();
    let n = 0;
    for (const [, y] of dl) {
      assert.deepEqual(Array.from(y.dataSync(), Number), [1, 0, 1, 0, 1, 0].slice(0, y.shape[0]));
      n += y.shape[0]!;
    }
    // 6 nodules, 54 others; validation takes ceil(6/10) + ceil(54/10) = 7, training the other 53.
    assert.equal(n, 53);
  });

  test("--binary is refused: the nodule task is binary already", () => {
    assert.throws(
      () => new LunaApp({ binary: 1 } as never, () => {}),
      /--binary does not apply to --model luna/,
    );
  });

  test(`a short seeded run reaches recall >= ${MIN_RECALL} and precision >= ${MIN_PRECISION}`, {
    skip:
      getBackend() === "native"
        ? false
        : "trains 96 3-D crops: about 20 s on the native backend, many minutes on the reference one",
  }, async () => {
    const lines: string[] = [];
    const app = new LunaApp({ ...SHORT_RUN, out: tmp.dir }, (l) => lines.push(l));
    await app.main();
    const records = readFileSync(join(app.runDir, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { mode: string; metrics: Record<string, number> });
    const val = records.filter((r) => r.mode === "val").at(-1)!;
    const text = lines.join("\n");
    assert.ok(val.metrics["pr/recall"]! >= MIN_RECALL, text);
    assert.ok(val.metrics["pr/precision"]! >= MIN_PRECISION, text);
    // The CLI's checkpoint readers (eval, info, predict, export) refuse it by name.
    const ckpt = readdirSync(join(tmp.dir, "models"), { recursive: true })
      .map(String)
      .find((f) => /_kiln\.\d+\.safetensors$/.test(f))!;
    assert.throws(() => openCheckpoint(join(tmp.dir, "models", ckpt)), /holds a LunaModel/);
  });
});
