// Typed errors whose messages carry PyTorch's text (from tools/golden/core.py) and name the op.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fixture } from "./helpers.ts";
import {
  DTypeError,
  IndexError,
  type KilnError,
  matmul,
  ones,
  ShapeError,
  tensor,
  ValueError,
} from "./kiln.ts";

const torchMsg = fixture<Record<string, string>>("errors");

function expectError(fn: () => unknown, type: typeof KilnError, key: string, op: string): void {
  const msg = torchMsg[key]!;
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof type, `${key}: expected ${type.name}, got ${e.name}: ${e.message}`);
    assert.ok(e.message.includes(msg), `${key}: "${e.message}" lacks PyTorch's "${msg}"`);
    assert.ok(e.message.startsWith(`${op}:`), `${key}: "${e.message}" does not name ${op}`);
    return true;
  });
}

describe("typed errors with PyTorch's messages", () => {
  test("broadcast mismatch", () => {
    expectError(() => ones([2, 3]).add(ones([2, 4])), ShapeError, "broadcast", "add");
  });
  test("matmul inner-dimension mismatch", () => {
    expectError(() => matmul(ones([2, 3]), ones([4, 5])), ShapeError, "matmul", "matmul");
  });
  test("index out of range (tensor index and int)", () => {
    expectError(() => ones([3, 2]).index(tensor([0, 5])), IndexError, "indexOutOfRange", "index");
    expectError(() => ones([3, 2]).index(5), IndexError, "intOutOfRange", "select");
  });
  test("bool mask of the wrong shape", () => {
    expectError(
      () => ones([4, 2]).index(tensor([true, false, true])),
      IndexError,
      "maskShape",
      "index",
    );
  });
  test("float tensor used as an index", () => {
    expectError(
      () => ones([3]).index(tensor([0, 1], { dtype: "float32" })),
      IndexError,
      "floatIndex",
      "index",
    );
  });
  test("reshape to an incompatible size", () => {
    expectError(() => ones([6]).reshape(2, 5), ShapeError, "reshape", "reshape");
  });
  test("dimension out of range", () => {
    expectError(() => ones([2, 3]).sum(3), IndexError, "dim", "sum");
  });
  test("other typed errors", () => {
    assert.throws(() => tensor([true]).neg(), DTypeError);
    assert.throws(() => ones([2]).item(), ValueError);
    assert.throws(() => tensor([1, 2]).add_(0.5), DTypeError);
    assert.throws(() => ones([2]).add_(ones([3, 2])), ShapeError);
    assert.throws(() => ones([2, 3]).index(0, 0, 0), IndexError);
  });
});
