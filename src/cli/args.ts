// Argument parsing helpers of the CLI: numbers and choices validated with one clear message,
// the usage-error type the entry point turns into exit code 2, and how the entry point reports
// any error in one line. Imports only commander (the entry point loads it before the library).

import { accessSync, constants, statfsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { InvalidArgumentError } from "commander";

/** A bad command line or bad input file: printed as one line with a --help hint, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

function number(value: string, what: string): number {
  const x = Number(value);
  if (value.trim() === "" || !Number.isFinite(x))
    throw new InvalidArgumentError(`expected ${what}, got '${value}'.`);
  return x;
}

/** An integer >= min. */
export function intAtLeast(min: number) {
  return (value: string): number => {
    const x = number(value, "an integer");
    if (!Number.isInteger(x) || x < min)
      throw new InvalidArgumentError(`expected an integer >= ${min}, got '${value}'.`);
    return x;
  };
}

/** A finite number in [min, max] (max may be Infinity), excluding min when `openMin`. */
export function numberIn(min: number, max: number, openMin = false) {
  return (value: string): number => {
    const x = number(value, "a number");
    if (x < min || x > max || (openMin && x === min)) {
      const lo = openMin ? `(${min}` : `[${min}`;
      const hi = max === Number.POSITIVE_INFINITY ? "inf)" : `${max}]`;
      throw new InvalidArgumentError(`expected a number in ${lo}, ${hi}, got '${value}'.`);
    }
    return x;
  };
}

/** Errno codes of the filesystem errors the CLI reports as one line naming the path. */
const ERRNO_PROBLEMS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EISDIR: "is a directory, expected a file",
  ENOTDIR: "a part of the path is not a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EEXIST: "already exists",
  ENOTEMPTY: "directory not empty",
  ENAMETOOLONG: "file name too long",
  ELOOP: "too many symbolic links",
  EMFILE: "too many open files",
  EBUSY: "resource busy",
  EIO: "input/output error",
  EINVAL: "invalid argument",
  EFBIG: "file too large",
  EXDEV: "cross-device link",
};

const SYSCALL_VERBS: Record<string, string> = {
  open: "cannot open",
  mkdir: "cannot create directory",
  rename: "cannot rename",
  scandir: "cannot list",
  opendir: "cannot list",
  read: "cannot read",
  write: "cannot write",
  stat: "cannot stat",
  lstat: "cannot stat",
  unlink: "cannot remove",
  rmdir: "cannot remove",
  copyfile: "cannot copy",
  fsync: "cannot sync",
  access: "cannot access",
};

/**
 * The fields of an error from a Node system call that the CLI reads (Node's ErrnoException,
 * declared here: TypeScript 7 consumers have no global NodeJS namespace).
 */
export interface SystemError extends Error {
  code?: string;
  syscall?: string;
  path?: string;
  errno?: number;
}

/** An error from a Node filesystem call (it carries an errno `code` and a `syscall`). */
export function isSystemError(e: unknown): e is SystemError {
  return (
    e instanceof Error &&
    typeof (e as SystemError).code === "string" &&
    typeof (e as SystemError).syscall === "string"
  );
}

function isKilnError(e: unknown): boolean {
  // NOTE: by name along the prototype chain, so this module need not import the library.
  for (let p = e; p !== null && p !== undefined; p = Object.getPrototypeOf(p)) {
    if ((p as { constructor?: { name?: string } }).constructor?.name === "KilnError") return true;
  }
  return false;
}

/**
 * How the CLI reports an error: "usage" (a bad command line or input file: a typed Kiln error or
 * a UsageError, exit 2), "system" (a filesystem error, exit 1: the path and the problem) or
 * "bug" (anything else: an internal error, exit 1). The message is never the input itself.
 */
export function describeError(e: unknown): { kind: "usage" | "system" | "bug"; message: string } {
  if (e instanceof UsageError || e instanceof InvalidArgumentError || isKilnError(e)) {
    return { kind: "usage", message: (e as Error).message };
  }
  if (isSystemError(e)) {
    const code = e.code!;
    const problem = ERRNO_PROBLEMS[code] ?? code;
    const verb = SYSCALL_VERBS[e.syscall!] ?? `${e.syscall} failed on`;
    const paths = [e.path, (e as { dest?: unknown }).dest].filter(
      (p): p is string => typeof p === "string",
    );
    const where = paths.length === 0 ? `${e.syscall} failed` : `${verb} '${paths.join("' -> '")}'`;
    return { kind: "system", message: `${where}: ${problem} (${code})` };
  }
  const name = e instanceof Error ? e.name : typeof e;
  const text = e instanceof Error ? e.message : String(e);
  return {
    kind: "bug",
    message: `internal error (a bug in Kiln, please report it): ${name}: ${text.length > 300 ? `${text.slice(0, 300)}...` : text}`,
  };
}

/** statfs magic numbers of kernel file systems nothing can be written to (proc, sysfs, ...). */
const VIRTUAL_FS: Record<number, string> = {
  40864: "proc",
  1650812274: "sysfs",
  2613483: "cgroup",
  1667723888: "cgroup2",
  1684170528: "debugfs",
  1935894131: "securityfs",
  3405662737: "bpf",
};

/**
 * Fails early, before any work, when `path` cannot be written as a `kind` ("directory": created
 * if missing; "file": written, its directory created if missing): a part of it is a regular file,
 * a file target is a directory, or the nearest existing directory is read-only or on a kernel file
 * system (proc, sysfs). Writes nothing. `what` names the option or argument in the message.
 */
export function checkWritable(path: string, what: string, kind: "directory" | "file"): void {
  const full = resolve(path);
  let dir = full;
  for (;;) {
    let isDir: boolean | null = null;
    try {
      isDir = statSync(dir).isDirectory();
    } catch (e) {
      const code = (e as SystemError).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw e;
    }
    if (dir === full && kind === "file") {
      if (isDir === true) throw new UsageError(`${what} '${path}' is a directory, expected a file`);
      if (isDir === false) {
        dir = dirname(dir);
        continue;
      }
    } else if (isDir === false) {
      const part = dir === full ? "" : ` (a part of the path '${path}')`;
      throw new UsageError(`${what} '${path}': '${dir}' is a file, not a directory${part}`);
    }
    if (isDir === true) break;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  let fsName: string | undefined;
  try {
    fsName = VIRTUAL_FS[statfsSync(dir).type];
  } catch {
    fsName = undefined;
  }
  if (fsName !== undefined) {
    throw new UsageError(
      `${what} '${path}': '${dir}' is on the ${fsName} file system, not writable`,
    );
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    const code = (e as SystemError).code;
    const why = code === "EROFS" ? "is on a read-only file system" : "is not writable";
    throw new UsageError(`${what} '${path}': '${dir}' ${why} (${code})`);
  }
}
