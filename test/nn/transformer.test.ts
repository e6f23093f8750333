// Transformer layers against PyTorch (tools/golden/attention.py): encoder/decoder layers post- and
// pre-norm, relu/gelu/module activations, stacks, the full Transformer with every mask, outputs
// and all gradients; layer copies (PyTorch's _get_clones), xavier init, the square mask, errors.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nn, randn, ShapeError, type Tensor, tensor, ValueError, zeros } from "../../src/index.ts";
import { gradcheck } from "../core/gradcheck.ts";
import { checkModuleCase, type ModuleCase } from "./attention-cases.ts";
import { assertClose, dec, type Enc, loadGolden } from "./golden.ts";

const golden = loadGolden<{
  layers: ModuleCase[];
  square_mask: Enc;
  layer_dims: { d_model: number; dim_feedforward: number };
  reprs: Record<string, string | string[]>;
}>("attention.json");
const D = golden.layer_dims.d_model;
const FF = golden.layer_dims.dim_feedforward;

interface Ctor {
  kind: "enc_layer" | "dec_layer" | "encoder" | "decoder" | "transformer";
  activation?: string;
  norm_first?: boolean;
  batch_first?: boolean;
  layer_norm_eps?: number;
  dropout?: number;
  num_layers?: number;
  norm?: boolean;
}

function layerOptions(c: Ctor): nn.TransformerLayerOptions {
  return {
    dimFeedforward: FF,
    dropout: c.dropout ?? 0,
    activation:
      c.activation === "GELU_module" ? new nn.GELU() : ((c.activation ?? "relu") as "relu"),
    layerNormEps: c.layer_norm_eps ?? 1e-5,
    batchFirst: c.batch_first ?? false,
    normFirst: c.norm_first ?? false,
  };
}

/** The Kiln module a golden case's constructor dict describes (as tools/golden/attention.py). */
function build(c: Ctor): nn.Module {
  switch (c.kind) {
    case "enc_layer":
      return new nn.TransformerEncoderLayer(D, 2, layerOptions(c));
    case "dec_layer":
      return new nn.TransformerDecoderLayer(D, 2, layerOptions(c));
    case "encoder":
      return new nn.TransformerEncoder(
        new nn.TransformerEncoderLayer(D, 2, layerOptions(c)),
        c.num_layers!,
        c.norm === true ? new nn.LayerNorm(D) : null,
      );
    case "decoder":
      return new nn.TransformerDecoder(
        new nn.TransformerDecoderLayer(D, 2, layerOptions(c)),
        c.num_layers!,
        c.norm === true ? new nn.LayerNorm(D) : null,
      );
    case "transformer":
      return new nn.Transformer({
        dModel: D,
        nhead: 2,
        numEncoderLayers: 2,
        numDecoderLayers: 1,
        ...layerOptions(c),
      });
  }
}

describe("Transformer layers against PyTorch", () => {
  for (const c of golden.layers) {
    it(c.name, () => {
      const m = build(c.ctor as unknown as Ctor);
      checkModuleCase(c, m, (args, kw) => (m.forward as (...a: unknown[]) => Tensor)(...args, kw));
    });
  }
});

describe("Transformer layers in float64", () => {
  it("a decoder layer passes a finite-difference gradcheck (inputs and one parameter per block)", () => {
    const layer = new nn.TransformerDecoderLayer(4, 2, {
      dimFeedforward: 6,
      dropout: 0,
      activation: "gelu",
      normFirst: true,
      batchFirst: true,
      dtype: "float64",
    });
    const tgt = randn(2, 3, 4, { dtype: "float64" }).requiresGrad_(true);
    const mem = randn(2, 5, 4, { dtype: "float64" }).requiresGrad_(true);
    const options = {
      tgtMask: nn.Transformer.generateSquareSubsequentMask(3).double(),
      memoryKeyPaddingMask: tensor([
        [false, false, false, true, true],
        [false, true, false, false, false],
      ]),
    };
    const w = randn(2, 3, 4, { dtype: "float64" });
    const fn = () => layer.forward(tgt, mem, options);
    // Every parameter's gradient is compared with PyTorch's above; here one per block, for time.
    const sd = layer.stateDict({ keepVars: true });
    const some = [
      "self_attn.in_proj_bias",
      "multihead_attn.out_proj.weight",
      "linear1.bias",
      "norm2.weight",
    ];
    assert.deepEqual(gradcheck(fn, [tgt, mem, ...some.map((k) => sd[k]!)], [w]), []);
  });
});

