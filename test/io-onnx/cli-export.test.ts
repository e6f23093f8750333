// `kiln export`: a checkpoint written by `kiln train` becomes an ONNX file whose logits match
// Kiln's and whose metadata_props carry the training normalisation; with normalizeInGraph the file
// takes raw pixels; bad input prints one line with a --help hint and exits 2.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { io, noGrad, rand, randn, tensor, train } from "../../src/index.ts";
import { decodeModel } from "../../src/io/onnx/index.ts";
import { assertClose, runOrt } from "./ort.ts";

const dir = mkdtempSync(join(tmpdir(), "kiln-onnx-cli-"));

function kiln(...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
}

describe("kiln export", () => {
  let checkpoint = "";

  before(() => {
    const r = kiln("train", "--limit", "500", "--val-limit", "100", "--epochs", "1", "--out", dir);
    assert.equal(r.status, 0, r.stderr);
    const models = join(dir, "models", "kiln");
    const best = readdirSync(models).find((f) => f.endsWith(".best.safetensors"));
    assert.ok(best !== undefined, "kiln train wrote a best checkpoint");
    checkpoint = join(models, best);
  });

  it("exports a trained checkpoint with a dynamic batch; onnxruntime matches Kiln", async () => {
    const out = join(dir, "mlp.onnx");
    const r = kiln("export", checkpoint, out, "--opset", "13", "--dynamic-batch");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /wrote .*mlp\.onnx: opset 13/);
    const m = decodeModel(readFileSync(out));
    assert.equal(m.opsetImport[0]!.version, 13);
    assert.equal(m.graph.input[0]!.type.tensorType.shape.dim[0]!.dimParam, "batch");

    const model = new train.NeuralNet();
    model.loadStateDict(io.loadSafetensors(checkpoint));
    model.eval();
    const x = randn(7, 784);
    const want = noGrad(() => model.forward(x));
    assertClose((await runOrt(out, x)).output, want);

    // The normalisation `kiln export` prints is stored in the metadata, as JSON.
    const stats = /mean \[([\d.]+)\], std \[([\d.]+)\]/.exec(r.stdout);
    assert.ok(stats !== null, r.stdout);
    const props = Object.fromEntries(m.metadataProps!.map((p) => [p.key, p.value]));
    const [mean] = JSON.parse(props["kiln.normalize.mean"]!) as number[];
    const [std] = JSON.parse(props["kiln.normalize.std"]!) as number[];
    assert.equal(mean!.toFixed(4), stats[1]);
    assert.equal(std!.toFixed(4), stats[2]);
    assert.equal(props["kiln.normalize.in_graph"], "false");
  });

  it("--normalize-in-graph: the file takes raw pixels and matches Kiln on normalised ones", async () => {
    const out = join(dir, "mlp-raw.onnx");
    const r = kiln("export", checkpoint, out, "--dynamic-batch", "--normalize-in-graph");
    assert.equal(r.status, 0, r.stderr);
    const m = decodeModel(readFileSync(out));
    const props = Object.fromEntries(m.metadataProps!.map((p) => [p.key, p.value]));
    assert.equal(props["kiln.normalize.in_graph"], "true");
    const [mean] = JSON.parse(props["kiln.normalize.mean"]!) as number[];
    const [std] = JSON.parse(props["kiln.normalize.std"]!) as number[];
    const model = new train.NeuralNet();
    model.loadStateDict(io.loadSafetensors(checkpoint));
    model.eval();
    const raw = rand(5, 784);
    const xn = raw.sub(tensor(mean!)).div(tensor(std!));
    assertClose(
      (await runOrt(out, raw)).output,
      noGrad(() => model.forward(xn)),
    );
  });

  it("bad input: one line, a --help hint, exit code 2", () => {
    const cases: [string[], RegExp][] = [
      [["export", join(dir, "missing.safetensors"), join(dir, "x.onnx")], /does not exist/],
      [
        ["export", checkpoint, join(dir, "x.onnx"), "--opset", "18"],
        /--opset must be an integer from 13 to 17/,
      ],
      [["export", checkpoint, join(dir, "x.onnx"), "--opset", "abc"], /--opset must be/],
    ];
    for (const [args, message] of cases) {
      const r = kiln(...args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /^kiln export: error: .*\(see 'kiln export --help'\)\n$/);
    }
  });
});
