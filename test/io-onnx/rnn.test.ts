// io.exportOnnx of nn.LSTM, nn.GRU and nn.RNN: each exports to one ONNX LSTM / GRU / RNN node per
// layer, and onnxruntime-node (an independent implementation of those ops) reproduces Kiln's
// output and final states within 1e-4, at opsets 13 and 17. projSize and PackedSequence inputs
// are refused with errors naming them.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { manualSeed, nn, noGrad, randn, type Tensor } from "../../src/index.ts";
import { decodeModel, exportOnnxBytes } from "../../src/io/onnx/index.ts";
import { assertClose, runOrt } from "./ort.ts";

function kiln(model: nn.AnyModule, x: Tensor): Tensor[] {
  model.eval();
  return noGrad(() => model.call(x) as Tensor[]);
}

/** Exports `model`, checks its recurrent nodes, and compares every output with Kiln's. */
async function check(model: nn.AnyModule, x: Tensor, opsetVersion: number, op: string, n: number) {
  const bytes = exportOnnxBytes(model, x, { opsetVersion });
  const nodes = decodeModel(bytes).graph.node;
  assert.equal(nodes.filter((node) => node.opType === op).length, n, `${n} ${op} nodes`);
  const got = await runOrt(bytes, x);
  kiln(model, x).forEach((want, i) => {
    assertClose(got[`output_${i}`], want, 1e-4);
  });
  return nodes;
}

/** LSTM with learned initial states (parameters), returning output, hN and cN. */
class LSTMWithState extends nn.Module<Tensor[]> {
  lstm: nn.LSTM;
  h0: nn.Parameter;
  c0: nn.Parameter;
  constructor(opts: nn.LSTMOptions, batch: number) {
    super();
    this.lstm = new nn.LSTM(3, 5, opts);
    const LD = (opts.numLayers ?? 1) * (opts.bidirectional ? 2 : 1);
    this.h0 = new nn.Parameter(randn(LD, batch, 5));
    this.c0 = new nn.Parameter(randn(LD, batch, 5));
  }
  override forward(x: Tensor): Tensor[] {
    const [y, [h, c]] = this.lstm.forward(x, [this.h0, this.c0]);
    return [y, h, c];
  }
}

/** GRU or RNN whose initial state is computed from the input (x's first step, per layer). */
class FromInputState extends nn.Module<Tensor[]> {
  constructor(
    public rnn: nn.GRU | nn.RNN,
    private readonly layersTimesDirections: number,
  ) {
    super();
  }
  override forward(x: Tensor): Tensor[] {
    // x [T, B, H] (inputSize = hiddenSize): h0 = tanh(x[0]) repeated for each layer and direction
    const h0 = x.narrow(0, 0, 1).tanh().repeat(this.layersTimesDirections, 1, 1);
    const [y, h] = this.rnn.forward(x, h0);
    return [y, h];
  }
}

/** A recurrent layer without initial states, returning `[output, hN(, cN)]` flattened. */
class Plain extends nn.Module<Tensor[]> {
  constructor(public rnn: nn.LSTM | nn.GRU | nn.RNN) {
    super();
  }
  override forward(x: Tensor): Tensor[] {
    type Forward = { forward(x: Tensor): [Tensor, Tensor | [Tensor, Tensor]] };
    const [y, s] = (this.rnn as unknown as Forward).forward(x);
    return Array.isArray(s) ? [y, ...s] : [y, s];
  }
}

describe("exportOnnx: recurrent layers", () => {
  for (const opsetVersion of [13, 17]) {
    it(`opset ${opsetVersion}: LSTM, 2 layers, bidirectional, batchFirst, initial states`, async () => {
      manualSeed(10);
      const model = new LSTMWithState({ numLayers: 2, bidirectional: true, batchFirst: true }, 2);
      const nodes = await check(model, randn(2, 4, 3), opsetVersion, "LSTM", 2);
      // The learned states feed the nodes (split per layer), not zeros.
      const lstm = nodes.filter((node) => node.opType === "LSTM");
      assert.ok(lstm.every((node) => node.input.length === 7 && node.input[6] !== ""));
    });
    it(`opset ${opsetVersion}: GRU, 2 layers, initial state computed from the input`, async () => {
      manualSeed(11);
      const model = new FromInputState(new nn.GRU(4, 4, 2), 2);
      await check(model, randn(5, 3, 4), opsetVersion, "GRU", 2);
    });
  }
  it("bidirectional GRU without bias, batchFirst", async () => {
    manualSeed(12);
    const model = new Plain(
      new nn.GRU(3, 4, { bias: false, batchFirst: true, bidirectional: true }),
    );
    await check(model, randn(2, 6, 3), 17, "GRU", 1);
  });
  it("RNN with relu, 2 layers, bidirectional, initial state from the input", async () => {
    manualSeed(13);
    const model = new FromInputState(new nn.RNN(4, 4, 2, "relu", { bidirectional: true }), 4);
    const nodes = await check(model, randn(5, 2, 4), 13, "RNN", 2);
    const acts = nodes
      .find((node) => node.opType === "RNN")!
      .attribute.find((a) => a.name === "activations");
    const names = (acts as unknown as { strings: Uint8Array[] }).strings.map((s) =>
      new TextDecoder().decode(s),
    );
    assert.deepEqual(names, ["Relu", "Relu"]);
  });
  it("RNN with tanh and LSTM on unbatched [T, in] input", async () => {
    manualSeed(14);
    await check(new Plain(new nn.RNN(3, 4)), randn(5, 3), 17, "RNN", 1);
    await check(new Plain(new nn.LSTM(3, 4, { bidirectional: true })), randn(5, 3), 17, "LSTM", 1);
  });
  it("projSize is refused, naming the option", () => {
    const model = new Plain(new nn.LSTM(3, 4, { projSize: 2 }));
    assert.throws(
      () => exportOnnxBytes(model, randn(5, 1, 3)),
      (e: Error) => e.name === "ValueError" && /projSize=2/.test(e.message),
    );
  });
  it("a PackedSequence input is refused", () => {
    class Packed extends nn.Module<Tensor> {
      lstm = new nn.LSTM(3, 4);
      override forward(x: Tensor): Tensor {
        const packed = nn.utils.rnn.packPaddedSequence(x, [4, 2]);
        const [out] = this.lstm.forward(packed);
        return nn.utils.rnn.padPackedSequence(out)[0];
      }
    }
    assert.throws(
      () => exportOnnxBytes(new Packed(), randn(4, 2, 3)),
      (e: Error) => e.name === "ValueError" && /LSTM on a PackedSequence/.test(e.message),
    );
  });
});
