// setPrintoptions against PyTorch 1.13's repr under torch.set_printoptions: a table of tensors
// (fixed, scientific, int-valued, wide, long, summarised, 3-D, zeros, ints, non-finite) printed
// under precision / threshold / edgeitems / linewidth / sciMode / profile settings
// (test/golden/core/ops_more_repr.json, written by tools/golden/ops_more.py).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { type SetPrintOptions, setPrintoptions } from "../../src/tensor/format.ts";
import { dec, type Enc } from "./helpers.ts";
import { ValueError } from "./kiln.ts";

interface ReprCase {
  options: SetPrintOptions & { positional?: unknown[] };
  tensor: string;
  expected: string;
}
const FIXTURE = JSON.parse(
  readFileSync(new URL("../golden/core/ops_more_repr.json", import.meta.url), "utf8"),
) as { tensors: Record<string, Enc>; cases: ReprCase[] };

describe("String(t) under setPrintoptions matches PyTorch's repr", () => {
  after(() => setPrintoptions({ profile: "default" }));
  for (const c of FIXTURE.cases) {
    test(`${JSON.stringify(c.options)} ${c.tensor}`, () => {
      setPrintoptions({ profile: "default" });
      if (c.options.positional !== undefined) {
        (setPrintoptions as (...a: unknown[]) => void)(...c.options.positional);
      } else {
        setPrintoptions(c.options);
      }
      const t = dec(FIXTURE.tensors[c.tensor]!);
      const got = String(t);
      setPrintoptions({ profile: "default" });
      assert.equal(got, c.expected);
    });
  }
  test("unknown options and bad values throw naming setPrintoptions", () => {
    assert.throws(
      () => setPrintoptions({ precison: 2 } as unknown as SetPrintOptions),
      (e: unknown) => e instanceof ValueError && /^setPrintoptions/.test((e as Error).message),
    );
    assert.throws(() => setPrintoptions({ precision: -1 }), ValueError);
    assert.throws(
      () => setPrintoptions({ profile: "long" as "short" }),
      (e: unknown) => e instanceof ValueError,
    );
  });
});
