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

/** Runs `fill(tempPath)` then renames the temp file over `target`; on any error the temp file is removed. */
function replaceVia(target: string, fill: (tmp: string) => void): void {
  const dir = path.dirname(path.resolve(target));
  fs.mkdirSync(dir, { recursive: true });
  const tmp = tempNameFor(path.resolve(target));
  try {
    fill(tmp);
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
  replaceVia(target, (tmp) => {
    const fd = fs.openSync(tmp, "wx");
    try {
      if (typeof data === "string") writeAll(fd, Buffer.from(data, "utf8"));
      else if (data instanceof Uint8Array) writeAll(fd, data);
      else for (const chunk of data) writeAll(fd, chunk);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
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
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
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

/** The SHA-1 of a file's bytes as 40 lowercase hex digits (the book logs it for the best model). */
export function sha1File(file: string): string {
  checkArity("io.sha1File", arguments, 1);
  return createHash("sha1").update(fs.readFileSync(file)).digest("hex");
}
