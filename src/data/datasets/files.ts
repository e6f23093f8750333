// Reading dataset files: whole-file reads with transparent gzip, and the search for a dataset's
// files among candidate directories. Depends on node:fs, node:zlib and the data errors.
//
// Limits (issue 17): a dataset file holds at most MAX_DATASET_FILE_BYTES, on disk or once
// inflated; gzip is inflated with a cap on its output (zlib's maxOutputLength, which stops the
// inflation as soon as the cap is passed), and a format whose header declares its size (IDX)
// passes `declaredSize`, so that a file is never inflated past what its header declares.
// Filesystem and zlib errors become typed Kiln errors naming the file.

import { existsSync, readFileSync, type Stats, statSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, constants as zlibConstants } from "node:zlib";
import { FormatError, ValueError } from "../../core/errors.ts";
import { DatasetNotFoundError } from "../errors.ts";

/**
 * The most bytes one dataset file may hold, on disk or inflated: 1 GiB. The largest files of the
 * supported datasets are far below it (MNIST training images: 47 MB; a CIFAR-10 batch: 31 MB).
 */
export const MAX_DATASET_FILE_BYTES = 2 ** 30;

/** Deflate's largest expansion: 258 bytes from 2 bits, i.e. 1032 to 1 (plus headers). */
const MAX_DEFLATE_RATIO = 1040;

export interface ReadBytesOptions {
  /** The most bytes the file may hold, on disk or inflated (default MAX_DATASET_FILE_BYTES). */
  maxBytes?: number;
  /**
   * For a format whose header declares its size: given the first bytes of the (inflated)
   * content, the exact size in bytes the content must have, or undefined when more bytes are
   * needed to tell. May throw a FormatError on a bad header. A gzip file is then never inflated
   * past that size.
   */
  declaredSize?: (head: Uint8Array) => number | undefined;
}

/** An error's code (fs) or message (zlib), at most 120 characters. */
function shortReason(e: unknown, preferMessage = false): string {
  const err = e as NodeJS.ErrnoException;
  const text = String((preferMessage ? err?.message : err?.code) ?? err?.message ?? e);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** A filesystem error on `path` as a typed Kiln error naming the path. */
export function fileError(path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === "ENOENT" || code === "ENOTDIR")
    return new DatasetNotFoundError(`${path}: no such file`);
  if (code === "EISDIR") return new ValueError(`${path}: is a directory, expected a file`);
  if (code === "EACCES" || code === "EPERM") return new ValueError(`${path}: permission denied`);
  return new FormatError(`${path}: cannot read the file (${shortReason(e)})`);
}

/**
 * The raw bytes of the regular file `path` (no gunzip), after checking that it exists, is a
 * regular file and holds at most `maxBytes`; every failure is a typed Kiln error naming the path.
 */
export function readFileChecked(path: string, maxBytes = MAX_DATASET_FILE_BYTES): Uint8Array {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw fileError(path, e);
  }
  if (st.isDirectory()) throw new ValueError(`${path}: is a directory, expected a file`);
  if (!st.isFile()) throw new ValueError(`${path}: not a regular file`);
  const size = st.size;
  if (size > maxBytes) {
    throw new FormatError(`${path}: the file has ${size} bytes, more than the ${maxBytes} allowed`);
  }
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw fileError(path, e);
  }
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** Thrown by `inflate` when the output would pass `maxOutputLength`. */
class TooLarge extends Error {}

function inflate(path: string, input: Uint8Array, maxOutputLength: number, partial: boolean) {
  try {
    const out = gunzipSync(input, {
      maxOutputLength: Math.max(1, Math.floor(maxOutputLength)),
      ...(partial ? { finishFlush: zlibConstants.Z_SYNC_FLUSH } : {}),
    });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    if ((e as NodeJS.ErrnoException)?.code === "ERR_BUFFER_TOO_LARGE") throw new TooLarge();
    throw new FormatError(`${path}: not a valid gzip file (${shortReason(e, true)})`);
  }
}

/**
 * Inflates the gzip bytes of `path`, never past `maxBytes` (default MAX_DATASET_FILE_BYTES) nor,
 * with `declaredSize`, past the size the content's header declares. zlib errors and an output
 * over the cap are FormatErrors naming the file.
 */
export function gunzipCapped(
  path: string,
  input: Uint8Array,
  options: ReadBytesOptions = {},
): Uint8Array {
  const maxBytes = options.maxBytes ?? MAX_DATASET_FILE_BYTES;
  let cap = maxBytes;
  let what = `the ${maxBytes}-byte cap`;
  if (options.declaredSize !== undefined) {
    // Inflate growing prefixes of the input (each output bounded by deflate's ratio) until the
    // header can be read; a header of a few KB needs the first few hundred compressed bytes.
    for (let k = 256; ; k *= 16) {
      const part = input.subarray(0, k);
      const whole = part.length === input.length;
      let head: Uint8Array;
      try {
        head = inflate(path, part, Math.min(MAX_DEFLATE_RATIO * part.length + 4096, cap), !whole);
      } catch (e) {
        if (e instanceof TooLarge) throw new FormatError(`${path}: inflates to more than ${what}`);
        throw e;
      }
      const declared = options.declaredSize(head);
      if (declared !== undefined) {
        if (declared > maxBytes) {
          throw new FormatError(
            `${path}: its header declares ${declared} bytes, more than the ${maxBytes} allowed`,
          );
        }
        cap = declared;
        what = `the ${declared} bytes its header declares`;
        break;
      }
      if (whole) return head; // shorter than its header: the parser reports the truncation
    }
  }
  try {
    return inflate(path, input, cap, false);
  } catch (e) {
    if (e instanceof TooLarge) throw new FormatError(`${path}: inflates to more than ${what}`);
    throw e;
  }
}

/**
 * The bytes of `path`, gunzipped (with a cap, see gunzipCapped) when the file starts with the
 * gzip magic (1f 8b). Filesystem errors are typed Kiln errors naming the path.
 */
export function readBytes(path: string, options: ReadBytesOptions = {}): Uint8Array {
  const maxBytes = options.maxBytes ?? MAX_DATASET_FILE_BYTES;
  const bytes = readFileChecked(path, maxBytes);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    return gunzipCapped(path, bytes, options);
  }
  return bytes;
}

/**
 * The first existing `dir/name` or `dir/name.gz` over `dirs`, for each name; a missing file
 * raises DatasetNotFoundError listing every path tried.
 */
export function findFiles(
  dataset: string,
  dirs: readonly string[],
  names: readonly string[],
): string[] {
  const tried: string[] = [];
  const found: string[] = [];
  for (const name of names) {
    let hit: string | undefined;
    for (const dir of dirs) {
      for (const candidate of [join(dir, name), join(dir, `${name}.gz`)]) {
        tried.push(candidate);
        if (hit === undefined && existsSync(candidate)) hit = candidate;
      }
    }
    if (hit !== undefined) found.push(hit);
  }
  if (found.length !== names.length) {
    throw new DatasetNotFoundError(
      `${dataset}: dataset not found. Looked for ${names.join(", ")} (optionally .gz) in ${dirs.join(" and ")}; ` +
        `tried:\n  ${tried.filter((t) => !existsSync(t)).join("\n  ")}\nKiln never downloads datasets: put the files there or pass root.`,
    );
  }
  return found;
}
