// int64, uint8, int8 and int16 through torch.save files and safetensors: PyTorch 1.13 wrote
// test/golden/io-torch/ints.pt and test/golden/io/ints.safetensors (tools/golden/dtypes_int.py,
// which also checks that torch.load reads Kiln's re-saved files back exactly); here Kiln must
// load every value and dtype exactly (int64 beyond 2^53 included) and save them unchanged.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import {
  loadSafetensors,
  parseSafetensors,
  serializeSafetensors,
} from "../../src/io/safetensors.ts";
import { loadTorch, parseTorch, serializeTorch } from "../../src/io/torch/index.ts";
import * as nn from "../../src/nn/index.ts";
import { Tensor } from "../../src/tensor/tensor.ts";

interface Values {
  dtype: string;
  shape: number[];
  values: (number | string)[];
}
const golden = JSON.parse(
  readFileSync(new URL("../golden/core/dtypes_int.json", import.meta.url), "utf8"),
) as { ints_fixture: Record<string, Values> };
const PT = new URL("../golden/io-torch/ints.pt", import.meta.url).pathname;
const ST = new URL("../golden/io/ints.safetensors", import.meta.url).pathname;

/** Flattens nested records of tensors to dotted keys, as a state dict names them. */
function flat(v: unknown, prefix = "", out: Record<string, Tensor> = {}): Record<string, Tensor> {
  if (v instanceof Tensor) out[prefix.slice(0, -1)] = v;
  else for (const [k, x] of Object.entries(v as object)) flat(x, `${prefix}${k}.`, out);
  return out;
}

/** Each tensor matches PyTorch's dtype, shape and values exactly (int64 compared as strings). */
function checkAll(tensors: Record<string, Tensor>, where: string): void {
  assert.deepEqual(Object.keys(tensors).sort(), Object.keys(golden.ints_fixture).sort(), where);
  for (const [k, want] of Object.entries(golden.ints_fixture)) {
    const t = tensors[k]!;
    assert.equal(t.dtype, want.dtype, `${where} ${k}: dtype`);
    assert.deepEqual([...t.shape], want.shape, `${where} ${k}: shape`);
    const got = Array.from(t.contiguous().dataSync() as ArrayLike<number | bigint>, (v) =>
      typeof v === "bigint" ? String(v) : v,
    );
    assert.deepEqual(got, want.values, `${where} ${k}: values`);
  }
}

describe("integer dtypes in files PyTorch wrote", () => {
  test("torch.save: LongStorage, ByteStorage, CharStorage, ShortStorage load as themselves", () => {
    checkAll(flat(loadTorch(PT)), "ints.pt");
  });

  test("safetensors: I64, U8, I8, I16 load as themselves", () => {
    checkAll(loadSafetensors(ST), "ints.safetensors");
  });

  test("saving them back keeps every value and dtype (both formats)", () => {
    checkAll(flat(parseTorch(serializeTorch(loadTorch(PT)))), "re-saved .pt");
    checkAll(parseSafetensors(serializeSafetensors(loadSafetensors(ST))).tensors, "re-saved st");
  });

  test("BatchNorm's num_batches_tracked is int64, loads from PyTorch and counts on", () => {
    const bn = new nn.BatchNorm2d(3);
    assert.equal(bn.numBatchesTracked!.dtype, "int64");
    const sd = (loadTorch(PT) as { bn: Record<string, Tensor> }).bn;
    bn.loadStateDict(sd);
    // the fixture ran 3 training batches through PyTorch's BatchNorm2d
    assert.equal(bn.numBatchesTracked!.item(), 3);
    bn.train();
    bn.forward(
      Tensor.fromData(
        new Float32Array(12).map((_, i) => i),
        [2, 3, 2, 1],
        "float32",
      ),
    );
    assert.equal(bn.numBatchesTracked!.item(), 4);
    assert.equal(bn.stateDict().num_batches_tracked!.dtype, "int64");
  });
});

describe("labels and indices: int64 gives what int32 gives", () => {
  // Each loss is tested against PyTorch with int32 labels elsewhere (test/nn); PyTorch's labels
  // are int64, so the same values as int64 must give the very same result.
  const F = nn.functional;
  const logits = Tensor.fromData(
    Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)),
    [4, 3],
    "float32",
  );
  const i32 = Tensor.fromData(new Int32Array([2, 0, 1, 2]), [4], "int32");
  const i64 = i32.long();

  test("crossEntropy, nllLoss, multiMarginLoss", () => {
    assert.equal(F.crossEntropy(logits, i64).item(), F.crossEntropy(logits, i32).item());
    const logp = F.logSoftmax(logits, 1);
    assert.equal(F.nllLoss(logp, i64).item(), F.nllLoss(logp, i32).item());
    assert.equal(F.multiMarginLoss(logits, i64).item(), F.multiMarginLoss(logits, i32).item());
    assert.throws(() => F.crossEntropy(logits, i32.short()), /int64 or int32/);
  });

  test("embedding, oneHot and ctcLoss", () => {
    const w = logits;
    assert.deepEqual(F.embedding(i64, w).tolist(), F.embedding(i32, w).tolist());
    assert.deepEqual(F.oneHot(i64, 3).tolist(), F.oneHot(i32, 3).tolist());
    const lp = F.logSoftmax(
      Tensor.fromData(
        Float32Array.from({ length: 30 }, (_, i) => Math.cos(i)),
        [5, 2, 3],
        "float32",
      ),
      2,
    );
    const tg = Tensor.fromData(new Int32Array([1, 2, 1, 1]), [2, 2], "int32");
    const lens = Tensor.fromData(new Int32Array([5, 4]), [2], "int32");
    const tl = Tensor.fromData(new Int32Array([2, 1]), [2], "int32");
    assert.equal(
      F.ctcLoss(lp, tg.long(), lens.long(), tl.long()).item(),
      F.ctcLoss(lp, tg, lens, tl).item(),
    );
  });
});
