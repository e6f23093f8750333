// Rule 2 of shared/API.md for io: PyTorch's positional order (SummaryWriter's methods as
// torch.utils.tensorboard documents them: add_scalar(tag, scalar_value, global_step=None,
// walltime=None, ...), add_histogram(tag, values, global_step=None, bins='tensorflow',
// walltime=None, max_bins=None), add_pr_curve(tag, labels, predictions, global_step=None,
// num_thresholds=127, weights=None, walltime=None), add_text(tag, text_string, global_step=None,
// walltime=None)), the same call as an options object writes the same event, and an extra
// positional, an unknown option or a wrong type throws a ValueError naming it.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ValueError } from "../../src/core/errors.ts";
import { nn, tensor } from "../../src/index.ts";
import { exportOnnx, exportOnnxBytes } from "../../src/io/onnx/index.ts";
import {
  loadSafetensors,
  parseSafetensors,
  saveSafetensors,
  serializeSafetensors,
} from "../../src/io/safetensors.ts";
import { SummaryWriter } from "../../src/io/summary-writer.ts";
import { saveTorch, serializeTorch } from "../../src/io/torch/save-torch.ts";
import { type ReadEvent, readEvent, readTfRecords } from "./tb-reader.ts";

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "kiln-io-args-"));
}

/** The events a writer produced, without the file-version event. */
function written(fill: (w: SummaryWriter) => void): ReadEvent[] {
  const w = new SummaryWriter(tmpDir(), { maxQueue: 100 });
  fill(w);
  w.close();
  return readTfRecords(fs.readFileSync(w.file)).map(readEvent).slice(1);
}

/** A ValueError whose message matches `re`. */
function valueError(re: RegExp): (e: unknown) => boolean {
  return (e) => e instanceof ValueError && re.test(e.message);
}

const WALL = 1700000000.5;

describe("SummaryWriter: positional arguments equal the options object", () => {
  it("addScalar(tag, v, step, walltime) == addScalar(tag, v, { globalStep, walltime })", () => {
    const a = written((w) => w.addScalar("loss/all", 0.25, 1000, WALL));
    const b = written((w) => w.addScalar("loss/all", 0.25, { globalStep: 1000, walltime: WALL }));
    const c = written((w) =>
      w.addScalar("loss/all", 0.25, 1000, WALL, { newStyle: false, doublePrecision: false }),
    );
    assert.equal(a.length, 1);
    assert.equal(a[0]!.step, 1000);
    assert.equal(a[0]!.wallTime, WALL);
    assert.equal(a[0]!.simpleValue, 0.25);
    assert.deepEqual(b, a);
    assert.deepEqual(c, a);
  });

  it("addHistogram: bins and walltime positionally or by name", () => {
    const edges = [0, 0.5, 1];
    const a = written((w) => w.addHistogram("h", [0.1, 0.2, 0.9], 3, edges, WALL));
    const b = written((w) =>
      w.addHistogram("h", [0.1, 0.2, 0.9], { globalStep: 3, bins: edges, walltime: WALL }),
    );
    // By hand: 0.1 and 0.2 in [0, 0.5), 0.9 in [0.5, 1]; one empty bucket in front.
    assert.deepEqual(a[0]!.histo!.bucket, [0, 2, 1]);
    assert.equal(a[0]!.step, 3);
    assert.equal(a[0]!.wallTime, WALL);
    assert.deepEqual(b, a);
  });

  it("addPrCurve: numThresholds, weights and walltime positionally or by name", () => {
    const a = written((w) => w.addPrCurve("pr", [1, 0], [0.9, 0.2], 7, 3, [1, 2], WALL));
    const b = written((w) =>
      w.addPrCurve("pr", [1, 0], [0.9, 0.2], 7, {
        numThresholds: 3,
        weights: [1, 2],
        walltime: WALL,
      }),
    );
    assert.deepEqual(a[0]!.tensor!.shape, [6, 3]);
    assert.equal(a[0]!.step, 7);
    assert.deepEqual(b, a);
  });

  it("addText(tag, text, step, walltime) == addText(tag, text, { globalStep, walltime })", () => {
    const a = written((w) => w.addText("args", "lr=0.01", 5, WALL));
    const b = written((w) => w.addText("args", "lr=0.01", { globalStep: 5, walltime: WALL }));
    assert.deepEqual(a[0]!.tensor!.strings, ["lr=0.01"]);
    assert.deepEqual(b, a);
  });

  it("the constructor takes torch's order: logDir, comment, purgeStep, maxQueue, flushSecs, filenameSuffix", () => {
    const dir = tmpDir();
    const w = new SummaryWriter(dir, "", null, 10, 120, ".sfx");
    assert.equal(w.logDir, dir);
    assert.ok(w.file.endsWith(".sfx"));
    w.close();
    const v = new SummaryWriter(dir, { filenameSuffix: ".opt", flushSecs: 5 });
    assert.ok(v.file.endsWith(".opt"));
    v.close();
  });
});

