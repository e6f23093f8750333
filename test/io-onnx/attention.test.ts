// io.exportOnnx of nn.MultiheadAttention and the transformer layers, traced through the Tensor
// ops of their forward (MatMul, Reshape, Transpose, Split, the softmax's ReduceMax/Exp/ReduceSum,
// LayerNormalization, ...): onnxruntime-node (an independent implementation of those ops)
// reproduces Kiln's outputs and attention weights within 1e-4, with bool and float masks.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { manualSeed, nn, noGrad, rand, randn, type Tensor, tensor } from "../../src/index.ts";
import { decodeModel, exportOnnxBytes } from "../../src/io/onnx/index.ts";
import { assertClose, runOrt } from "./ort.ts";

function kiln(model: nn.AnyModule, x: Tensor): Tensor[] {
  model.eval();
  const out = noGrad(() => model.call(x)) as Tensor | Tensor[];
  return Array.isArray(out) ? out : [out];
}

/** Exports `model`, checks it holds `want` ops, and compares every output with Kiln's. */
async function check(model: nn.AnyModule, x: Tensor, opsetVersion = 17, want = ["MatMul"]) {
  const bytes = exportOnnxBytes(model, x, { opsetVersion });
  const ops = decodeModel(bytes).graph.node.map((n) => n.opType);
  for (const op of want) assert.ok(ops.includes(op), `${op} missing from ${ops.join(", ")}`);
  const got = await runOrt(bytes, x);
  const wants = kiln(model, x);
  wants.forEach((w, i) => {
    assertClose(got[wants.length === 1 ? "output" : `output_${i}`], w, 1e-4);
  });
  return ops;
}

/** Self-attention returning `[output, weights]`, with fixed masks. */
class SelfAttention extends nn.Module<Tensor[]> {
  constructor(
    public mha: nn.MultiheadAttention,
    private readonly opts: nn.MultiheadAttentionForwardOptions = {},
  ) {
    super();
  }
  override forward(x: Tensor): Tensor[] {
    const [y, w] = this.mha.forward(x, x, x, this.opts);
    return w === null ? [y] : [y, w];
  }
}

/** Cross-attention: queries are x, keys and values its first `s` steps (seq-first). */
class CrossAttention extends nn.Module<Tensor[]> {
  constructor(
    public mha: nn.MultiheadAttention,
    private readonly s: number,
    private readonly kdim: number,
    private readonly opts: nn.MultiheadAttentionForwardOptions = {},
  ) {
    super();
  }
  override forward(x: Tensor): Tensor[] {
    const kv = x.narrow(0, 0, this.s);
    const [y, w] = this.mha.forward(x, kv.narrow(2, 0, this.kdim), kv, this.opts);
    return [y, w!];
  }
}

