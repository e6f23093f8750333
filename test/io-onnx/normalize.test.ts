// io.exportOnnx's `normalize` and `normalizeInGraph` options: the preamble model fed raw inputs
// equals the plain model fed (x - mean) / std in onnxruntime-node (to float32 rounding), and
// metadata_props round-trip, read both with protobufjs (decodeModel) and with the hand-written
// protobuf decoder of test/io/tb-reader.ts (ModelProto.metadata_props is field 14,
// StringStringEntryProto { key 1, value 2 } in onnx.proto).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  io,
  manualSeed,
  nn,
  noGrad,
  rand,
  type Tensor,
  tensor,
  train,
  ValueError,
} from "../../src/index.ts";
import { decodeModel, exportOnnxBytes } from "../../src/io/onnx/index.ts";
import { decodeMessage } from "../io/tb-reader.ts";
import { assertClose, runOrt } from "./ort.ts";

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** Kiln's (x - mean) / std per channel (dim 1), as torchvision's Normalize, in float32. */
function normalized(x: Tensor, mean: number[], std: number[]): Tensor {
  const shape = [mean.length, ...Array<number>(x.ndim - 2).fill(1)];
  return x.sub(tensor(mean).reshape(shape)).div(tensor(std).reshape(shape));
}

/** metadata_props of ModelProto bytes, decoded without protobufjs. */
function metadataProps(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of decodeMessage(bytes).get(14) ?? []) {
    const kv = decodeMessage(entry.bytes);
    const text = (n: number) => new TextDecoder().decode(kv.get(n)?.[0]?.bytes);
    out[text(1)] = text(2);
  }
  return out;
}

function cnn(): nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(3, 4, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.Flatten(),
    new nn.Linear(4 * 6 * 6, 5),
  );
}

describe("exportOnnx: normalize", () => {
  it("a CNN with the preamble on raw input equals the plain model on normalised input", async () => {
    manualSeed(3);
    const model = cnn();
    const x = rand(5, 3, 6, 6);
    const dynamicAxes = { input: { 0: "batch" }, output: { 0: "batch" } };
    const plain = exportOnnxBytes(model, x, { dynamicAxes });
    const withPre = exportOnnxBytes(model, x, {
      dynamicAxes,
      normalize: { mean: MEAN, std: STD },
      normalizeInGraph: true,
    });
    const m = decodeModel(withPre);
    assert.deepEqual(
      m.graph.node.slice(0, 2).map((n) => [n.opType, n.input[0]]),
      [
        ["Sub", "input"],
        ["Div", m.graph.node[0]!.output[0]],
      ],
    );
    const meanInit = m.graph.initializer.find((t) => t.name === "kiln_normalize_mean")!;
    assert.deepEqual(meanInit.dims, [3, 1, 1]);
    const raw = rand(7, 3, 6, 6);
    const xn = normalized(raw, MEAN, STD);
    const got = (await runOrt(withPre, raw)).output;
    const want = (await runOrt(plain, xn)).output!;
    assertClose(got, tensor(Array.from(want.data)).reshape([...want.dims]), 1e-5);
    model.eval();
    assertClose(
      got,
      noGrad(() => model.call(xn)),
    );
  });

  it("a flattened MLP input [N, C·H·W] repeats each channel's value H·W times", async () => {
    manualSeed(4);
    const model = new nn.Sequential(new nn.Linear(3 * 2 * 2, 4), new nn.Tanh());
    const bytes = exportOnnxBytes(model, rand(1, 12), {
      normalize: { mean: MEAN, std: STD },
      normalizeInGraph: true,
    });
    const raw = rand(1, 12);
    const xn = normalized(raw.reshape([1, 3, 4]), MEAN, STD).reshape([1, 12]);
    assertClose(
      (await runOrt(bytes, raw)).output,
      noGrad(() => model.call(xn)),
    );
  });

  it("stores mean, std and in_graph in metadata_props (JSON), with or without the preamble", () => {
    const model = new train.NeuralNet();
    const x = rand(1, 784);
    for (const inGraph of [false, true]) {
      const bytes = exportOnnxBytes(model, x, {
        normalize: { mean: [0.1307], std: [0.3081] },
        normalizeInGraph: inGraph,
      });
      const want = {
        [io.ONNX_NORMALIZE_KEYS.mean]: "[0.1307]",
        [io.ONNX_NORMALIZE_KEYS.std]: "[0.3081]",
        [io.ONNX_NORMALIZE_KEYS.inGraph]: String(inGraph),
      };
      assert.deepEqual(want, {
        "kiln.normalize.mean": "[0.1307]",
        "kiln.normalize.std": "[0.3081]",
        "kiln.normalize.in_graph": String(inGraph),
      });
      assert.deepEqual(metadataProps(bytes), want);
      const m = decodeModel(bytes);
      assert.deepEqual(Object.fromEntries(m.metadataProps!.map((p) => [p.key, p.value])), want);
      assert.equal(m.graph.node[0]!.opType, inGraph ? "Sub" : "Gemm");
    }
    assert.deepEqual(metadataProps(exportOnnxBytes(model, x)), {}, "no normalize, no metadata");
  });

  it("rejects inconsistent options with ValueErrors", () => {
    const model = cnn();
    const x = rand(1, 3, 6, 6);
    const cases: [object, RegExp][] = [
      [{ normalizeInGraph: true }, /normalizeInGraph needs the normalize option/],
      [{ normalize: { mean: [0.5, 0.5], std: [0.2] } }, /same, non-zero length/],
      [{ normalize: { mean: [0.5], std: [0] } }, /std evaluated to zero/],
      [{ normalize: { mean: [Number.NaN], std: [1] } }, /finite numbers/],
      [{ normalize: { mean: [0, 0], std: [1, 1] }, normalizeInGraph: true }, /2 channels/],
      [{ normalize: { mean: [0], std: [1], extra: 1 } }, /normalize/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => exportOnnxBytes(model, x, options),
        (e: unknown) => e instanceof ValueError && message.test(e.message),
        String(message),
      );
    }
  });
});
