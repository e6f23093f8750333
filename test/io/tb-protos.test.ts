// The TensorBoard writer's protobufs (encoded by protobufjs) against PyTorch 1.13's own
// torch.utils.tensorboard.summary, run with TensorBoard's published .proto files by
// tools/io_tb_proto_golden.py: Summary bytes for text, scalars, histograms and PR curves, Event
// bytes, images (pixels and every field but the PNG bytes) and the hparams plugin's summaries.
// Records are read back with the independent reader in tb-reader.ts.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { PNG } from "pngjs";
import { ValueError } from "../../src/core/errors.ts";
import { encodeSummaryMessage } from "../../src/io/protobuf.ts";
import { SummaryWriter } from "../../src/io/summary-writer.ts";
import { encodeEvent, summaryValue, toHwcImage } from "../../src/io/tb-summaries.ts";
import { Tensor } from "../../src/tensor/tensor.ts";
import {
  decodeMessage,
  type ReadEvent,
  readEvent,
  readHParams,
  readTfRecords,
} from "./tb-reader.ts";

const GOLDEN = path.join(import.meta.dirname, "..", "golden", "io", "tb_protos.json");

interface ImageCase {
  name: string;
  batch: boolean;
  dtype: "float32" | "float64" | "uint8";
  shape: number[];
  values: number[];
  dataformats: "NCHW" | "NHWC" | "CHW" | "HWC" | "HW";
  height: number;
  width: number;
  colorspace: number;
  pixels: number[];
  summary_without_png: string;
}

interface HParamsCase {
  hparam_dict: Record<string, number | string | boolean>;
  metric_dict: Record<string, number>;
  hparam_domain_discrete: Record<string, (number | string | boolean)[]> | null;
  experiment: string;
  session_start_info: string;
  session_end_info: string;
}

const golden = JSON.parse(fs.readFileSync(GOLDEN, "utf8")) as {
  text: { tag: string; text: string; summary: string }[];
  scalar: { tag: string; value: number; summary: string }[];
  histogram: { tag: string; values: number[]; bins: number | number[]; summary: string }[];
  pr_curve: {
    tag: string;
    labels: number[];
    predictions: number[];
    num_thresholds: number;
    weights: number[] | null;
    summary: string;
  }[];
  images: ImageCase[];
  hparams: HParamsCase[];
  events: {
    wall_time: number;
    step: number;
    summary?: string;
    file_version?: string;
    event: string;
  }[];
};

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "kiln-tb-protos-"));
}

function readEvents(file: string): ReadEvent[] {
  return readTfRecords(fs.readFileSync(file)).map(readEvent);
}

/** Writes with `fill`, then returns the events after the file-version one. */
function written(fill: (w: SummaryWriter) => void): ReadEvent[] {
  const w = new SummaryWriter(tmpDir());
  fill(w);
  w.close();
  const [version, ...rest] = readEvents(w.file);
  assert.equal(version!.fileVersion, "brain.Event:2");
  return rest;
}

function imageTensor(c: ImageCase): Tensor {
  // Kiln has no uint8: int32 tensors stand for it (taken as 0-255, not scaled).
  if (c.dtype === "uint8") return Tensor.fromData(Int32Array.from(c.values), c.shape, "int32");
  if (c.dtype === "float64")
    return Tensor.fromData(Float64Array.from(c.values), c.shape, "float64");
  return Tensor.fromData(Float32Array.from(c.values), c.shape, "float32");
}

