// End to end: `kiln train` on a small MNIST subset, then every file it writes read back with
// Kiln's readers and the suite's independent TensorBoard reader; then `kiln eval`, `info`,
// `predict` (IDX and PNG) and `report` on what it produced.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PNG } from "pngjs";
import {
  data,
  fromTypedArray,
  io,
  linspace,
  nn,
  noGrad,
  type Tensor,
  tensor,
} from "../../src/index.ts";
import { readEvent, readTfRecords } from "../io/tb-reader.ts";
import { type KilnResult, kiln, only, ROOT, SMALL, tempDir } from "./helpers.ts";

const tmp = tempDir("e2e");
let run: KilnResult;
let models: string;
let runs: string;

before(async () => {
  run = await kiln("train", ...SMALL, "--epochs", "2", "--keep-last", "2", "--out", tmp.dir);
  models = join(tmp.dir, "models", "kiln");
  runs = join(tmp.dir, "runs", "kiln");
});
after(() => tmp.cleanup());

const STEM = /^mnist_\d{4}-\d\d-\d\d_\d\d\.\d\d\.\d\d_kiln\./;
const weights = (tag: string) => only(models, new RegExp(`${STEM.source}${tag}\\.safetensors$`));

describe("kiln train --limit 1000 --val-limit 300 --epochs 2", () => {
  test("exits 0 and prints the book's per-epoch lines", () => {
    assert.equal(run.code, 0, run.stderr);
    const out = run.stdout;
    // 1000 / 64 → 16 training batches, 300 / 64 → 5 validation batches.
    assert.match(out, /^Epoch 1 of 2, 16\/5 batches of size 64$/m);
    assert.match(out, /^Epoch 2 of 2, 16\/5 batches of size 64$/m);
    for (const e of [1, 2]) {
      assert.match(out, new RegExp(`^E${e} Training ----/16, starting$`, "m"));
      assert.match(
        out,
        new RegExp(
          `^E${e} Training    4/16, done at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d, \\d+:\\d\\d:\\d\\d$`,
          "m",
        ),
      );
      assert.match(out, new RegExp(`^E${e} Validation  ----/5, starting$`, "m"));
      for (const mode of ["trn", "val"]) {
        assert.match(
          out,
          new RegExp(
            `^E${e} ${mode}      \\d\\.\\d{4} loss, [ \\d]{2}\\d\\.\\d% correct, \\d\\.\\d{4} precision, \\d\\.\\d{4} recall, \\d\\.\\d{4} f1 score$`,
            "m",
          ),
        );
        for (let c = 0; c < 10; c++) {
          assert.match(
            out,
            new RegExp(
              `^E${e} ${mode}_${c}    \\d\\.\\d{4} loss, .*% correct \\(\\d+ of \\d+\\)`,
              "m",
            ),
          );
        }
      }
    }
    assert.match(out, /^SHA1: [0-9a-f]{40}$/m);
    assert.match(out, /^Run directory: .*runs\/kiln\/.*-kiln/m);
    assert.equal(run.stderr.replace(/^kiln: native backend unavailable.*\n?/m, ""), "");
  });

  test("checkpoints: PyTorch state-dict names and shapes, optimizer tensors, sidecar with SHA-1", () => {
    for (const tag of ["1000", "2000", "best"]) {
      const path = weights(tag);
      const st = io.loadSafetensors(path);
      assert.deepEqual(
        Object.fromEntries(Object.entries(st).map(([k, t]) => [k, t.shape])),
        // torch.nn.Linear(784, 128).weight is [out, in].
        { "fc1.weight": [128, 784], "fc1.bias": [128], "fc2.weight": [10, 128], "fc2.bias": [10] },
      );
      assert.equal(io.readSafetensors(path).metadata.format, "pt");
      const stem = path.replace(/\.safetensors$/, "");
      const meta = JSON.parse(readFileSync(`${stem}.json`, "utf8"));
      assert.equal(meta.format, "kiln-checkpoint");
      assert.equal(meta.modelClass, "NeuralNet");
      assert.equal(meta.optimizerClass, "SGD");
      assert.equal(meta.weightsSha1, io.sha1File(path));
      assert.equal(meta.weightsFile, path.split("/").pop());
      assert.equal(meta.interrupted, false);
      assert.equal(meta.args.limit, 1000);
      assert.deepEqual(meta.extras.itemShape, [1, 28, 28]);
      const optim = io.loadSafetensors(join(models, meta.optimizerFile));
      // SGD with momentum: one buffer per parameter, shaped like it (params in registration order).
      assert.deepEqual(
        Object.keys(optim)
          .sort()
          .map((k) => [k, optim[k]!.shape]),
        [
          ["state.0.momentum_buffer", [128, 784]],
          ["state.1.momentum_buffer", [128]],
          ["state.2.momentum_buffer", [10, 128]],
          ["state.3.momentum_buffer", [10]],
        ],
      );
    }
    const m1 = JSON.parse(readFileSync(weights("1000").replace(/safetensors$/, "json"), "utf8"));
    const m2 = JSON.parse(readFileSync(weights("2000").replace(/safetensors$/, "json"), "utf8"));
    assert.deepEqual([m1.epoch, m1.totalTrainingSamples_count], [1, 1000]);
    assert.deepEqual([m2.epoch, m2.totalTrainingSamples_count], [2, 2000]);
    // The best copy holds the weights of the better epoch (validation accuracy rises here).
    const best = JSON.parse(readFileSync(weights("best").replace(/safetensors$/, "json"), "utf8"));
    assert.equal(best.epoch, 2);
    assert.deepEqual(readFileSync(weights("best")), readFileSync(weights("2000")));
    assert.equal(readdirSync(models).filter((n) => n.includes(".tmp")).length, 0);
  });

  test("metrics.jsonl: trn and val of both epochs, matching the printed lines", () => {
    const runDir = only(runs, /^\d{4}-\d\d-\d\d_\d\d\.\d\d\.\d\d-kiln$/);
    const records = io.readMetricsJsonl(join(runDir, "metrics.jsonl"));
    assert.deepEqual(
      records.map((r) => [r.epoch, r.mode, r.step]),
      [
        [1, "trn", 1000],
        [1, "val", 1000],
        [2, "trn", 2000],
        [2, "val", 2000],
      ],
    );
    for (const r of records) {
      const line = `E${r.epoch} ${r.mode.padEnd(8)} ${r.metrics["loss/all"]!.toFixed(4)} loss, ${r.metrics["correct/all"]!.toFixed(1).padStart(5)}% correct`;
      assert.ok(run.stdout.includes(line), line);
      const n = r.mode === "trn" ? 1000 : 300;
      assert.equal(
        r.confusion!.flat().reduce((a, b) => a + b, 0),
        n,
      );
    }
    const html = readFileSync(join(runDir, "report.html"), "utf8");
    assert.match(html, /<svg/);
    assert.doesNotMatch(html, /https?:\/\//, "report.html must not reference the network");
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/);
    const runJson = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
    assert.equal(runJson.args.epochs, 2);
  });

  test("TensorBoard events parse with the independent reader; scalars at step = samples seen", () => {
    const runDir = only(runs, /^\d{4}-\d\d-\d\d_\d\d\.\d\d\.\d\d-kiln$/);
    const records = io.readMetricsJsonl(join(runDir, "metrics.jsonl"));
    for (const mode of ["trn", "val"] as const) {
      const dir = only(runs, new RegExp(`-${mode}_cls-kiln$`));
      const file = only(dir, /^events\.out\.tfevents\./);
      const events = readTfRecords(new Uint8Array(readFileSync(file))).map(readEvent);
      assert.equal(events[0]!.fileVersion, "brain.Event:2");
      const scalars = events.filter((e) => e.simpleValue !== undefined);
      for (const tag of [
        "loss/all",
        "correct/all",
        "pr/precision",
        "pr/recall",
        "pr/f1_score",
        "loss/3",
        "correct/3",
      ]) {
        const got = scalars.filter((e) => e.tag === tag);
        const want = records.filter((r) => r.mode === mode);
        assert.deepEqual(
          got.map((e) => [e.step, e.simpleValue]),
          want.map((r) => [r.step, Math.fround(r.metrics[tag]!)]),
          `${mode} ${tag}`,
        );
      }
    }
  });
});

