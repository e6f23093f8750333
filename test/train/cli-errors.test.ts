// Bad input to the `kiln` CLI: each case prints exactly one line to stderr naming the problem
// with a `--help` hint, exits 2, and writes nothing (the --out directory stays absent).
// `kiln --help` and `kiln train --help` exit 0.

import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { kiln, tempDir, trainTinyMlp } from "./helpers.ts";

const tmp = tempDir("errors");
let mlpCheckpoint = "";
let csvFile = "";

before(async () => {
  const out = join(tmp.dir, "mlp");
  mlpCheckpoint = await trainTinyMlp(out);
  // A tabular dataset with 4 features and 3 classes: another input size than MNIST's 784.
  csvFile = join(tmp.dir, "iris-like.csv");
  const rows = Array.from(
    { length: 30 },
    (_, i) => `${i % 7},${(i * 3) % 5},${i % 4},${i % 2},${i % 3}`,
  );
  writeFileSync(csvFile, `a,b,c,d,label\n${rows.join("\n")}\n`);
  mkdirSync(join(tmp.dir, "not-a-run"));
});
after(() => tmp.cleanup());

/** [name, argv (an --out under tmp is added for train), what stderr must mention]. */
const cases: [string, () => string[], RegExp][] = [
  ["unknown option", () => ["train", "--bogus"], /unknown option '--bogus'/],
  ["non-numeric --lr", () => ["train", "--lr", "abc"], /--lr.*'abc'/],
  ["--epochs 0", () => ["train", "--epochs", "0"], /--epochs.*integer >= 1.*'0'/],
  ["--momentum 2", () => ["train", "--momentum", "2"], /--momentum.*\[0, 1\].*'2'/],
  ["--batch-size 1.5", () => ["train", "--batch-size", "1.5"], /--batch-size.*'1\.5'/],
  ["unknown --model", () => ["train", "--model", "resnet"], /--model.*'resnet'.*mlp, cnn/],
  ["unknown --optimizer", () => ["train", "--optimizer", "lbfgs"], /--optimizer.*'lbfgs'/],
  ["--binary out of range", () => ["train", "--binary", "12", "--limit", "64"], /--binary.*12/],
  ["--balanced without --binary", () => ["train", "--balanced"], /--balanced needs --binary/],
  ["unknown dataset", () => ["train", "--dataset", "imagenet"], /unknown dataset 'imagenet'/],
  [
    "missing --dataset dir",
    () => ["train", "--dataset", `fashion-mnist:${join(tmp.dir, "nope")}`],
    /FashionMNIST.*not found/,
  ],
  [
    "missing --resume checkpoint",
    () => ["train", "--resume", join(tmp.dir, "nope.safetensors")],
    /nope\.safetensors' does not exist/,
  ],
  [
    "--resume an mlp as a cnn",
    () => ["train", "--resume", mlpCheckpoint, "--model", "cnn"],
    /NeuralNet.*ConvNet|ConvNet.*NeuralNet/,
  ],
  [
    "--resume on data of another input size",
    () => ["train", "--resume", mlpCheckpoint, "--dataset", `csv:${csvFile}`],
    /inputs \[1, 28, 28\] with 10 classes.*inputs \[4\] with 3 classes/,
  ],
  [
    "--model cnn on tabular data",
    () => ["train", "--model", "cnn", "--dataset", `csv:${csvFile}`],
    /cnn needs image data/,
  ],
  ["bad comment", () => ["train", "a/b"], /comment 'a\/b'/],
  [
    "eval of a missing checkpoint",
    () => ["eval", join(tmp.dir, "nope.safetensors")],
    /does not exist/,
  ],
  [
    "info of a missing checkpoint",
    () => ["info", join(tmp.dir, "nope.safetensors")],
    /does not exist/,
  ],
  [
    "predict of a missing input",
    () => ["predict", mlpCheckpoint, join(tmp.dir, "nope.png")],
    /nope\.png/,
  ],
  ["predict of a non-image", () => ["predict", mlpCheckpoint, csvFile], /iris-like\.csv/],
  ["report on a non-run dir", () => ["report", join(tmp.dir, "not-a-run")], /not a run directory/],
  ["unknown command", () => ["fly"], /unknown command 'fly'/],
];

describe("bad input: one line on stderr, exit code 2, nothing written", { concurrency: 4 }, () => {
  cases.forEach(([name, argv, mention], i) => {
    test(name, async () => {
      const out = join(tmp.dir, `out${i}`);
      const args = argv();
      const r = await kiln(...args, ...(args[0] === "train" ? ["--out", out] : []));
      assert.equal(r.code, 2, `exit code ${r.code}; stderr: ${r.stderr}`);
      const lines = r.stderr
        .split("\n")
        .filter((l) => l !== "" && !/^kiln: native backend unavailable/.test(l));
      assert.equal(lines.length, 1, `stderr: ${r.stderr}`);
      const command = ["train", "eval", "info", "predict", "report"].includes(args[0]!)
        ? args[0]
        : null;
      assert.match(lines[0]!, command ? new RegExp(`^kiln ${command}: error: `) : /^kiln: error: /);
      assert.match(lines[0]!, mention);
      assert.match(
        lines[0]!,
        command ? new RegExp(`\\(see 'kiln ${command} --help'\\)$`) : /\(see 'kiln --help'\)$/,
      );
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
      assert.equal(r.stdout.includes("Saved model"), false);
      assert.ok(!existsSync(out) || readdirSync(out).length === 0, `${out} was written`);
    });
  });
});

describe("help", { concurrency: 2 }, () => {
  test("kiln --help", async () => {
    const r = await kiln("--help");
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: kiln/);
    for (const c of ["train", "eval", "predict", "info", "report"])
      assert.match(r.stdout, new RegExp(`\\n  ${c} `));
  });
  test("kiln train --help", async () => {
    const r = await kiln("train", "--help");
    assert.equal(r.code, 0);
    for (const o of [
      "--model",
      "--dataset",
      "--binary",
      "--epochs",
      "--resume",
      "--out",
      "--balanced",
    ]) {
      assert.ok(r.stdout.includes(o), o);
    }
  });
});