describe("Transformer construction", () => {
  it("prints and names its state as PyTorch", () => {
    const t = new nn.Transformer(8, 2, 1, 1, 16);
    assert.equal(String(t), golden.reprs.transformer);
    assert.deepEqual(Object.keys(t.stateDict()), golden.reprs.transformer_keys);
  });

  it("generateSquareSubsequentMask is PyTorch's (−∞ above the diagonal)", () => {
    assert.deepEqual(
      nn.Transformer.generateSquareSubsequentMask(4).toArray(),
      dec(golden.square_mask).toArray(),
    );
    assert.deepEqual(nn.Transformer.generateSquareSubsequentMask(2, "cpu").toArray(), [
      [0, Number.NEGATIVE_INFINITY],
      [0, 0],
    ]);
  });

  it("stacks independent deep copies of the layer, as _get_clones", () => {
    const layer = new nn.TransformerEncoderLayer(4, 2, 8, 0);
    const enc = new nn.TransformerEncoder(layer, 3);
    const layers = enc.layers.children() as nn.TransformerEncoderLayer[];
    assert.equal(layers.length, 3);
    assert.equal(new Set([layer, ...layers]).size, 4);
    const sd = layer.stateDict();
    for (const l of layers) {
      assert.ok(l instanceof nn.TransformerEncoderLayer);
      assert.equal(String(l), String(layer));
      for (const [k, v] of Object.entries(l.stateDict())) {
        assert.deepEqual(v.toArray(), sd[k]!.toArray(), k);
      }
    }
    // Parameters are copies: changing one layer's weight changes no other.
    layers[0]!.selfAttn.inProjWeight!.detach().fill_(3);
    assert.notEqual(layers[1]!.selfAttn.inProjWeight!.dataSync()[0], 3);
    assert.notEqual(layer.selfAttn.inProjWeight!.dataSync()[0], 3);
    assert.equal(enc.parameters().length, 3 * layer.parameters().length);
    // A copy runs as the original does, training flag and settings included.
    const x = randn(5, 2, 4);
    assertClose(layers[2]!.forward(x), layer.forward(x), "copy forward", 0, 0);
    assert.equal(layers[2]!.normFirst, layer.normFirst);
  });

  it("copies a user-defined layer, keeping parameters shared inside it shared", () => {
    class Tied extends nn.Module {
      a = new nn.Linear(3, 3);
      b = new nn.Linear(3, 3);
      scale = 2;
      constructor() {
        super();
        this.b.weight = this.a.weight;
      }
      override forward(x: Tensor): Tensor {
        return this.b.forward(this.a.forward(x)).mul(this.scale);
      }
    }
    const t = new Tied();
    const enc = new nn.TransformerEncoder(t, 2);
    const [c0, c1] = enc.layers.children() as Tied[];
    assert.ok(c0 instanceof Tied && c1 instanceof Tied);
    assert.equal(c0.b.weight, c0.a.weight);
    assert.notEqual(c0.a.weight, t.a.weight);
    assert.notEqual(c0.a.weight, c1!.a.weight);
    assert.equal(c0.scale, 2);
    const x = randn(4, 3);
    assertClose(c1!.forward(x), t.forward(x), "user layer copy", 0, 0);
  });

  it("initialises every parameter with more than one dim by xavier_uniform_", () => {
    const t = new nn.Transformer({
      dModel: 32,
      nhead: 4,
      numEncoderLayers: 1,
      numDecoderLayers: 1,
      dimFeedforward: 96,
    });
    for (const [name, p] of t.namedParameters()) {
      if (p.ndim < 2) continue;
      const [fanOut, fanIn] = p.shape as [number, number];
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      const maxAbs = Math.max(...Array.from(p.dataSync(), (x) => Math.abs(Number(x))));
      assert.ok(
        maxAbs <= bound && maxAbs > 0.9 * bound,
        `${name}: max |w| ${maxAbs}, bound ${bound}`,
      );
    }
  });

  it("takes PyTorch's positional order and options", () => {
    const gelu = (x: Tensor) => nn.functional.gelu(x);
    const a = new nn.TransformerEncoderLayer(8, 2, 16, 0.2, gelu, 1e-3, true, true);
    assert.equal(a.normFirst, true);
    assert.equal(a.activation, gelu);
    assert.equal(a.selfAttn.batchFirst, true);
    assert.equal(a.selfAttn.dropout, 0.2);
    const t = new nn.Transformer(8, 2, 1, 2, 16, 0, "relu", null, null, 1e-5, true);
    assert.equal(t.batchFirst, true);
    assert.equal((t.decoder as nn.TransformerDecoder).numLayers, 2);
    const custom = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, 16), 1);
    const t2 = new nn.Transformer({
      dModel: 8,
      nhead: 2,
      customEncoder: custom,
      numDecoderLayers: 1,
      dimFeedforward: 16,
    });
    assert.equal(t2.encoder, custom);
    const y = t2.forward(randn(3, 2, 8), randn(4, 2, 8), {
      tgtMask: nn.Transformer.generateSquareSubsequentMask(4),
    });
    assert.deepEqual(y.shape, [4, 2, 8]);
  });

  it("throws typed errors for bad arguments and shapes", () => {
    assert.throws(() => new nn.TransformerEncoderLayer(8, 3), /divisible/);
    assert.throws(
      () => new nn.TransformerEncoderLayer(8, 2, { activation: "tanh" as never }),
      ValueError,
    );
    assert.throws(() => new nn.Transformer({ d_model: 8 } as never), /did you mean "dModel"/);
    const t = new nn.Transformer({
      dModel: 8,
      nhead: 2,
      numEncoderLayers: 1,
      numDecoderLayers: 1,
      dimFeedforward: 16,
    });
    assert.throws(() => t.forward(randn(3, 2, 8), randn(4, 3, 8)), /batch number of src and tgt/);
    assert.throws(() => t.forward(randn(3, 2, 6), randn(4, 2, 6)), ShapeError);
    assert.throws(
      () => t.forward(randn(3, 2, 8), randn(4, 2, 8), { tgtMask: zeros(3, 3) }),
      ShapeError,
    );
    const layer = new nn.TransformerEncoderLayer(8, 2, 16);
    assert.throws(
      () => layer.forward(randn(3, 2, 8), null, zeros(2, 3).int()),
      /srcKeyPaddingMask/,
    );
  });
});