describe("SummaryWriter matches torch.utils.tensorboard.summary byte for byte", () => {
  it("text summaries (the text plugin: DT_STRING tensor [1], empty TextPluginData)", () => {
    const events = written((w) => {
      for (const c of golden.text) w.addText(c.tag, c.text, 3);
    });
    assert.deepEqual(
      events.map((e) => hex(e.summaryBytes!)),
      golden.text.map((c) => c.summary),
    );
  });

  it("scalars (simple_value, written even when 0)", () => {
    const events = written((w) => {
      for (const c of golden.scalar) w.addScalar(c.tag, c.value, 1);
    });
    assert.deepEqual(
      events.map((e) => hex(e.summaryBytes!)),
      golden.scalar.map((c) => c.summary),
    );
  });

  it("histograms (edges and a bin count); sum_squares to 1e-12", () => {
    const events = written((w) => {
      for (const c of golden.histogram) w.addHistogram(c.tag, c.values, 1, { bins: c.bins });
    });
    events.forEach((e, i) => {
      // NOTE: numpy's values.dot(values) sums in BLAS order, Kiln in index order, so the last bits
      // of sum_squares may differ: compare it with a tolerance, then every byte with it patched.
      const want = Buffer.from(golden.histogram[i]!.summary, "hex");
      const got = Buffer.from(e.summaryBytes!);
      const sumSquares = (b: Buffer) => {
        const value = decodeMessage(decodeMessage(b).get(1)![0]!.bytes).get(5)![0]!.bytes;
        const field = decodeMessage(value).get(5)![0]!.bytes; // HistogramProto.sum_squares
        const offset = field.byteOffset - b.byteOffset;
        return { offset, value: b.readDoubleLE(offset) };
      };
      const [sw, sg] = [sumSquares(want), sumSquares(got)];
      assert.equal(sg.offset, sw.offset);
      assert.ok(Math.abs(sw.value - sg.value) <= 1e-12 * sw.value, `${sg.value} vs ${sw.value}`);
      want.copy(got, sg.offset, sw.offset, sw.offset + 8);
      assert.equal(hex(got), hex(want));
    });
  });

  it("PR curves (with and without weights)", () => {
    const events = written((w) => {
      for (const c of golden.pr_curve) {
        w.addPrCurve(c.tag, c.labels, c.predictions, 1, {
          numThresholds: c.num_thresholds,
          weights: c.weights,
        });
      }
    });
    assert.deepEqual(
      events.map((e) => hex(e.summaryBytes!)),
      golden.pr_curve.map((c) => c.summary),
    );
  });

  it("Event messages (wall_time, step left out when 0, file_version or summary)", () => {
    const scalar = summaryValue("loss/all", { kind: "scalar", value: 0.2563 });
    assert.equal(hex(encodeSummaryMessage([scalar])), golden.events[0]!.summary);
    for (const c of golden.events) {
      const what =
        c.file_version !== undefined ? { fileVersion: c.file_version } : { summary: [scalar] };
      assert.equal(hex(encodeEvent(c.wall_time, c.step, what)), c.event);
    }
  });
});

describe("addImage / addImages", () => {
  for (const c of golden.images) {
    it(`${c.name}: ${c.dataformats} ${c.dtype} [${c.shape.join(", ")}] as torch's summary.image`, () => {
      const t = imageTensor(c);
      const [e] = written((w) => {
        if (c.batch) w.addImages(c.name, t, 7, { dataformats: c.dataformats });
        else w.addImage(c.name, t, 7, { dataformats: c.dataformats as "CHW" | "HWC" | "HW" });
      });
      assert.equal(e!.tag, c.name);
      assert.equal(e!.step, 7);
      const im = e!.image!;
      assert.deepEqual([im.height, im.width, im.colorspace], [c.height, c.width, c.colorspace]);
      // The PNG decodes (pngjs's reader) to torch's pixels (PIL's reader of PIL's PNG).
      const png = PNG.sync.read(Buffer.from(im.png));
      assert.deepEqual([png.height, png.width], [c.height, c.width]);
      assert.equal(png.alpha, c.colorspace === 4);
      const pixels: number[] = [];
      for (let p = 0; p < png.width * png.height; p++) {
        for (let k = 0; k < c.colorspace; k++) pixels.push(png.data[4 * p + k]!);
      }
      assert.deepEqual(pixels, c.pixels);
      // Every other field, byte for byte.
      const v = summaryValue(c.name, {
        kind: "image",
        image: toHwcImage(
          Array.from(t.float().dataSync()),
          c.shape,
          c.dataformats,
          c.dtype !== "uint8",
        ),
      });
      const noPng = { ...v, image: { ...v.image!, encodedImageString: new Uint8Array(0) } };
      assert.equal(hex(encodeSummaryMessage([noPng])), c.summary_without_png);
    });
  }

  it("scales by hand: trunc(float32(v) * 255), clamped; int tensors as 0-255", () => {
    // float32(1/255) * 255 rounds to exactly 1 in float32; 0.999 * 255 = 254.745 -> 254;
    // 0.5 -> 127.5 -> 127; -0.2 and 1.7 clamp to 0 and 255; NaN -> 0.
    const f = Tensor.fromData(
      Float32Array.of(1 / 255, 0.999, 0.5, -0.2, 1.7, Number.NaN),
      [6, 1],
      "float32",
    );
    const [e] = written((w) => w.addImage("f", f, 0, { dataformats: "HW" }));
    const png = PNG.sync.read(Buffer.from(e!.image!.png));
    assert.deepEqual(
      Array.from({ length: 6 }, (_, i) => png.data[4 * i]),
      [1, 254, 127, 0, 255, 0],
    );
    const ints = Tensor.fromData(Int32Array.of(0, 7, 255, 300), [1, 4], "int32");
    const [g] = written((w) => w.addImage("i", ints, 0, { dataformats: "HW" }));
    const png2 = PNG.sync.read(Buffer.from(g!.image!.png));
    assert.deepEqual(
      Array.from({ length: 4 }, (_, i) => png2.data[4 * i + 1]),
      [0, 7, 255, 255],
    );
  });

  it("rejects bad input with ValueErrors naming the problem", () => {
    const w = new SummaryWriter(tmpDir());
    const img = Tensor.fromData(new Float32Array(2 * 4 * 4), [2, 4, 4], "float32");
    assert.throws(() => w.addImage("x", img), /1, 3 or 4 channels/);
    assert.throws(() => w.addImage("x", img, 0, { dataformats: "HW" }), /needs 2 dimensions/);
    assert.throws(
      () => w.addImage("x", img, 0, { dataformats: "NCHW" as "CHW" }),
      (e: unknown) => e instanceof ValueError && /dataformats/.test(e.message),
    );
    assert.throws(
      () => w.addImage("x", img, 0, { walltime: 1, bogus: 1 } as never),
      (e: unknown) => e instanceof ValueError && /bogus/.test(e.message),
    );
    const rgba = Tensor.fromData(new Float32Array(2 * 4 * 2 * 2), [2, 4, 2, 2], "float32");
    assert.throws(() => w.addImages("x", rgba), /1 or 3 for a batch/);
    w.close();
  });
});

