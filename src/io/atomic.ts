// Atomic file writes: every file Kiln writes (checkpoints, reports, sidecars) goes through here,
// so a crash or an error mid-write never leaves a torn file behind: the bytes go to a unique
// temporary file in the target's directory, are fsynced, and are renamed over the target.
// Depends only on node:fs, node:path and node:crypto.

import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { checkArity } from "../core/args.ts";

/** What `writeFileAtomic` accepts: text (written as UTF-8), bytes, or a sequence of byte chunks. */
export type AtomicData = string | Uint8Array | Iterable<Uint8Array>;

/** A fresh temporary name beside `target` (same directory, so the rename stays on one filesystem). */
function tempNameFor(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  return path.join(dir, `.${base}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

/** fsync a directory so the rename itself survives a power loss; some platforms refuse, which is fine. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // NOTE: opening or fsyncing a directory fails on Windows and some filesystems; the data itself
    // was fsynced before the rename, so only the durability of the rename is best effort there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * Test hook: `KILN_TEST_SLOW_WRITES=<ms>` sleeps that long between the steps of an atomic write
 * (after the temporary file is complete, before the rename) and between the steps of a checkpoint
 * set, so the kill -9 test (test/train/kill9.test.ts) can land its kills inside every write phase.
 * Unset (the default), it costs nothing.
 */
export function testPause(): void {
  const ms = Number(process.env.KILN_TEST_SLOW_WRITES);
  if (Number.isFinite(ms) && ms > 0)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Creates `dir` and its missing parents, one level at a time.
 * NOTE: not `mkdirSync(dir, { recursive: true })`, which loops forever under /proc on Node 20
 * (`mkdirSync("/proc/x/y", { recursive: true })` never returns); a level at a time, the first
 * level that cannot be made throws its error (ENOENT, EACCES, ENOTDIR), which callers report.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  while (!fs.existsSync(d)) {
    missing.push(d);
    const parent = path.dirname(d);
    if (parent === d) break;
    d = parent;
  }
  for (const m of missing.reverse()) fs.mkdirSync(m);
}

/** Runs `fill(tempPath)` then renames the temp file over `target`; on any error the temp file is removed. */
function replaceVia(target: string, fill: (tmp: string) => void): void {
  const dir = path.dirname(path.resolve(target));
  makeDirs(dir);
  const tmp = tempNameFor(path.resolve(target));
  try {
    fill(tmp);
    testPause();
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

/**
 * Writes `data` to `target` atomically: readers see either the old file or the complete new one,
 * never a partial file. Parent directories are created. The temporary file
 * (`.<name>.<pid>.<random>.tmp` in the same directory) is fsynced before it is renamed over the
 * target and removed if anything fails, including an exception thrown by a chunk iterator.
 *
 * @example writeFileAtomic("runs/exp1/report.html", html);
 */
export function writeFileAtomic(target: string, data: AtomicData): void {
  checkArity("io.writeFileAtomic", arguments, 2);
  writeAtomicHashed(target, data);
}

/**
 * `writeFileAtomic`, returning the SHA-256 (64 lowercase hex digits) and size of the bytes
 * written, hashed as they are written (the checkpoint manifest records them).
 */
export function writeFileAtomicSha256(
  target: string,
  data: AtomicData,
): { sha256: string; size: number } {
  checkArity("io.writeFileAtomicSha256", arguments, 2);
  return writeAtomicHashed(target, data);
}

function writeAtomicHashed(target: string, data: AtomicData): { sha256: string; size: number } {
  const hash = createHash("sha256");
  let size = 0;
  const put = (fd: number, bytes: Uint8Array) => {
    hash.update(bytes);
    size += bytes.length;
    writeAll(fd, bytes);
  };
  replaceVia(target, (tmp) => {
    const fd = fs.openSync(tmp, "wx");
    try {
      if (typeof data === "string") put(fd, Buffer.from(data, "utf8"));
      else if (data instanceof Uint8Array) put(fd, data);
      else for (const chunk of data) put(fd, chunk);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
  return { sha256: hash.digest("hex"), size };
}

/** Whether process `pid` is alive on this machine (EPERM: alive, owned by someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/**
 * Removes the temporary files that atomic writes of a killed process left in `dir`
 * (`.<name>.<pid>.<random>.tmp` whose pid is no longer alive; a live writer's are kept). Returns
 * how many were removed; a missing directory removes nothing.
 */
export function removeStaleTemps(dir: string): number {
  checkArity("io.removeStaleTemps", arguments, 1);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (m === null || processAlive(Number(m[1]))) continue;
    try {
      fs.rmSync(path.join(dir, name), { force: true });
      removed++;
    } catch {
      // NOTE: best effort: an unremovable stray file is harmless (no reader looks at it).
    }
  }
  if (removed > 0) fsyncDir(dir);
  return removed;
}

/** Removes `file` if it exists and makes the removal durable (directory fsync). */
export function unlinkDurable(file: string): void {
  checkArity("io.unlinkDurable", arguments, 1);
  fs.rmSync(file, { force: true });
  fsyncDir(path.dirname(path.resolve(file)));
}

/**
 * Copies `source` to `target` atomically (temporary copy, fsync, rename), as `writeFileAtomic`
 * does; used for the `.best` copy of a checkpoint.
 */
export function copyFileAtomic(source: string, target: string): void {
  checkArity("io.copyFileAtomic", arguments, 2);
  replaceVia(target, (tmp) => {
    fs.copyFileSync(source, tmp, fs.constants.COPYFILE_EXCL);
    const fd = fs.openSync(tmp, "r+");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
}

/**
 * Appends `data` to `target` in one write, creating parent directories, and cuts the file back to
 * its previous length if the write fails. Used for logs that grow (TensorBoard event files,
 * `metrics.jsonl`): callers pass whole records, so an error never leaves half a record behind.
 */
export function appendFileWhole(target: string, data: string | Uint8Array): void {
  checkArity("io.appendFileWhole", arguments, 2);
  makeDirs(path.dirname(path.resolve(target)));
  const fd = fs.openSync(target, "a");
  try {
    const before = fs.fstatSync(fd).size;
    try {
      writeAll(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
      fs.fsyncSync(fd);
    } catch (err) {
      // A short write (disk full) would leave half a record: cut the file back to where it was.
      fs.ftruncateSync(fd, before);
      throw err;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The SHA-256 of bytes as 64 lowercase hex digits. */
export function sha256Hex(bytes: Uint8Array): string {
  checkArity("io.sha256Hex", arguments, 1);
  return createHash("sha256").update(bytes).digest("hex");
}

/** The SHA-1 of a file's bytes as 40 lowercase hex digits (the book logs it for the best model). */
export function sha1File(file: string): string {
  checkArity("io.sha1File", arguments, 1);
  return createHash("sha1").update(fs.readFileSync(file)).digest("hex");
}
