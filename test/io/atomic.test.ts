// Tests of the atomic writers: complete files appear at once, parents are created, and an error
// mid-write (a throwing chunk source, a rename onto a directory) leaves neither a partial target
// nor a temporary file, and keeps the previous contents of the target.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { appendFileWhole, copyFileAtomic, sha1File, writeFileAtomic } from "../../src/io/atomic.ts";

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "kiln-atomic-"));
}

describe("writeFileAtomic", () => {
  it("writes text, bytes and chunk sequences, creating parent directories", () => {
    const dir = tmpDir();
    const a = path.join(dir, "x", "y", "a.txt");
    writeFileAtomic(a, "héllo");
    assert.equal(fs.readFileSync(a, "utf8"), "héllo");
    writeFileAtomic(a, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...fs.readFileSync(a)], [1, 2, 3]);
    writeFileAtomic(a, [new Uint8Array([4]), new Uint8Array([5, 6])]);
    assert.deepEqual([...fs.readFileSync(a)], [4, 5, 6]);
    assert.deepEqual(fs.readdirSync(path.dirname(a)), ["a.txt"]);
  });

  it("an error mid-write leaves the old target intact and no temporary file", () => {
    const dir = tmpDir();
    const target = path.join(dir, "model.safetensors");
    writeFileAtomic(target, "old contents");
    function* failing(): Generator<Uint8Array> {
      yield new Uint8Array(1 << 16).fill(7);
      throw new Error("disk on fire");
    }
    assert.throws(() => writeFileAtomic(target, failing()), /disk on fire/);
    assert.equal(fs.readFileSync(target, "utf8"), "old contents");
    assert.deepEqual(fs.readdirSync(dir), ["model.safetensors"]);
  });

  it("an error mid-write to a new target creates nothing", () => {
    const dir = tmpDir();
    const target = path.join(dir, "new.bin");
    function* failing(): Generator<Uint8Array> {
      yield new Uint8Array([1, 2, 3]);
      throw new Error("interrupted");
    }
    assert.throws(() => writeFileAtomic(target, failing()), /interrupted/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it("a failing rename (target is a directory) removes the temporary file", () => {
    const dir = tmpDir();
    const target = path.join(dir, "occupied");
    fs.mkdirSync(path.join(target, "child"), { recursive: true });
    assert.throws(() => writeFileAtomic(target, "data"));
    assert.deepEqual(fs.readdirSync(dir), ["occupied"]);
  });
});

describe("copyFileAtomic, appendFileWhole, sha1File", () => {
  it("copies a file atomically and leaves no temporary file on a missing source", () => {
    const dir = tmpDir();
    const src = path.join(dir, "a.state");
    writeFileAtomic(src, "weights");
    const best = path.join(dir, "best", "a.best.state");
    copyFileAtomic(src, best);
    assert.equal(fs.readFileSync(best, "utf8"), "weights");
    assert.throws(() => copyFileAtomic(path.join(dir, "missing"), best), /ENOENT/);
    assert.equal(fs.readFileSync(best, "utf8"), "weights");
    assert.deepEqual(fs.readdirSync(path.dirname(best)), ["a.best.state"]);
  });

  it("appends whole records and hashes files with SHA-1", () => {
    const dir = tmpDir();
    const log = path.join(dir, "logs", "metrics.jsonl");
    appendFileWhole(log, "one\n");
    appendFileWhole(log, new Uint8Array(Buffer.from("two\n")));
    assert.equal(fs.readFileSync(log, "utf8"), "one\ntwo\n");
    const f = path.join(dir, "abc.txt");
    writeFileAtomic(f, "abc");
    // SHA-1("abc") from FIPS 180-2, appendix A.1.
    assert.equal(sha1File(f), "a9993e364706816aba3e25717850c26c9cd0d89d");
  });

  it("a directory that cannot be made is an error, not a hang (/proc refuses mkdir)", () => {
    // Node 20's mkdirSync(..., { recursive: true }) never returns under /proc
    assert.throws(() => writeFileAtomic("/proc/kiln-no-such/dir/x.txt", "x"), /ENOENT|EACCES/);
    assert.throws(() => appendFileWhole("/proc/kiln-no-such/dir/x.log", "x"), /ENOENT|EACCES/);
    const dir = tmpDir();
    writeFileAtomic(path.join(dir, "a", "b", "c.txt"), "deep");
    assert.equal(fs.readFileSync(path.join(dir, "a", "b", "c.txt"), "utf8"), "deep");
  });
});
