// nn.RNN/LSTM/GRU and the cells against PyTorch 1.13 (tools/golden/rnn.py): PyTorch's state dict
// loaded into Kiln, then output, final states, every parameter gradient and the gradients of the
// input and initial states compared; keys and repr equal to PyTorch's. Also a float64 gradcheck,
// bad-input errors and dropout between layers (whose random mask cannot match PyTorch's RNG).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  cat,
  enableGrad,
  manualSeed,
  nn,
  noGrad,
  ones,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from "../../src/index.ts";
import { splitWithSizes } from "../../src/nn/layers/rnn-ops.ts";
import { gradcheck } from "../core/gradcheck.ts";
import { assertClose, dec, decState, type Enc, loadGolden } from "./golden.ts";

interface ModuleCase {
  name: string;
  repr: string;
  mode: "train" | "eval";
  state: Record<string, Enc>;
  keys: string[];
  input?: Enc;
  inputs?: Enc[];
  hx?: Enc[];
  packing?:
    | { kind: "padded"; lengths: number[]; batch_first: boolean; enforce_sorted: boolean }
    | { kind: "seqs"; enforce_sorted: boolean };
  batch_sizes?: Enc;
  sorted_indices?: Enc | null;
  gy: Enc;
  gstates: Enc[];
  output: Enc;
  states: Enc[];
  grads: Record<string, Enc>;
  grad_input?: Enc;
  grad_inputs?: Enc[];
  grad_hx?: Enc[];
}
interface CellCase {
  name: string;
  repr: string;
  state: Record<string, Enc>;
  keys: string[];
  input: Enc;
  hx?: Enc[];
  gys: Enc[];
  outputs: Enc[];
  grads: Record<string, Enc>;
  grad_input: Enc;
  grad_hx?: Enc[];
}
const golden = loadGolden<{ modules: ModuleCase[]; cells: CellCase[] }>("rnn.json");

type AnyRNN = nn.RNN | nn.GRU | nn.LSTM;
// The same constructions as tools/golden/rnn.py, in Kiln's spelling (positional and options mixed).
const factories: Record<string, () => AnyRNN> = {
  lstm_basic: () => new nn.LSTM(4, 5),
  lstm_2layer_bidir: () => new nn.LSTM(4, 5, { numLayers: 2, bidirectional: true }),
  lstm_proj_bf: () => new nn.LSTM(4, 6, 2, { batchFirst: true, projSize: 3 }),
  lstm_proj_bidir_nobias: () =>
    new nn.LSTM(3, 5, { bias: false, bidirectional: true, projSize: 2 }),
  gru_basic: () => new nn.GRU(4, 5),
  gru_bidir_bf: () => new nn.GRU(4, 5, 2, true, true, 0, true),
  gru_nobias: () => new nn.GRU(3, 4, { bias: false }),
  rnn_tanh_2layer: () => new nn.RNN(4, 5, 2),
  rnn_relu_bidir: () => new nn.RNN(4, 5, { nonlinearity: "relu", bidirectional: true }),
  rnn_relu_nobias_bf: () => new nn.RNN(3, 4, 2, "relu", false, true),
  lstm_unbatched: () => new nn.LSTM(4, 5, 2),
  gru_unbatched_bf: () => new nn.GRU(4, 5, { batchFirst: true, bidirectional: true }),
  rnn_unbatched: () => new nn.RNN(4, 5),
  lstm_dropout_eval: () => new nn.LSTM(4, 5, 3, { dropout: 0.5 }),
  lstm_packed_unsorted: () => new nn.LSTM(4, 5, 2, { bidirectional: true }),
  gru_packed_bf_sorted: () => new nn.GRU(3, 4, 2, { batchFirst: true }),
  rnn_packed_seqs: () => new nn.RNN(3, 4, { bidirectional: true }),
  lstm_proj_packed_seqs: () => new nn.LSTM(3, 5, { projSize: 2 }),
};

const leaf = (e: Enc) => dec(e).requiresGrad_(true);