describe("addHparams", () => {
  golden.hparams.forEach((c, n) => {
    it(`case ${n}: a sub-run with torch's experiment, session start/end and metric scalars`, () => {
      const root = tmpDir();
      const w = new SummaryWriter(root);
      w.addHparams(c.hparam_dict, c.metric_dict, {
        ...(c.hparam_domain_discrete === null
          ? {}
          : { hparamDomainDiscrete: c.hparam_domain_discrete }),
        runName: "run-a",
      });
      w.close();
      assert.deepEqual(readEvents(w.file).length, 1, "nothing in the parent run");
      const sub = path.join(root, "run-a");
      const files = fs.readdirSync(sub);
      assert.equal(files.length, 1);
      const [version, exp, ssi, sei, ...metrics] = readEvents(path.join(sub, files[0]!));
      assert.equal(version!.fileVersion, "brain.Event:2");
      assert.equal(hex(exp!.summaryBytes!), c.experiment);
      assert.equal(hex(ssi!.summaryBytes!), c.session_start_info);
      assert.equal(hex(sei!.summaryBytes!), c.session_end_info);
      for (const e of [exp, ssi, sei]) assert.equal(e!.step, 0);
      assert.deepEqual(
        metrics.map((e) => [e.tag, e.step, e.simpleValue]),
        Object.entries(c.metric_dict).map(([k, v]) => [k, 0, Math.fround(v)]),
      );
    });
  });

  it("decodes by hand: booleans are numbers of DATA_TYPE_FLOAT64 (3), strings DATA_TYPE_STRING (1)", () => {
    const root = tmpDir();
    const w = new SummaryWriter(root);
    w.addHparams(
      { lr: 0.5, opt: "adam", nesterov: true },
      { "hparam/acc": 0.75 },
      { hparamDomainDiscrete: { opt: ["adam", "sgd"] } },
    );
    w.close();
    const [run] = fs.readdirSync(root).filter((f) => !f.startsWith("events."));
    // torch's default run name: str(time.time()).
    assert.ok(Math.abs(Number(run) - Date.now() / 1000) < 60, run);
    const [file] = fs.readdirSync(path.join(root, run!));
    const [, exp, ssi, sei] = readEvents(path.join(root, run!, file!));
    assert.equal(exp!.tag, "_hparams_/experiment");
    assert.equal(exp!.pluginName, "hparams");
    assert.deepEqual(readHParams(exp!.pluginContentBytes!), {
      version: 0,
      experiment: {
        hparamInfos: [
          { name: "lr", type: 3 },
          { name: "opt", type: 1, domainDiscrete: ["adam", "sgd"] },
          { name: "nesterov", type: 3 },
        ],
        metricInfos: [{ group: "", tag: "hparam/acc" }],
      },
    });
    assert.equal(ssi!.tag, "_hparams_/session_start_info");
    assert.deepEqual(readHParams(ssi!.pluginContentBytes!).sessionStartInfo, {
      hparams: { lr: 0.5, nesterov: 1, opt: "adam" },
    });
    assert.equal(sei!.tag, "_hparams_/session_end_info");
    assert.deepEqual(readHParams(sei!.pluginContentBytes!).sessionEndInfo, { status: 1 });
  });

  it("rejects bad input with ValueErrors", () => {
    const w = new SummaryWriter(tmpDir());
    assert.throws(
      () => w.addHparams({ lr: 0.1 }, { m: 1 }, { hparamDomainDiscrete: { lr: ["a"] } }),
      /hparamDomainDiscrete\["lr"\]/,
    );
    assert.throws(() => w.addHparams({ lr: null as never }, { m: 1 }), /hparamDict\["lr"\]/);
    assert.throws(() => w.addHparams({ lr: 1 }, { m: "x" as never }), /metricDict\["m"\]/);
    assert.throws(() => w.addHparams({ lr: 1 }, { m: 1 }, { run: "x" } as never), /run/);
    w.close();
    assert.throws(() => w.addHparams({ lr: 1 }, { m: 1 }), /after close/);
  });
});