describe("exportOnnx: MultiheadAttention", () => {
  it("batchFirst self-attention without masks, with head-averaged weights", async () => {
    manualSeed(20);
    const model = new SelfAttention(new nn.MultiheadAttention(8, 2, { batchFirst: true }));
    await check(model, randn(2, 5, 8), 17, ["MatMul", "Exp", "Transpose", "Reshape"]);
  });
  it("bool attnMask and keyPaddingMask, per-head weights, opset 13", async () => {
    manualSeed(21);
    // true = not allowed (MultiheadAttention's convention); every query keeps at least one key.
    const attnMask = tensor([
      [false, true, false, false],
      [false, false, true, false],
      [true, false, false, false],
      [false, false, false, true],
    ]);
    const keyPaddingMask = tensor([
      [false, false, false, true],
      [false, false, false, false],
    ]);
    const model = new SelfAttention(new nn.MultiheadAttention(6, 3), {
      attnMask,
      keyPaddingMask,
      averageAttnWeights: false,
    });
    await check(model, randn(4, 2, 6), 13);
  });
  it("float 3-D attnMask, no weights", async () => {
    manualSeed(22);
    const attnMask = rand(2 * 2, 3, 3)
      .sub(0.5)
      .mul(4);
    const model = new SelfAttention(new nn.MultiheadAttention(4, 2, { bias: false }), {
      attnMask,
      needWeights: false,
    });
    await check(model, randn(3, 2, 4));
  });
  it("cross-attention with kdim and addBiasKv", async () => {
    manualSeed(23);
    const mha = new nn.MultiheadAttention(6, 2, { kdim: 4, addBiasKv: true });
    const keyPaddingMask = tensor([[false, true, false]]);
    await check(new CrossAttention(mha, 3, 4, { keyPaddingMask }), randn(5, 1, 6), 17, ["Concat"]);
  });
  it("hand-written attention: bmm, mm, movedim, unbind, swapaxes, viewAs, reshapeAs", async () => {
    manualSeed(28);
    class HandAttention extends nn.Module<Tensor> {
      qkv = new nn.Linear(8, 24);
      proj = new nn.Parameter(randn(8, 8));
      override forward(x: Tensor): Tensor {
        const [B, T] = x.shape as [number, number, number];
        // [B, T, 3, heads, 4] → [3, B, T, heads, 4] → q, k, v [B, T, heads, 4] → [B·heads, T, 4]
        const heads = this.qkv.call(x).view(B, T, 3, 2, 4).movedim(2, 0).unbind(0);
        const [q, k, v] = heads.map((h) => h.swapaxes(1, 2).reshape(B * 2, T, 4)) as Tensor[];
        const s = q!.bmm(k!.swapdims(1, 2)).div(2);
        const e = s.sub(s.amax(-1, { keepDim: true })).exp();
        const o = e.div(e.sum(-1, { keepDim: true })).bmm(v!);
        const merged = o.view(B, 2, T, 4).moveaxis(1, 2).reshapeAs(x);
        return merged
          .view(B * T, 8)
          .mm(this.proj)
          .viewAs(x);
      }
    }
    await check(new HandAttention(), randn(2, 3, 8), 13, ["MatMul", "Split", "Squeeze"]);
  });
  it("unbatched [L, E] input", async () => {
    manualSeed(24);
    const model = new SelfAttention(new nn.MultiheadAttention(4, 4));
    await check(model, randn(3, 4));
  });
});

/** An encoder layer run with a fixed causal float mask. */
class Causal extends nn.Module<Tensor> {
  mask: Tensor;
  constructor(
    public layer: nn.TransformerEncoderLayer | nn.TransformerEncoder,
    len: number,
  ) {
    super();
    this.mask = nn.Transformer.generateSquareSubsequentMask(len);
  }
  override forward(x: Tensor): Tensor {
    return this.layer.forward(x, this.mask);
  }
}

describe("exportOnnx: transformer layers", () => {
  for (const opsetVersion of [13, 17]) {
    it(`opset ${opsetVersion}: TransformerEncoderLayer, batchFirst, causal float mask`, async () => {
      manualSeed(25);
      const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true });
      const ops = await check(new Causal(layer, 5), randn(2, 5, 8), opsetVersion);
      assert.equal(ops.includes("LayerNormalization"), opsetVersion >= 17);
    });
  }
  it("TransformerEncoder of normFirst gelu layers with a final norm", async () => {
    manualSeed(26);
    const layer = new nn.TransformerEncoderLayer(8, 4, {
      dimFeedforward: 12,
      activation: "gelu",
      normFirst: true,
    });
    const encoder = new nn.TransformerEncoder(layer, 2, { norm: new nn.LayerNorm(8) });
    await check(new Causal(encoder, 4), randn(4, 3, 8), 17, ["Erf"]);
  });
  it("TransformerDecoderLayer and nn.Transformer, memory and target taken from the input", async () => {
    manualSeed(27);
    class Decoder extends nn.Module<Tensor> {
      layer = new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true });
      override forward(x: Tensor): Tensor {
        const tgtMask = nn.Transformer.generateSquareSubsequentMask(x.shape[1]!);
        return this.layer.forward(x, x.narrow(1, 0, 3), { tgtMask });
      }
    }
    await check(new Decoder(), randn(2, 5, 8));
    class Seq2Seq extends nn.Module<Tensor> {
      model = new nn.Transformer({
        dModel: 8,
        nhead: 2,
        numEncoderLayers: 1,
        numDecoderLayers: 1,
        dimFeedforward: 16,
      });
      override forward(x: Tensor): Tensor {
        return this.model.forward(x, x.narrow(0, 0, 3));
      }
    }
    await check(new Seq2Seq(), randn(5, 2, 8));
  });
});