function runCase(c: ModuleCase): void {
  const factory = factories[c.name];
  assert.ok(factory, `no factory for ${c.name}`);
  const m = factory();
  m.loadStateDict(decState(c.state));
  assert.deepEqual(Object.keys(m.stateDict()), c.keys, "state-dict keys");
  assert.deepEqual(
    m.namedParameters().map(([n]) => n),
    c.keys,
    "parameter order",
  );
  assert.equal(m.toString(), c.repr, "repr");
  m.train(c.mode === "train");
  const x = c.input === undefined ? null : leaf(c.input);
  const xs = c.inputs?.map(leaf) ?? [];
  const hx = c.hx?.map(leaf) ?? [];
  let input: Tensor | nn.utils.rnn.PackedSequence;
  const p = c.packing;
  if (p === undefined) input = x as Tensor;
  else if (p.kind === "padded") {
    input = nn.utils.rnn.packPaddedSequence(x as Tensor, p.lengths, p.batch_first, {
      enforceSorted: p.enforce_sorted,
    });
  } else input = nn.utils.rnn.packSequence(xs, { enforceSorted: p.enforce_sorted });
  let out: Tensor | nn.utils.rnn.PackedSequence;
  let states: Tensor[];
  if (m instanceof nn.LSTM) {
    const [o, [h, cc]] = m.forward(input, hx.length === 0 ? null : [hx[0]!, hx[1]!]);
    out = o;
    states = [h, cc];
  } else {
    const [o, h] = m.forward(input, hx[0] ?? null);
    out = o;
    states = [h];
  }
  let data: Tensor;
  if (out instanceof nn.utils.rnn.PackedSequence) {
    assertClose(out.batchSizes, c.batch_sizes as Enc, `${c.name} batchSizes`, 0, 0);
    if (c.sorted_indices === null) assert.equal(out.sortedIndices, null);
    else
      assertClose(out.sortedIndices as Tensor, c.sorted_indices as Enc, `${c.name} sorted`, 0, 0);
    data = out.data;
  } else data = out;
  assertClose(data, c.output, `${c.name} output`);
  for (const [k, s] of states.entries()) assertClose(s, c.states[k]!, `${c.name} state ${k}`);
  let loss = data.mul(dec(c.gy)).sum();
  states.forEach((s, k) => {
    loss = loss.add(s.mul(dec(c.gstates[k]!)).sum());
  });
  loss.backward();
  for (const [name, param] of m.namedParameters()) {
    assert.ok(param.grad !== null, `${c.name}: ${name} has no gradient`);
    assertClose(param.grad, c.grads[name]!, `${c.name} grad ${name}`, 1e-4, 2e-5);
  }
  if (x !== null)
    assertClose(x.grad as Tensor, c.grad_input as Enc, `${c.name} grad input`, 1e-4, 2e-5);
  for (const [k, s] of xs.entries())
    assertClose(s.grad as Tensor, c.grad_inputs![k]!, `${c.name} grad input ${k}`, 1e-4, 2e-5);
  for (const [k, h] of hx.entries())
    assertClose(h.grad as Tensor, c.grad_hx![k]!, `${c.name} grad hx ${k}`, 1e-4, 2e-5);
}

describe("nn.RNN / LSTM / GRU against PyTorch", () => {
  for (const c of golden.modules) it(c.name, () => runCase(c));
});

const cellFactories: Record<string, () => nn.RNNCell | nn.LSTMCell | nn.GRUCell> = {
  rnncell_tanh: () => new nn.RNNCell(4, 5),
  rnncell_relu_nobias: () => new nn.RNNCell(4, 5, false, "relu"),
  lstmcell: () => new nn.LSTMCell(4, 5),
  lstmcell_unbatched: () => new nn.LSTMCell(4, 5, { bias: true }),
  grucell: () => new nn.GRUCell(4, 5),
  grucell_unbatched_nobias: () => new nn.GRUCell(4, 5, false),
};