describe("SummaryWriter: what it does not understand throws", () => {
  const w = new SummaryWriter(tmpDir());
  it("an extra positional argument", () => {
    assert.throws(
      () => (w.addScalar as (...a: unknown[]) => void)("s", 1, 1, WALL, false, false, 9),
      valueError(/addScalar: takes 6 positional arguments .* the extra one is 9/),
    );
    assert.throws(
      () => (w.addText as (...a: unknown[]) => void)("t", "x", 1, WALL, 3),
      valueError(/addText: takes 4 positional arguments/),
    );
    assert.throws(
      () => (w.flush as (...a: unknown[]) => void)(1),
      valueError(/SummaryWriter\.flush: takes 0 arguments/),
    );
  });

  it("an unknown option, with the camelCase hint for a snake_case key", () => {
    assert.throws(
      () => w.addScalar("s", 1, { global_step: 3 } as never),
      valueError(/unknown option "global_step" \(did you mean "globalStep"\?/),
    );
    assert.throws(
      () => w.addHistogram("h", [1], { max_bins: null } as never),
      valueError(/unknown option "max_bins" \(did you mean "maxBins"\?/),
    );
    assert.throws(
      () => new SummaryWriter(tmpDir(), { flush_secs: 1 } as never),
      valueError(/SummaryWriter: unknown option "flush_secs" \(did you mean "flushSecs"\?/),
    );
  });

  it("a wrong type, or a value of an option Kiln does not implement", () => {
    assert.throws(
      () => w.addScalar("s", "1" as never, 3),
      valueError(/argument "scalarValue" must be a number or a Tensor, got "1"/),
    );
    assert.throws(
      () => w.addScalar("s", 1, 3, WALL, true as never),
      valueError(/"newStyle" must be false \(Kiln does not implement new_style\)/),
    );
    assert.throws(
      () => w.addHistogram("h", [1], 0, "auto" as never),
      valueError(/argument "bins" must be an int, an array of increasing edges or "tensorflow"/),
    );
    assert.throws(
      () => w.addHistogram("h", [1], { maxBins: 10 as never }),
      valueError(/"maxBins" must be null/),
    );
    assert.throws(
      () => new SummaryWriter(tmpDir(), "", 5 as never),
      valueError(/"purgeStep" must be null/),
    );
  });
});

describe("safetensors, torch.save and ONNX export: rule 2", () => {
  const sd = { w: tensor([1, 2, 3]) };

  it("the documented call forms still work", () => {
    const file = path.join(tmpDir(), "m.safetensors");
    saveSafetensors(file, sd, { metadata: { format: "pt" } });
    assert.deepEqual(loadSafetensors(file).w!.toArray(), [1, 2, 3]);
    assert.deepEqual(loadSafetensors(file, "cpu").w!.toArray(), [1, 2, 3]);
    assert.deepEqual(loadSafetensors(file, { device: "cpu" }).w!.toArray(), [1, 2, 3]);
    const parsed = parseSafetensors(serializeSafetensors(sd, { metadata: { a: "b" } }));
    assert.deepEqual(parsed.metadata, { a: "b" });
    saveTorch(path.join(tmpDir(), "m.pt"), sd, { intDtype: "int32" });
    assert.ok(serializeTorch(sd).length > 0);
  });

  it("throws on an extra positional, an unknown option and a wrong type", () => {
    const file = path.join(tmpDir(), "m.safetensors");
    assert.throws(
      () => (saveSafetensors as (...a: unknown[]) => void)(file, sd, { metadata: {} }, 1),
      valueError(/io\.saveSafetensors: takes 2 positional arguments/),
    );
    assert.throws(
      () => saveSafetensors(file, sd, { meta_data: {} } as never),
      valueError(/io\.saveSafetensors: unknown option "meta_data"/),
    );
    assert.throws(
      () => saveSafetensors(sd as never, file as never),
      valueError(/argument "file" must be a string/),
    );
    assert.throws(() => loadSafetensors(file, "cuda" as never), valueError(/"device" must be/));
    assert.throws(
      () => saveTorch(file, sd, { int_dtype: "int32" } as never),
      valueError(/io\.saveTorch: unknown option "int_dtype" \(did you mean "intDtype"\?/),
    );
    assert.throws(
      () => saveTorch(file, sd, { intDtype: "int16" } as never),
      valueError(/"intDtype" must be one of "int64", "int32"/),
    );
    const model = new nn.Linear(2, 1);
    const x = tensor([[1, 2]], { dtype: "float32" });
    assert.ok(exportOnnxBytes(model, x, { opsetVersion: 17 }).length > 0);
    assert.throws(
      () => exportOnnx(model, x, path.join(tmpDir(), "m.onnx"), { opset_version: 17 } as never),
      valueError(/io\.exportOnnx: unknown option "opset_version" \(did you mean "opsetVersion"\?/),
    );
    assert.throws(
      () => exportOnnxBytes(model, x, { doConstantFolding: true } as never),
      valueError(/unknown option "doConstantFolding"/),
    );
    assert.throws(
      () => exportOnnxBytes({} as never, x),
      valueError(/argument "model" must be an nn\.Module/),
    );
  });
});
