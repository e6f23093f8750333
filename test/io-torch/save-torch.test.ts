// saveTorch: round trips of PyTorch-written fixtures through Kiln's writer (values, dtypes, shared
// storages, views, containers), the file layout torch.load expects, and atomic writes.
// tools/golden/torch_pt_check.py checks the same files with PyTorch 1.13's torch.load.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ValueError } from "../../src/core/errors.ts";
import {
  loadTorch,
  parseTorch,
  saveTorch,
  serializeTorch,
  type TorchDict,
  type TorchValue,
} from "../../src/io/torch/index.ts";
import { FIELD_ALIGNMENT, ZipArchive } from "../../src/io/torch/zip.ts";
import { Parameter } from "../../src/nn/parameter.ts";
import { tensor } from "../../src/ops/creation.ts";
import type { Tensor } from "../../src/tensor/tensor.ts";
import { checkMirror, expected, fixture } from "./helpers.ts";

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "kiln-pt-"));

describe("saveTorch", () => {
  it("round-trips the dtypes fixture: values, views, shared storages and containers", () => {
    const loaded = loadTorch(fixture("dtypes.pt"));
    // intDtype "int32": int32 tensors stay IntStorage (by default they are written as torch.long).
    const again = parseTorch(serializeTorch(loaded, { intDtype: "int32" }));
    // Kiln holds float16/bfloat16 as float32 and the integer dtypes as themselves, so the round
    // trip keeps values, layout and sharing; torchDtype in the mirror only decides Kiln's dtype.
    checkMirror(again, expected.dtypes);
  });

  it("round-trips the MLP and CNN state dicts through a file", () => {
    const dir = tmp();
    for (const name of ["mlp", "cnn"]) {
      const sd = loadTorch<Record<string, Tensor>>(fixture(`${name}.pt`));
      const file = path.join(dir, `${name}.pt`);
      saveTorch(file, sd);
      const back = loadTorch<Record<string, Tensor>>(file);
      assert.deepEqual(Object.keys(back), Object.keys(sd));
      for (const [k, t] of Object.entries(sd)) {
        assert.equal(back[k]!.dtype, t.dtype, k);
        assert.deepEqual(back[k]!.shape, t.shape, k);
        assert.deepEqual(back[k]!.dataSync(), t.dataSync(), k);
      }
    }
    assert.deepEqual(
      fs.readdirSync(dir).sort(),
      ["cnn.pt", "mlp.pt"],
      "no temporary files left behind",
    );
  });

  it("writes the records torch.load reads, stored, with data aligned to 64 bytes", () => {
    const bytes = serializeTorch(
      {
        w: tensor([
          [1, 2],
          [3, 4],
        ]),
        n: tensor([7], { dtype: "int32" }),
      },
      { archiveName: "model" },
    );
    const zip = new ZipArchive(bytes, "test");
    assert.deepEqual(
      [...zip.entries.keys()],
      ["model/data.pkl", "model/data/0", "model/data/1", "model/byteorder", "model/version"],
    );
    for (const e of zip.entries.values()) {
      assert.equal(e.method, 0);
      assert.equal(e.dataOffset % FIELD_ALIGNMENT, 0, e.name);
    }
    assert.equal(new TextDecoder().decode(zip.read(zip.entries.get("model/version")!)), "3\n");
    // int32 is written as torch.long (8 bytes per element) unless asked otherwise.
    assert.equal(zip.entries.get("model/data/1")!.size, 8);
    const narrow = new ZipArchive(
      serializeTorch({ n: tensor([7], { dtype: "int32" }) }, { intDtype: "int32" }),
      "test",
    );
    assert.equal(narrow.entries.get("archive/data/0")!.size, 4);
  });

  it("keeps negative int32 values through int64, Parameters, and bigints", () => {
    const p = new Parameter(tensor([0.5, -2]));
    const value: TorchDict = {
      ints: tensor([-1, 2147483647, -2147483648], { dtype: "int32" }),
      p,
      nested: {
        big: 2n ** 70n,
        neg: -(2n ** 64n),
        list: [1.5, -0, null, "s", true],
        tuple: Object.freeze([1, 2, 3, 4]),
      },
    };
    const back = parseTorch(serializeTorch(value)) as Record<string, TorchValue>;
    assert.deepEqual((back.ints as Tensor).toArray(), [-1, 2147483647, -2147483648]);
    assert.ok(back.p instanceof Parameter && back.p.requiresGrad);
    const nested = back.nested as Record<string, TorchValue>;
    assert.equal(nested.big, 2n ** 70n);
    assert.equal(nested.neg, -(2n ** 64n));
    assert.deepEqual(nested.list, [1.5, -0, null, "s", true]);
    assert.ok(Object.is((nested.list as number[])[1], -0));
    assert.ok(Object.isFrozen(nested.tuple));
    assert.deepEqual(nested.tuple, [1, 2, 3, 4]);
  });

  it("refuses values torch.save files do not hold, and cycles", () => {
    assert.throws(() => serializeTorch({ f: (() => 1) as unknown as TorchValue }), ValueError);
    assert.throws(
      () => serializeTorch({ d: new Date() as unknown as TorchValue }),
      /saveTorch: d is a Date/,
    );
    const cyc: TorchValue[] = [];
    cyc.push(cyc);
    assert.throws(() => serializeTorch({ cyc }), /contains itself/);
  });
});