describe("nn.RNNCell / LSTMCell / GRUCell against PyTorch", () => {
  for (const c of golden.cells) {
    it(c.name, () => {
      const m = cellFactories[c.name]!();
      m.loadStateDict(decState(c.state));
      assert.deepEqual(Object.keys(m.stateDict()), c.keys);
      assert.equal(m.toString(), c.repr);
      const x = leaf(c.input);
      const hx = c.hx?.map(leaf) ?? [];
      let outs: Tensor[];
      if (m instanceof nn.LSTMCell) outs = m.forward(x, hx.length === 0 ? null : [hx[0]!, hx[1]!]);
      else outs = [m.forward(x, hx[0] ?? null)];
      for (const [k, o] of outs.entries()) assertClose(o, c.outputs[k]!, `${c.name} output ${k}`);
      outs
        .map((o, k) => o.mul(dec(c.gys[k]!)).sum())
        .reduce((a, b) => a.add(b))
        .backward();
      for (const [name, param] of m.namedParameters()) {
        assertClose(param.grad as Tensor, c.grads[name]!, `${c.name} grad ${name}`);
      }
      assertClose(x.grad as Tensor, c.grad_input, `${c.name} grad input`);
      for (const [k, h] of hx.entries())
        assertClose(h.grad as Tensor, c.grad_hx![k]!, `${c.name} grad hx ${k}`);
    });
  }
});

