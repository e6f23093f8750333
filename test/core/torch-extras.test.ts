// Names real PyTorch programs use that the API-coverage measurement found missing: Tensor.T/mT,
// .data (get and set), stride(), storageOffset(), typeAs, isPinned/pinMemory, the arc* aliases,
// the legacy typed constructors (torch.FloatTensor, ...), torch.compile, nn.DataParallel and the
// deprecated nn.init names. Expected values are derived by hand in the comments, or printed by
// PyTorch 1.13 where quoted.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  arccos,
  arctan2,
  BoolTensor,
  compile,
  DeviceError,
  DoubleTensor,
  DTypeError,
  FloatTensor,
  IntTensor,
  LongTensor,
  linspace,
  manualSeed,
  nn,
  randn,
  repeatInterleave,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from "../../src/index.ts";

const vals = (t: Tensor) => Array.from(t.dataSync(), Number);

describe("Tensor: T, mT, data, stride, storageOffset, typeAs, pinning", () => {
  it("T reverses the dims, mT swaps the last two (views)", () => {
    const x = tensor([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    // x.T is [[0, 3], [1, 4], [2, 5]] (PyTorch prints the same), sharing x's storage.
    assert.deepEqual(x.T.toArray(), [
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    assert.equal(x.T.storage, x.storage);
    assert.deepEqual([...randn(2, 3, 4).T.shape], [4, 3, 2]);
    assert.deepEqual([...randn(5, 2, 3).mT.shape], [5, 3, 2]);
    assert.throws(
      () => tensor([1, 2]).mT,
      (e: unknown) => e instanceof ValueError && /1-D/.test(e.message),
    );
  });

  it("data shares the values but not the graph or the version counter", () => {
    const y = tensor([1, 1], { requiresGrad: true });
    const d = y.data;
    assert.equal(d.requiresGrad, false);
    d.add_(1);
    // PyTorch: y is tensor([2., 2.], requires_grad=True), y._version 0, d._version 1.
    assert.deepEqual(vals(y), [2, 2]);
    assert.equal(y.version, 0);
    assert.equal(d.version, 1);
    y.data = zeros(3);
    assert.deepEqual(vals(y), [0, 0, 0]);
    assert.equal(y.requiresGrad, true);
    assert.throws(
      () => {
        y.data = tensor([1, 2], { dtype: "int32" });
      },
      (e: unknown) => e instanceof DTypeError && /floating point/.test(e.message),
    );
  });

  it("stride() and storageOffset() as PyTorch's (elements)", () => {
    const x = tensor([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    // PyTorch: x.stride() (3, 1), x.stride(-1) 1, x.t().storage_offset() 0, x[1].storage_offset() 3
    assert.deepEqual(x.stride(), [3, 1]);
    assert.equal(x.stride(-1), 1);
    assert.deepEqual(x.t().stride(), [1, 3]);
    assert.equal(x.t().storageOffset(), 0);
    assert.equal(x.select(0, 1).storageOffset(), 3);
  });

  it("typeAs casts to the other tensor's dtype", () => {
    const x = tensor([0.5, 2]);
    assert.equal(x.typeAs(tensor([1], { dtype: "int32" })).dtype, "int32");
    assert.equal(x.typeAs(tensor([1], { dtype: "float64" })).dtype, "float64");
  });

  it("isPinned is false; pinMemory throws as PyTorch without an accelerator", () => {
    assert.equal(tensor([1]).isPinned(), false);
    assert.throws(() => tensor([1]).pinMemory(), DeviceError);
  });

  it("arccos, arcsin, arctan (and hyperbolic), arctan2 are acos, asin, atan, ..., atan2", () => {
    const x = tensor([-0.5, 0, 0.25]);
    assert.deepEqual(vals(arccos(x)), vals(x.acos()));
    assert.deepEqual(vals(x.arcsin()), vals(x.asin()));
    assert.deepEqual(vals(x.arctan()), vals(x.atan()));
    assert.deepEqual(vals(x.arctanh()), vals(x.atanh()));
    assert.deepEqual(vals(x.arcsinh()), vals(x.asinh()));
    assert.deepEqual(vals(tensor([1, 2]).arccosh()), vals(tensor([1, 2]).acosh()));
    // atan2(1, -1) = 3π/4
    assert.ok(Math.abs(arctan2(tensor([1]), tensor([-1])).item() - (3 * Math.PI) / 4) < 1e-6);
  });
});

describe("legacy typed constructors", () => {
  it("from data, from sizes, empty, and aliasing a tensor of the dtype", () => {
    // PyTorch: FloatTensor([1, 2]) tensor([1., 2.]); LongTensor([1, 2]) tensor([1, 2]);
    // FloatTensor(2, 3).shape [2, 3]; LongTensor(3).shape [3]; FloatTensor().shape [0].
    const f = FloatTensor([1, 2]);
    assert.equal(f.dtype, "float32");
    assert.deepEqual(vals(f), [1, 2]);
    const l = LongTensor([1, 2]);
    assert.equal(l.dtype, "int64");
    assert.deepEqual(vals(l), [1, 2]);
    assert.deepEqual([...FloatTensor(2, 3).shape], [2, 3]);
    assert.deepEqual([...LongTensor(3).shape], [3]);
    assert.deepEqual([...FloatTensor().shape], [0]);
    assert.equal(IntTensor([[1, 2]]).dtype, "int32");
    assert.equal(DoubleTensor([0.5]).dtype, "float64");
    const x = tensor([1.5, 2], { dtype: "float32" });
    assert.equal(FloatTensor(x), x);
    assert.throws(() => FloatTensor(tensor([1], { dtype: "float64" }) as never), DTypeError);
    // PyTorch: "new(): data must be a sequence (got float)"
    assert.throws(() => FloatTensor(2.5), ValueError);
  });

  it("instanceof asks the dtype, as isinstance(x, torch.FloatTensor)", () => {
    assert.ok(tensor([1.5]) instanceof FloatTensor);
    assert.ok(!(tensor([1.5]) instanceof DoubleTensor));
    assert.ok(tensor([true]) instanceof BoolTensor);
    assert.ok(!(([1] as unknown) instanceof FloatTensor));
  });
});

describe("torch.compile, nn.DataParallel, deprecated nn.init names", () => {
  it("compile returns the model itself; the decorator form too; options are checked", () => {
    const m = new nn.Linear(2, 3);
    assert.equal(compile(m), m);
    assert.equal(compile(m, { mode: "max-autotune", fullgraph: true }), m);
    const f = (x: Tensor) => x.add(1);
    assert.equal(compile(null, { dynamic: true })(f), f);
    assert.throws(() => compile(m, { mode: "fastest" as never }), ValueError);
  });

  it("DataParallel calls the module and prefixes its state-dict keys with module.", () => {
    manualSeed(1);
    const lin = new nn.Linear(2, 3);
    const dp = new nn.DataParallel(lin);
    // PyTorch 1.13 on a machine without GPUs: keys ['module.weight', 'module.bias'], device_ids [].
    assert.deepEqual(Object.keys(dp.stateDict()), ["module.weight", "module.bias"]);
    assert.deepEqual(dp.deviceIds, []);
    assert.equal(
      String(dp),
      "DataParallel(\n  (module): Linear(in_features=2, out_features=3, bias=True)\n)",
    );
    const x = randn(4, 2);
    assert.deepEqual(vals(dp.call(x)), vals(lin.call(x)));
    assert.equal(new nn.DataParallel(lin, [0], 0).module, lin);
  });

  it("nn.init.normal and friends fill as their _ forms and warn once", () => {
    const warn = console.warn;
    const seen: string[] = [];
    console.warn = (m: string) => seen.push(m);
    try {
      const a = randn(3, 4);
      const b = randn(3, 4);
      manualSeed(5);
      nn.init.normal(a, 0, 2);
      nn.init.normal(a, 0, 2);
      manualSeed(5);
      nn.init.normal_(b, 0, 2);
      nn.init.normal_(b, 0, 2);
      assert.deepEqual(vals(a), vals(b));
      nn.init.constant(a, 0.5);
      assert.deepEqual(vals(a), new Array(12).fill(0.5));
      assert.deepEqual(seen, [
        "UserWarning: nn.init.normal is now deprecated in favor of nn.init.normal_.",
        "UserWarning: nn.init.constant is now deprecated in favor of nn.init.constant_.",
      ]);
    } finally {
      console.warn = warn;
    }
  });
});

describe("parity fixes found by the new ops' goldens", () => {
  it("sign(NaN) and sign(-0) are +0, as PyTorch's (0 < a) - (a < 0)", () => {
    // PyTorch 1.13: torch.sign(tensor([nan, -0., 2.])) is tensor([0., 0., 1.]).
    const s = tensor([Number.NaN, -0, 2, -3]).sign().toArray() as number[];
    assert.ok(Object.is(s[0], 0) && Object.is(s[1], 0));
    assert.deepEqual(s.slice(2), [1, -1]);
  });

  it("linspace with one step is [start]", () => {
    // PyTorch 1.13: torch.linspace(3, 5, 1) is tensor([3.]).
    assert.deepEqual(linspace(3, 5, 1).toArray(), [3]);
    assert.deepEqual(linspace(3, 5, 3).toArray(), [3, 4, 5]);
  });
});

describe("printing int64 beyond 2^53", () => {
  it("prints the exact values, padded as PyTorch pads them", () => {
    // PyTorch 1.13: torch.tensor([2**60, 3]) prints
    // tensor([1152921504606846976,                   3]) (int64 is its default, so no dtype).
    assert.equal(
      String(tensor([2n ** 60n, 3n])),
      "tensor([1152921504606846976,                   3], dtype=int64)",
    );
    assert.equal(String(tensor(-(2n ** 62n))), "tensor(-4611686018427387904, dtype=int64)");
  });
});

describe("int64 counts, offsets and indices", () => {
  it("repeatInterleave, maxUnpool1d and embeddingBag take int64 as PyTorch does", () => {
    // repeat_interleave([1, 2], [2, 1]) = [1, 1, 2]; repeat_interleave([2, 1]) = [0, 0, 1].
    assert.deepEqual(repeatInterleave(tensor([1, 2]), tensor([2n, 1n])).toArray(), [1, 1, 2]);
    assert.deepEqual(repeatInterleave(tensor([2n, 1n])).toArray(), [0, 0, 1]);
    // max_unpool1d([[[5, 6]]], [[[1, 3]]], 2): output length (2 − 1)·2 + 2 = 4, 5 at 1, 6 at 3.
    const y = nn.functional.maxUnpool1d(tensor([[[5.5, 6]]]), tensor([[[1n, 3n]]]), 2);
    assert.deepEqual(y.toArray(), [[[0, 5.5, 0, 6]]]);
    // Bags [0, 1] and [2, 1] of rows w0, w1, w2, mean mode.
    const w = tensor([
      [1.5, 0],
      [0.5, 2],
      [3.5, 4],
    ]);
    const eb = nn.functional.embeddingBag(tensor([0n, 1n, 2n, 1n]), w, tensor([0n, 2n]));
    assert.deepEqual(eb.toArray(), [
      [1, 1],
      [2, 3],
    ]);
  });
});