const TORCH_PYTHON = "/usr/bin/python3";
const hasTorch =
  existsSync(TORCH_PYTHON) &&
  spawnSync(TORCH_PYTHON, ["-c", "import torch"], { stdio: "ignore" }).status === 0;

test("PyTorch's load_state_dict(strict=True) accepts the checkpoint; same logits as Kiln", {
  skip: hasTorch ? false : "needs Debian's PyTorch at /usr/bin/python3",
}, () => {
  const path = weights("2000");
  const r = spawnSync(TORCH_PYTHON, [join(ROOT, "tools/golden/train_checkpoint_check.py"), path], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const got = JSON.parse(r.stdout) as { ok: boolean; logits: number[] };
  assert.equal(got.ok, true);
  const model = new nnNet();
  model.loadStateDict(io.loadSafetensors(path));
  const x = linspace(-1, 1, 784).reshape(1, 784);
  const logits = noGrad(() => model.forward(x)).dataSync();
  got.logits.forEach((v, i) => {
    assert.ok(Math.abs(logits[i]! - v) < 1e-5, `logit ${i}: kiln ${logits[i]} torch ${v}`);
  });
});

describe("kiln eval / info / predict / report on the run's checkpoint", () => {
  test("eval prints the validation lines of the last epoch", async () => {
    const r = await kiln("eval", weights("2000"));
    assert.equal(r.code, 0, r.stderr);
    const evalLines = r.stdout.split("\n").filter((l) => /^E2 val/.test(l));
    const trainLines = run.stdout.split("\n").filter((l) => /^E2 val/.test(l));
    assert.equal(evalLines.length, 11);
    assert.deepEqual(evalLines, trainLines);
  });

  test("info: architecture, parameter count, training state, SHA-1 check", async () => {
    const r = await kiln("info", weights("2000"));
    assert.equal(r.code, 0, r.stderr);
    // 784·128 + 128 + 128·10 + 10 = 101770 parameters.
    assert.match(
      r.stdout,
      /model: NeuralNet \(mlp\), 101770 parameters, input \[1, 28, 28\], 10 classes/,
    );
    assert.match(r.stdout, /trained: 2 epoch\(s\), 2000 samples, dataset mnist/);
    assert.match(r.stdout, /matches the sidecar/);
  });

  test("predict: an IDX file and a PNG give the probabilities of the model computed here", async () => {
    const dir = data.datasets.bundledMnistDir();
    const idx = data.datasets.parseIdx("t10k", readFileSync(join(dir, "t10k-images-idx3-ubyte")));
    const n = 4;
    const pixels = idx.bytes.subarray(0, n * 784);
    const header = Buffer.alloc(16);
    header.writeUInt32BE(0x00000803, 0);
    header.writeUInt32BE(n, 4);
    header.writeUInt32BE(28, 8);
    header.writeUInt32BE(28, 12);
    const idxPath = join(tmp.dir, "four-images-idx3-ubyte");
    writeFileSync(idxPath, Buffer.concat([header, pixels]));
    const png = new PNG({ width: 28, height: 28 });
    for (let i = 0; i < 784; i++) {
      png.data.set([pixels[i]!, pixels[i]!, pixels[i]!, 255], 4 * i);
    }
    const pngPath = join(tmp.dir, "digit.png");
    writeFileSync(pngPath, PNG.sync.write(png));

    // Expected: the saved weights in a NeuralNet, inputs normalised with the sidecar's statistics.
    const path = weights("2000");
    const meta = JSON.parse(readFileSync(path.replace(/safetensors$/, "json"), "utf8"));
    const model = new nnNet();
    model.loadStateDict(io.loadSafetensors(path));
    const x = fromTypedArray(
      Float32Array.from(pixels, (v) => v / 255),
      [n, 784],
    )
      .sub(tensor(meta.extras.mean, { dtype: "float32" }))
      .div(tensor(meta.extras.std, { dtype: "float32" }));
    const probs = noGrad(() => nn.functional.softmax(model.forward(x), 1)).toArray() as number[][];
    const expected = probs.map((p) => {
      const best = p.indexOf(Math.max(...p));
      return `class ${best} (p=${p[best]!.toFixed(4)})  [${p.map((v, j) => `${j}: ${v.toFixed(4)}`).join(", ")}]`;
    });

    const fromIdx = await kiln("predict", path, idxPath);
    assert.equal(fromIdx.code, 0, fromIdx.stderr);
    assert.deepEqual(
      fromIdx.stdout.trim().split("\n"),
      expected.map((l, i) => `image ${i}: ${l}`),
    );
    const fromPng = await kiln("predict", path, pngPath);
    assert.equal(fromPng.code, 0, fromPng.stderr);
    assert.equal(fromPng.stdout.trim(), expected[0]);
  });

  test("report rebuilds report.html from metrics.jsonl", async () => {
    const runDir = only(runs, /^\d{4}-\d\d-\d\d_\d\d\.\d\d\.\d\d-kiln$/);
    const html = join(runDir, "report.html");
    const before = readFileSync(html, "utf8");
    const mtime = statSync(html).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    const r = await kiln("report", runDir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /report\.html/);
    assert.ok(existsSync(html));
    assert.ok(statSync(html).mtimeMs > mtime);
    const after = readFileSync(html, "utf8");
    assert.match(after, /<svg/);
    assert.doesNotMatch(after, /https?:\/\//);
    assert.ok(after.length > before.length / 2);
  });
});

/** The seed's NeuralNet built from plain nn layers, as an independent copy of train.NeuralNet. */
class nnNet extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}
