// Sizes of 2^31 elements and more (issue 13, item 7): the native addon receives shapes, strides
// and offsets whole (its metadata is float64), so reductions over such views give PyTorch's
// numbers, never a wrapped count; what cannot be held or represented throws a typed error.
// Views with stride 0 keep the memory at one element; the sums still visit every element (~2 s).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { FormatError, io, ones, ValueError, zeros } from "../../src/index.ts";

const golden = (name: string) =>
  fileURLToPath(new URL(`../golden/io-torch/${name}`, import.meta.url));

describe("reductions over 2^31 elements and more", () => {
  it("ones(1).expand(2^31): sum 2^31, mean 1, max 1 (int32 meta wrapped these to 0, 0, -inf)", () => {
    const x = ones(1).expand(2 ** 31);
    // 2^31 is a power of two, exact in float32
    assert.equal(x.sum().item(), 2 ** 31);
    assert.equal(x.mean().item(), 1);
    assert.equal(x.max().item(), 1);
    assert.equal(
      ones([1], { dtype: "bool" })
        .expand(2 ** 31)
        .any()
        .item(),
      true,
    );
  });

  it("2^32 + 3 ones sum to float32(2^32 + 3) = 2^32, not 3", () => {
    // float32 spacing at 2^32 is 2^(32 − 23) = 512, so 2^32 + 3 rounds to 2^32
    assert.equal(
      ones(1)
        .expand(2 ** 32 + 3)
        .sum()
        .item(),
      2 ** 32,
    );
  });

  it("a count that int32 cannot hold throws instead of wrapping", () => {
    // PyTorch returns int64 2147483648; Kiln's integer dtype is int32, so it refuses
    const mask = ones([1], { dtype: "bool" }).expand(2 ** 31);
    assert.throws(
      () => mask.sum(),
      (e: unknown) => e instanceof ValueError && /2147483648/.test(String(e)),
    );
  });

  it("a tensor larger than one typed array throws a ValueError, not a RangeError", () => {
    assert.throws(
      () => zeros(2 ** 32 + 1),
      (e: unknown) => e instanceof ValueError && /at most 2\^32 elements/.test(String(e)),
    );
  });
});

describe("loadTorch of views over a one-element storage (tools/golden/divergences.py)", () => {
  it("size [2^31], stride [0] loads and sums to 2^31", () => {
    const { x } = io.loadTorch(golden("huge-view-2p31.pt")) as { x: ReturnType<typeof ones> };
    assert.deepEqual(x.shape, [2 ** 31]);
    assert.equal(x.sum().item(), 2 ** 31);
  });

  it("size [2^40], stride [0] is refused with a FormatError instead of summing for hours", () => {
    assert.throws(
      () => io.loadTorch(golden("huge-view-2p40.pt")),
      (e: unknown) => e instanceof FormatError && /1099511627776 elements/.test(String(e)),
    );
  });
});
