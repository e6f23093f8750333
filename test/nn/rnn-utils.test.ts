// nn.utils.rnn against PyTorch 1.13 (tools/golden/rnn.py): padSequence, packSequence,
// packPaddedSequence, padPackedSequence with their options; round trips, gradients through
// packing (hand-derived: the mask of kept positions) and bad-input errors.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { arange, nn, randn, ShapeError, type Tensor, tensor, ValueError } from "../../src/index.ts";
import { assertClose, dec, type Enc, loadGolden } from "./golden.ts";

const R = nn.utils.rnn;

interface Utils {
  seqs: Enc[];
  pad: Enc;
  pad_bf_value: Enc;
  pack_seqs: Record<"data" | "batch_sizes" | "sorted_indices" | "unsorted_indices", Enc>;
  unpack_bf_total: { padded: Enc; lengths: Enc };
  pack_padded_x: Enc;
  pack_padded: { data: Enc; batch_sizes: Enc };
}
const g = loadGolden<{ utils: Utils }>("rnn.json").utils;
const seqs = () => g.seqs.map(dec);
const exact = (a: Tensor, e: Enc | Tensor, what: string) => assertClose(a, e, what, 0, 0);

describe("nn.utils.rnn against PyTorch", () => {
  it("padSequence, time-major and batch-first with a padding value", () => {
    exact(R.padSequence(seqs()), g.pad, "pad");
    exact(R.padSequence(seqs(), true, -1.5), g.pad_bf_value, "pad bf positional");
    exact(R.padSequence(seqs(), { batchFirst: true, paddingValue: -1.5 }), g.pad_bf_value, "opts");
  });

  it("packSequence with enforceSorted false keeps the sort permutation and its inverse", () => {
    const p = R.packSequence(seqs(), { enforceSorted: false });
    exact(p.data, g.pack_seqs.data, "data");
    exact(p.batchSizes, g.pack_seqs.batch_sizes, "batchSizes");
    exact(p.sortedIndices as Tensor, g.pack_seqs.sorted_indices, "sortedIndices");
    exact(p.unsortedIndices as Tensor, g.pack_seqs.unsorted_indices, "unsortedIndices");
    const [data, batchSizes, sorted, unsorted] = p;
    assert.equal(data, p.data);
    assert.equal(batchSizes, p.batchSizes);
    assert.equal(sorted, p.sortedIndices);
    assert.equal(unsorted, p.unsortedIndices);
  });

  it("padPackedSequence restores the batch order, with totalLength and a padding value", () => {
    const p = R.packSequence(seqs(), false);
    const [padded, lengths] = R.padPackedSequence(p, true, 7, 6);
    exact(padded, g.unpack_bf_total.padded, "padded");
    exact(lengths, g.unpack_bf_total.lengths, "lengths");
    const [p2, l2] = R.padPackedSequence(p, { batchFirst: true, paddingValue: 7, totalLength: 6 });
    exact(p2, padded, "options form");
    exact(l2, lengths, "options form lengths");
  });

  it("packPaddedSequence of a sorted batch (lengths as a tensor)", () => {
    const p = R.packPaddedSequence(dec(g.pack_padded_x), tensor([5, 4, 2]));
    exact(p.data, g.pack_padded.data, "data");
    exact(p.batchSizes, g.pack_padded.batch_sizes, "batchSizes");
    assert.equal(p.sortedIndices, null);
    assert.equal(p.unsortedIndices, null);
  });
});

describe("nn.utils.rnn round trips, gradients and errors", () => {
  it("unpackSequence and unpadSequence give the sequences back", () => {
    const s = seqs();
    const back = R.unpackSequence(R.packSequence(s, false));
    for (const [k, t] of back.entries()) exact(t, s[k]!, `unpack ${k}`);
    const lengths = s.map((t) => t.shape[0]!);
    const un = R.unpadSequence(R.padSequence(s, true), lengths, true);
    for (const [k, t] of un.entries()) exact(t, s[k]!, `unpad ${k}`);
  });

  it("the gradient through pack → pad is the mask of the positions kept", () => {
    // [T=4, B=3, 1]; lengths [2, 4, 1]: position (t, b) survives when t < length_b, so
    // d sum(pad(pack(x))) / dx is 1 there and 0 in the padding.
    const x = arange(12).reshape(4, 3, 1).float().requiresGrad_(true);
    const p = R.packPaddedSequence(x, [2, 4, 1], false, false);
    exact(p.batchSizes, tensor([3, 2, 1, 1]), "batchSizes");
    const [padded] = R.padPackedSequence(p, { paddingValue: -100 });
    // Padding is a constant: it carries no gradient.
    padded.sum().backward();
    const mask = [
      [1, 1, 1],
      [1, 1, 0],
      [0, 1, 0],
      [0, 1, 0],
    ].map((r) => r.map((v) => [v]));
    exact(x.grad as Tensor, tensor(mask), "grad");
    exact(
      padded.reshape(12),
      tensor([0, 1, 2, 3, 4, -100, -100, 7, -100, -100, 10, -100]),
      "values",
    );
  });

  it("PackedSequence derives unsortedIndices from sortedIndices", () => {
    const p = new R.PackedSequence(randn(6, 2), tensor([3, 2, 1]), tensor([2, 0, 1]));
    exact(p.unsortedIndices as Tensor, tensor([1, 2, 0]), "inverse");
    assert.throws(() => new R.PackedSequence(randn(5, 2), tensor([3, 2, 1])), ShapeError);
  });

  it("rejects unsorted lengths, empty sequences, wrong counts and short totalLength", () => {
    const x = randn(4, 3, 2);
    assert.throws(
      () => R.packPaddedSequence(x, [2, 4, 1]),
      (e: Error) => {
        assert.ok(e instanceof ValueError);
        assert.match(e.message, /must be sorted in decreasing order/);
        return true;
      },
    );
    assert.throws(() => R.packPaddedSequence(x, [4, 2, 0]), /has to be greater than 0/);
    assert.throws(
      () => R.packPaddedSequence(x, [4, 2]),
      /equal to batch_size, but got 2 \(batch_size=3\)/,
    );
    assert.throws(() => R.packPaddedSequence(x, [5, 2, 1]), /exceeds the input's 4 time steps/);
    const p = R.packPaddedSequence(x, [4, 2, 1]);
    assert.throws(
      () => R.padPackedSequence(p, { totalLength: 3 }),
      /total_length=3 and max sequence length being 4/,
    );
    assert.throws(() => R.padSequence([randn(2, 3), randn(3, 4)]), ShapeError);
    assert.throws(() => R.padSequence(randn(2, 3) as never), ValueError);
    assert.throws(
      () => R.packSequence([randn(2, 3)], { enforce_sorted: false } as never),
      /enforceSorted/,
    );
  });
});
