// The restricted unpickler refuses every global outside the state-dict allow-list and every
// opcode that imports or instantiates objects: pickles written by Python with __reduce__ payloads
// (os.system, builtins.eval, subprocess.Popen, getattr; protocols 0, 2 and 4) and hand-built ones.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parseTorch } from "../../src/io/torch/load-torch.ts";
import { expectFormatError, fixture, ptWith } from "./helpers.ts";

/** Pickle bytes from opcodes (numbers) and latin-1 text (strings). */
function pk(...parts: (number | string)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "number") out.push(p);
    else for (const ch of p) out.push(ch.charCodeAt(0));
  }
  return Uint8Array.from(out);
}

/** BINUNICODE of `s`. */
const u = (s: string): (number | string)[] => [0x58, s.length, 0, 0, 0, s];
const PROTO2 = [0x80, 2];

describe("restricted unpickler", () => {
  for (const [file, global] of [
    ["evil_os_system.pt", "posix.system"],
    ["evil_eval.pt", "__builtin__.eval"],
    ["evil_subprocess.pt", "commands.Popen"],
    ["evil_getattr.pt", "__builtin__.getattr"],
  ] as const) {
    it(`refuses torch.save'd ${file} naming ${global} and its byte offset`, () => {
      const bytes = fs.readFileSync(fixture(file));
      expectFormatError(
        bytes,
        new RegExp(`global ${global.replace(".", "\\.")} is not allowed`),
        /data\.pkl at byte \d+/,
      );
    });
  }

  for (const [file, global] of [
    ["evil_os_system.pkl", /posix\.system/],
    ["evil_os_system_p0.pkl", /posix\.system/],
    ["evil_os_system_p4.pkl", /posix\.system/],
    ["evil_eval.pkl", /__builtin__\.eval/],
    ["evil_subprocess.pkl", /commands\.Popen/],
    ["evil_getattr.pkl", /__builtin__\.getattr/],
  ] as const) {
    it(`refuses the bare pickle ${file} (${global.source})`, () => {
      expectFormatError(ptWith(fs.readFileSync(fixture(file))), global, /at byte \d+/);
    });
  }

  it("never runs the payload: a refused os.system call leaves no file behind", () => {
    const marker = path.join(os.tmpdir(), `kiln-pwned-${process.pid}`);
    const cmd = `touch ${marker}`;
    const bytes = pk(...PROTO2, "cposix\nsystem\n", ...u(cmd), 0x85, 0x52, 0x2e);
    expectFormatError(ptWith(bytes), /global posix\.system is not allowed/, /at byte 2:/);
    assert.equal(fs.existsSync(marker), false);
  });

  it("refuses globals assembled at run time with STACK_GLOBAL from memoized strings", () => {
    const bytes = pk(
      0x80,
      4,
      ...u("builtins"),
      0x94,
      ...u("eval"),
      0x94,
      0x68,
      0,
      0x68,
      1,
      0x93,
      0x2e,
    );
    expectFormatError(ptWith(bytes), /global builtins\.eval is not allowed/, /at byte 30:/);
  });

  for (const g of [
    "torch.load",
    "torch.storage._load_from_bytes",
    "numpy.core.multiarray._reconstruct",
    "builtins.exec",
    "subprocess.check_output",
    "nt.system",
    "pickle.loads",
    "torch.nn.Module",
  ]) {
    it(`refuses ${g}`, () => {
      const [mod, name] = [g.slice(0, g.lastIndexOf(".")), g.slice(g.lastIndexOf(".") + 1)];
      expectFormatError(
        ptWith(pk(...PROTO2, `c${mod}\n${name}\n`, 0x29, 0x52, 0x2e)),
        new RegExp(`global ${g.replace(/\./g, "\\.")} is not allowed`),
      );
    });
  }

  for (const [name, bytes] of [
    ["INST", pk(0x28, ...u("touch x"), "ios\nsystem\n", 0x2e)],
    ["OBJ", pk(...PROTO2, 0x28, 0x4b, 1, 0x6f, 0x2e)],
    ["EXT1", pk(...PROTO2, 0x82, 1, 0x29, 0x52, 0x2e)],
    ["EXT2", pk(...PROTO2, 0x83, 1, 0, 0x2e)],
    ["NEWOBJ_EX", pk(0x80, 4, 0x4e, 0x29, 0x7d, 0x92, 0x2e)],
    ["PERSID", pk(0x50, "0\n", 0x2e)],
  ] as const) {
    it(`refuses the ${name} opcode, which imports or instantiates objects`, () => {
      expectFormatError(ptWith(bytes), new RegExp(`opcode ${name} is not allowed`), /at byte \d+/);
    });
  }

  it("refuses opcodes it does not implement, naming them", () => {
    expectFormatError(
      ptWith(pk(...PROTO2, 0x8f, 0x2e)),
      /opcode 0x8f is not supported/,
      /at byte 2/,
    );
  });

  it("refuses __reduce__ tricks on allowed globals", () => {
    // OrderedDict called with a payload argument.
    expectFormatError(
      ptWith(pk(...PROTO2, "ccollections\nOrderedDict\n", ...u("echo"), 0x85, 0x52, 0x2e)),
      /OrderedDict called with arguments/,
    );
    // Calling a value that is not a global (a string).
    expectFormatError(
      ptWith(pk(...PROTO2, ...u("posix.system"), 0x29, 0x52, 0x2e)),
      /cannot call a string/,
    );
    // REDUCE with a list instead of a tuple of arguments.
    expectFormatError(
      ptWith(pk(...PROTO2, "ccollections\nOrderedDict\n", 0x5d, 0x52, 0x2e)),
      /arguments of collections\.OrderedDict are a list/,
    );
    // _rebuild_tensor_v2 handed something that is not a storage.
    expectFormatError(
      ptWith(
        pk(
          ...PROTO2,
          "ctorch._utils\n_rebuild_tensor_v2\n",
          0x28,
          ...u("x"),
          0x4b,
          0,
          0x29,
          0x29,
          0x89,
          0x4e,
          0x74,
          0x52,
          0x2e,
        ),
      ),
      /_rebuild_tensor_v2 expects a storage/,
    );
    // A storage type is a marker, never callable.
    expectFormatError(
      ptWith(pk(...PROTO2, "ctorch\nFloatStorage\n", 0x29, 0x52, 0x2e)),
      /FloatStorage cannot be called/,
    );
    // BUILD (__setstate__) on a list, and with a non-dict state.
    expectFormatError(ptWith(pk(...PROTO2, 0x5d, 0x7d, 0x62, 0x2e)), /BUILD on a list/);
    expectFormatError(ptWith(pk(...PROTO2, 0x7d, 0x5d, 0x62, 0x2e)), /BUILD with a list state/);
    // A global returned as a value instead of being called.
    expectFormatError(
      ptWith(pk(...PROTO2, "ccollections\nOrderedDict\n", 0x2e)),
      /holds collections\.OrderedDict as a value/,
    );
  });

  it("refuses persistent ids that are not storages", () => {
    expectFormatError(
      ptWith(pk(...PROTO2, ...u("os"), 0x51, 0x2e)),
      /persistent id must be \("storage"/,
    );
    expectFormatError(
      ptWith(
        pk(
          ...PROTO2,
          0x28,
          ...u("storage"),
          ...u("x"),
          ...u("0"),
          ...u("cpu"),
          0x4b,
          1,
          0x74,
          0x51,
          0x2e,
        ),
      ),
      /persistent id names no storage type/,
    );
  });

  it("still loads plain data pickles (protocol 2 and 4 opcodes)", () => {
    const bytes = pk(
      0x80,
      4,
      0x95,
      5,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x7d,
      0x94,
      0x8c,
      1,
      "a",
      0x94,
      0x5d,
      0x28,
      0x4a,
      0xff,
      0xff,
      0xff,
      0xff,
      0x4d,
      0x34,
      0x12,
      0x8a,
      1,
      0x80,
      0x47,
      0x3f,
      0xd0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x43,
      2,
      1,
      2,
      0x65,
      0x73,
      0x2e,
    );
    const v = parseTorch(ptWith(bytes)) as Record<string, unknown[]>;
    assert.deepEqual(v.a, [-1, 0x1234, -128, 0.25, Uint8Array.of(1, 2)]);
  });
});