describe("recurrent layers: gradients, init, errors, dropout", () => {
  it("float64 gradcheck of a bidirectional LSTM with projection and a GRU, packed and padded", () => {
    manualSeed(3);
    const lstm = new nn.LSTM(2, 2, { bidirectional: true, projSize: 1, dtype: "float64" });
    const gru = new nn.GRU(2, 2, { numLayers: 2, dtype: "float64" });
    const x = randn([3, 2, 2], { dtype: "float64" }).requiresGrad_(true);
    const h0 = randn([2, 2, 1], { dtype: "float64" }).requiresGrad_(true);
    const c0 = randn([2, 2, 2], { dtype: "float64" }).requiresGrad_(true);
    const lstmParams = lstm.parameters();
    const packed = () => nn.utils.rnn.packPaddedSequence(x, [3, 2], { enforceSorted: false });
    const fn = () => {
      const [o, [h, c]] = lstm.forward(packed(), [h0, c0]);
      return [o.data, h, c];
    };
    const weights = fn().map((t) => randn(t.shape, { dtype: "float64" }));
    assert.deepEqual(gradcheck(fn, [x, h0, c0, ...lstmParams], weights), []);
    const g0 = randn([2, 2, 2], { dtype: "float64" }).requiresGrad_(true);
    const gfn = () => {
      const [o, h] = gru.forward(x, g0);
      return [o, h];
    };
    const gw = gfn().map((t) => randn(t.shape, { dtype: "float64" }));
    assert.deepEqual(gradcheck(gfn, [x, g0, ...gru.parameters()], gw), []);
  });

  it("initializes every parameter in U(-1/sqrt(H), 1/sqrt(H)) with PyTorch's shapes", () => {
    manualSeed(0);
    const m = new nn.LSTM(7, 16, { numLayers: 2, bidirectional: true, projSize: 4 });
    const bound = 1 / Math.sqrt(16);
    const shapes = Object.fromEntries(m.namedParameters().map(([n, p]) => [n, [...p.shape]]));
    // PyTorch's layouts: W_ih [4H, in] (layer 1: in = D·proj), W_hh [4H, proj], W_hr [proj, H].
    assert.deepEqual(shapes.weight_ih_l0, [64, 7]);
    assert.deepEqual(shapes.weight_ih_l1_reverse, [64, 8]);
    assert.deepEqual(shapes.weight_hh_l1, [64, 4]);
    assert.deepEqual(shapes.weight_hr_l0_reverse, [4, 16]);
    assert.deepEqual(shapes.bias_hh_l1_reverse, [64]);
    let lo = 0;
    let hi = 0;
    for (const p of m.parameters()) {
      lo = Math.min(lo, p.min().item() as number);
      hi = Math.max(hi, p.max().item() as number);
    }
    assert.ok(lo >= -bound && hi <= bound, `range [${lo}, ${hi}]`);
    assert.ok(lo < -0.9 * bound && hi > 0.9 * bound, "spans the bound");
    assert.equal(m.allWeights.length, 4);
    assert.equal(m.allWeights[1]![0], m.weight_ih_l0_reverse);
    m.flattenParameters();
  });

  it("rejects wrong input sizes, state shapes and arguments with typed errors", () => {
    const lstm = new nn.LSTM(4, 5, 2);
    assert.throws(
      () => lstm.forward(randn(3, 2, 6)),
      (e: Error) => {
        assert.ok(e instanceof ShapeError);
        assert.match(e.message, /input_size\. Expected 4, got 6/);
        return true;
      },
    );
    assert.throws(() => lstm.forward(randn(3, 2, 4, 1)), ShapeError);
    assert.throws(
      () => lstm.forward(randn(3, 2, 4), [zeros(2, 3, 5), zeros(2, 2, 5)]),
      /Expected hidden\[0\] size \(2, 2, 5\), got \[2, 3, 5\]/,
    );
    assert.throws(
      () => lstm.forward(randn(3, 2, 4), [zeros(2, 2, 5), zeros(2, 5)]),
      /For batched 3-D input, hx and cx should also be 3-D/,
    );
    const gru = new nn.GRU(4, 5);
    assert.throws(() => gru.forward(randn(3, 4), zeros(1, 2, 5)), /For unbatched 2-D input/);
    assert.throws(() => gru.forward(randn(3, 2, 4), zeros(2, 2, 5)), /Expected hidden size/);
    assert.throws(() => gru.forward(randn([3, 2, 4], { dtype: "float64" })), /dtype/);
    assert.throws(() => new nn.GRU(4, 5, { projSize: 2 } as never), /only supported for LSTM/);
    assert.throws(() => new nn.LSTM(4, 5, { projSize: 5 }), /proj_size has to be smaller/);
    assert.throws(() => new nn.RNN(4, 5, { nonlinearity: "sigmoid" as "relu" }), ValueError);
    assert.throws(() => new nn.LSTM(4, 5, { dropout: 1.5 }), /dropout should be a number/);
    assert.throws(() => new nn.LSTM(4, 5, { num_layers: 2 } as never), /did you mean "numLayers"/);
    const cell = new nn.LSTMCell(4, 5);
    assert.throws(() => cell.forward(randn(3, 6)), /inconsistent input_size: got 6 expected 4/);
    assert.throws(
      () => cell.forward(randn(3, 4), [zeros(2, 5), zeros(2, 5)]),
      /Input batch size 3 doesn't match hidden0 batch size 2/,
    );
    assert.throws(() => new nn.GRUCell(4, 5).forward(randn(2, 3, 4)), /1-D or 2-D/);
  });

  it("eval mode skips inter-layer dropout; train mode applies it to every layer but the last", () => {
    manualSeed(1);
    const m = new nn.GRU(3, 64, { numLayers: 2, dropout: 0.5 });
    const ref = new nn.GRU(3, 64, 2);
    ref.loadStateDict(m.stateDict());
    const x = randn(3, 2, 3);
    m.eval();
    const [e] = noGrad(() => m.forward(x));
    const [r] = noGrad(() => ref.forward(x));
    assertClose(e, r, "eval equals the dropout-free model", 0, 0);
    m.train();
    // Layer 1 sees layer 0's output with half its units zeroed (the rest scaled by 2), so the
    // outputs differ from the dropout-free model's; a one-layer model would be unaffected.
    const [t1] = noGrad(() => m.forward(x));
    assert.ok((t1.sub(r).abs().max().item() as number) > 1e-3, "train mode changes the output");
    // Zero the second layer's input weights: layer 1 then sees only its recurrence, whatever the
    // mask, so its output equals the reference's again; this isolates dropout to between layers.
    noGrad(() => {
      m.weight_ih_l1!.zero_();
      ref.weight_ih_l1!.zero_();
    });
    const [t2] = noGrad(() => m.forward(x));
    const [r2] = noGrad(() => ref.forward(x));
    assertClose(t2, r2, "dropout acts only on the layer input", 0, 0);
  });

  it("inter-layer dropout zeroes about p of the units and scales the rest by 1/(1-p)", () => {
    manualSeed(2);
    // An RNN with identity-like layer 1 (W_ih = I, W_hh = 0, no bias, relu) passes its dropped
    // input through: out = relu(dropout(h0)), so the zero fraction and the scale are visible.
    const m = new nn.RNN(4, 200, {
      numLayers: 2,
      nonlinearity: "relu",
      bias: false,
      dropout: 0.25,
    });
    noGrad(() => {
      m.weight_hh_l0!.zero_();
      m.weight_ih_l0!.copy_(ones(200, 4).mul(0.1));
      m.weight_ih_l1!.copy_(nn.init.eye_(zeros(200, 200)));
      m.weight_hh_l1!.zero_();
    });
    const x = ones(1, 10, 4);
    const [out] = noGrad(() => m.forward(x));
    // Layer 0's output is relu(0.4) = 0.4 everywhere; survivors become 0.4 / 0.75.
    const v = out.dataSync();
    let zeroCount = 0;
    for (const a of v) {
      if (a === 0) zeroCount++;
      else assert.ok(Math.abs(a - 0.4 / 0.75) < 1e-6, `scaled value ${a}`);
    }
    const frac = zeroCount / v.length;
    assert.ok(Math.abs(frac - 0.25) < 0.03, `zero fraction ${frac}`);
  });

  it("splitWithSizes: one-buffer backward equals the narrows', also with retainGraph and unused pieces", () => {
    manualSeed(5);
    const x = randn([7, 3], { requiresGrad: true });
    const w = randn(7, 3);
    // Pieces 0 and 2 are used, piece 1 is not: its slot of the gradient must be zero.
    const loss = () => {
      const [a, , c] = splitWithSizes(x.mul(2), [2, 4, 1], 0) as [Tensor, Tensor, Tensor];
      return a
        .mul(w.narrow(0, 0, 2))
        .sum()
        .add(c.mul(w.narrow(0, 6, 1)).sum());
    };
    const l = loss();
    l.backward(undefined, { retainGraph: true });
    // d/dx of Σ 2·x·w over rows 0–1 and 6: 2w there, 0 in rows 2–5.
    const want = w.mul(2).mul(tensor([1, 1, 0, 0, 0, 0, 1]).reshape(7, 1));
    assertClose(x.grad as Tensor, want, "first backward", 0, 0);
    l.backward();
    assertClose(x.grad as Tensor, want.mul(2), "second backward accumulates", 0, 0);
    // A leaf split directly (the hub keeps the buffer until every piece has written).
    const y = randn([7, 3], { requiresGrad: true });
    const [p0, p1] = splitWithSizes(y, [3, 4], 0) as [Tensor, Tensor];
    p1.sum().add(p0.mul(3).sum()).backward();
    assertClose(
      y.grad as Tensor,
      tensor([3, 3, 3, 1, 1, 1, 1]).reshape(7, 1).expand(7, 3),
      "leaf",
      0,
      0,
    );
    // Under grad mode (a differentiable backward) a piece's VJP returns its zero-padded gradient.
    const piece = (splitWithSizes(y.mul(1), [2, 3, 2], 0) as Tensor[])[1]!;
    const gp = randn(3, 3);
    const [padded] = enableGrad(() => piece.gradFn!.apply(gp));
    assertClose(padded as Tensor, cat([zeros(2, 3), gp, zeros(2, 3)]), "grad-mode VJP", 0, 0);
  });
});
