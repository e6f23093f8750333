// Reading dataset files: whole-file reads with transparent gzip, and the search for a dataset's
// files among candidate directories. Depends on node:fs, node:zlib and the data errors.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { FormatError } from "../../core/errors.ts";
import { DatasetNotFoundError } from "../errors.ts";

/** The bytes of `path`, gunzipped when the file starts with the gzip magic (1f 8b). */
export function readBytes(path: string): Uint8Array {
  const raw = readFileSync(path);
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      const out = gunzipSync(bytes);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
      throw new FormatError(`${path}: not a valid gzip file (${(e as Error).message})`);
    }
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
