// PyTorch's errors for the torch functions of tools/golden/torch_ops.py: each named call raised
// in PyTorch 1.13 (test/golden/core/torch_ops_errors.json), and the same call must throw Kiln's
// typed error here, with a message that names the op.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { KilnError } from "./kiln.ts";

interface ErrorCase {
  name: string;
  error: string;
  message: string;
}

const url = new URL("../golden/core/torch_ops_errors.json", import.meta.url);
const ERRORS = new Map(
  (JSON.parse(readFileSync(url, "utf8")) as { cases: ErrorCase[] }).cases.map((c) => [c.name, c]),
);

/** A test that `call` throws `cls` naming `op`, for the fixture case `name` PyTorch raised on. */
export function errorTest(
  name: string,
  op: string,
  cls: new (...a: never[]) => KilnError,
  call: () => unknown,
): void {
  test(`error: ${name}`, () => {
    const torch = ERRORS.get(name);
    assert.ok(torch !== undefined, `PyTorch raised nothing recorded for "${name}"`);
    assert.throws(call, (e: unknown) => {
      assert.ok(
        e instanceof cls,
        `${name}: expected ${cls.name}, got ${String(e)} (PyTorch: ${torch.message})`,
      );
      assert.match(
        (e as Error).message,
        new RegExp(`^${op}: `),
        `${name}: the message names ${op}`,
      );
      return true;
    });
  });
}
