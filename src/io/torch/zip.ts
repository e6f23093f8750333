// The zip container of torch.save (PyTorch >= 1.6): a checked reader that walks the central
// directory itself (so every error can name the entry and byte offset, and every declared size is
// bounded by the file before anything is allocated) and a writer on top of fflate's zipSync that
// stores entries uncompressed with their data aligned to 64 bytes, as PyTorch's own writer does.
// Deflated entries are inflated by node:zlib with an output cap (the declared size, itself capped
// by what the caller says the record may hold and by an archive-wide cap), so a deflate bomb stops
// at the cap instead of filling memory. Depends on fflate, node:zlib and core/errors only.

import { inflateRawSync } from "node:zlib";
import { zipSync } from "fflate";
import { FormatError } from "../../core/errors.ts";

/** One entry of the central directory, located and bounds-checked but not yet read. */
export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  /** Byte offset of the entry's local header. */
  readonly headerOffset: number;
  /** Byte offset of the entry's (possibly compressed) data. */
  readonly dataOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** Deflate cannot expand data by more than about 1032:1 (zlib technical details, "maximum compression factor"). */
const MAX_DEFLATE_RATIO = 1032;
/** The most bytes inflated from one archive's deflated entries in all (torch.save never deflates). */
export const MAX_INFLATED_BYTES = 1024 * 1024 * 1024;
/** An entry's name in an error message: at most 120 characters of it. */
const shortName = (name: string): string =>
  name.length <= 120 ? name : `${name.slice(0, 120)}...(${name.length} characters)`;
/** PyTorch's writer aligns record data to 64 bytes (kFieldAlignment in caffe2/serialize/inline_container.cc). */
export const FIELD_ALIGNMENT = 64;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The CRC-32 (ISO-HDLC, as zip uses) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, "0")}`;

/** A parsed zip archive: its entries by name, and a checked reader for each. */
export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  readonly #bytes: Uint8Array;
  readonly #where: string;
  /** Bytes inflated so far, against MAX_INFLATED_BYTES. */
  #inflated = 0;

  constructor(bytes: Uint8Array, where: string) {
    this.#bytes = bytes;
    this.#where = where;
    this.entries = readCentralDirectory(bytes, where);
  }

  /**
   * The uncompressed bytes of `entry`, CRC-checked. `maxBytes` is the most the record may
   * legitimately hold (a caller's bound: a few bytes for `byteorder`, numel × itemsize for a
   * storage); a larger declared size is refused before anything is read. Stored entries are
   * returned as a view of the file's bytes (no copy); deflated ones are inflated with the declared
   * size as a hard output cap (inflation stops there), which must be plausible for the compressed
   * size and fit in the archive-wide MAX_INFLATED_BYTES. Messages never include the data.
   */
  read(entry: ZipEntry, maxBytes = Number.POSITIVE_INFINITY): Uint8Array {
    const fail = (what: string): never => {
      throw new FormatError(
        `${this.#where}: zip entry "${shortName(entry.name)}" at byte ${entry.headerOffset}: ${what}`,
      );
    };
    const raw = this.#bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
    let data: Uint8Array;
    if (entry.method === 0) {
      if (entry.size !== entry.compressedSize) {
        fail(`stored entry declares ${entry.size} bytes but holds ${entry.compressedSize}`);
      }
      if (entry.size > maxBytes) {
        fail(`declares ${entry.size} bytes, but this record holds at most ${maxBytes}`);
      }
      data = raw;
    } else if (entry.method === 8) {
      if (entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + 1024) {
        fail(
          `declares ${entry.size} bytes inflated from ${entry.compressedSize}, more than deflate can produce`,
        );
      }
      if (entry.size > maxBytes) {
        fail(`declares ${entry.size} bytes, but this record holds at most ${maxBytes}`);
      }
      if (this.#inflated + entry.size > MAX_INFLATED_BYTES) {
        fail(
          `declares ${entry.size} bytes inflated, past Kiln's cap of ${MAX_INFLATED_BYTES} inflated bytes per archive (${this.#inflated} used); torch.save stores records uncompressed`,
        );
      }
      this.#inflated += entry.size;
      try {
        // NOTE: maxOutputLength stops zlib as soon as the output passes the declared size, so a
        // record that inflates to more than it declares costs at most its declared size.
        data = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code === "ERR_BUFFER_TOO_LARGE") {
          return fail(`inflates to more than the ${entry.size} bytes it declares`);
        }
        return fail(`deflate data is corrupt (${typeof code === "string" ? code : "zlib error"})`);
      }
      if (data.length !== entry.size)
        fail(`inflates to ${data.length} bytes, expected ${entry.size}`);
    } else {
      return fail(
        `compression method ${entry.method} is not supported (expected 0 stored or 8 deflate)`,
      );
    }
    const crc = crc32(data);
    if (crc !== entry.crc)
      fail(`CRC-32 mismatch: the directory says ${hex(entry.crc)}, the data has ${hex(crc)}`);
    return data;
  }
}

function readCentralDirectory(bytes: Uint8Array, where: string): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (what: string): never => {
    throw new FormatError(`${where}: ${what}`);
  };
  const u16 = (o: number): number => view.getUint16(o, true);
  const u32 = (o: number): number => view.getUint32(o, true);
  const u64 = (o: number, what: string): number => {
    const v = view.getBigUint64(o, true);
    if (v > BigInt(bytes.length))
      fail(`${what} ${v} at byte ${o} is larger than the file (${bytes.length} bytes)`);
    return Number(v);
  };

  let eocd = -1;
  for (let o = bytes.length - 22; o >= 0 && o >= bytes.length - 22 - 0xffff; o--) {
    if (u32(o) === EOCD) {
      eocd = o;
      break;
    }
  }
  if (eocd < 0) {
    if (bytes[0] === 0x80 && bytes.length > 1 && bytes[1]! <= 5) {
      fail(
        "this is a legacy (pre-1.6, non-zip) torch.save file, which loadTorch does not read; re-save it with torch >= 1.6",
      );
    }
    fail(
      `not a zip archive, or a truncated one: no end-of-central-directory record in the last ${Math.min(bytes.length, 22 + 0xffff)} bytes of ${bytes.length}`,
    );
  }
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  if (eocd >= 20 && u32(eocd - 20) === ZIP64_LOCATOR) {
    const z = u64(eocd - 12, "zip64 end-of-central-directory offset");
    if (z + 56 > bytes.length || u32(z) !== ZIP64_EOCD) {
      fail(`zip64 end-of-central-directory record expected at byte ${z}`);
    }
    count = u64(z + 32, "zip64 entry count");
    cdSize = u64(z + 40, "zip64 central directory size");
    cdOffset = u64(z + 48, "zip64 central directory offset");
  }
  if (cdOffset + cdSize > bytes.length) {
    fail(
      `central directory at byte ${cdOffset} (${cdSize} bytes) runs past the end of the file (${bytes.length} bytes): truncated`,
    );
  }
  if (count * 46 > cdSize) {
    fail(
      `the end-of-central-directory record declares ${count} entries, but a ${cdSize}-byte central directory holds at most ${Math.floor(cdSize / 46)}`,
    );
  }

  const entries = new Map<string, ZipEntry>();
  let o = cdOffset;
  const decoder = new TextDecoder("utf-8");
  for (let i = 0; i < count; i++) {
    if (o + 46 > cdOffset + cdSize || u32(o) !== CENTRAL)
      fail(`central directory entry ${i} expected at byte ${o}`);
    const flags = u16(o + 8);
    const method = u16(o + 10);
    const crc = u32(o + 16);
    let compressedSize = u32(o + 20);
    let size = u32(o + 24);
    const nameLen = u16(o + 28);
    const extraLen = u16(o + 30);
    const commentLen = u16(o + 32);
    let headerOffset = u32(o + 42);
    const end = o + 46 + nameLen + extraLen + commentLen;
    if (end > cdOffset + cdSize)
      fail(`central directory entry ${i} at byte ${o} runs past the directory`);
    const rawName = bytes.subarray(o + 46, o + 46 + nameLen);
    const name = decoder.decode(rawName);
    const shown = shortName(name);
    // Zip64 extended information (header 0x0001) holds the fields that read 0xffffffff above.
    const extraEnd = o + 46 + nameLen + extraLen;
    for (let x = o + 46 + nameLen; x + 4 <= extraEnd; ) {
      const id = u16(x);
      const len = u16(x + 2);
      if (x + 4 + len > extraEnd)
        fail(`zip entry "${shown}": extra field at byte ${x} runs past its entry`);
      if (id === 0x0001) {
        let p = x + 4;
        const take = (what: string): number => {
          if (p + 8 > x + 4 + len)
            fail(`zip entry "${shown}": zip64 extra field at byte ${x} lacks the ${what}`);
          const v = u64(p, `zip entry "${shown}": zip64 ${what}`);
          p += 8;
          return v;
        };
        if (size === 0xffffffff) size = take("size");
        if (compressedSize === 0xffffffff) compressedSize = take("compressed size");
        if (headerOffset === 0xffffffff) headerOffset = take("header offset");
      }
      x += 4 + len;
    }
    const at = `zip entry "${shown}" (directory byte ${o})`;
    if (flags & 1) fail(`${at} is encrypted`);
    if (headerOffset + 30 > bytes.length || u32(headerOffset) !== LOCAL) {
      fail(`${at}: local header expected at byte ${headerOffset}`);
    }
    const localNameLen = u16(headerOffset + 26);
    const dataOffset = headerOffset + 30 + localNameLen + u16(headerOffset + 28);
    // As Python's zipfile: the local header must name the same file as the directory.
    if (
      headerOffset + 30 + localNameLen > bytes.length ||
      localNameLen !== nameLen ||
      bytes
        .subarray(headerOffset + 30, headerOffset + 30 + nameLen)
        .some((b, k) => b !== rawName[k])
    ) {
      fail(`${at}: the local header at byte ${headerOffset} names a different file`);
    }
    if (dataOffset + compressedSize > bytes.length) {
      fail(
        `${at}: ${compressedSize} bytes of data at byte ${dataOffset} run past the end of the file (${bytes.length} bytes): truncated`,
      );
    }
    if (entries.has(name)) fail(`${at} appears twice`);
    entries.set(name, { name, method, crc, compressedSize, size, headerOffset, dataOffset });
    o = end;
  }
  // Entries must not share bytes: overlapping entries (the "non-recursive zip bomb") would make
  // the work of reading them all grow with the square of the file's size.
  const spans = [...entries.values()].sort((a, b) => a.headerOffset - b.headerOffset);
  for (let k = 1; k < spans.length; k++) {
    const prev = spans[k - 1]!;
    const cur = spans[k]!;
    if (cur.headerOffset < prev.dataOffset + prev.compressedSize) {
      fail(
        `zip entries "${shortName(prev.name)}" and "${shortName(cur.name)}" overlap at byte ${cur.headerOffset}`,
      );
    }
  }
  return entries;
}

/**
 * A zip archive of `records` (name → bytes, in order), stored uncompressed with each record's
 * data aligned to `FIELD_ALIGNMENT` bytes through a padding extra field ("FB", as PyTorch writes).
 */
export function writeZip(records: ReadonlyArray<readonly [string, Uint8Array]>): Uint8Array {
  const files: Record<
    string,
    [Uint8Array, { level: 0; mtime: Date; extra: Record<number, Uint8Array> }]
  > = {};
  const mtime = new Date(1980, 0, 1);
  let offset = 0;
  for (const [name, data] of records) {
    const nameLen = new TextEncoder().encode(name).length;
    const pad =
      (FIELD_ALIGNMENT - ((offset + 30 + nameLen + 4) % FIELD_ALIGNMENT)) % FIELD_ALIGNMENT;
    files[name] = [data, { level: 0, mtime, extra: { 16966: new Uint8Array(pad) } }];
    offset += 30 + nameLen + 4 + pad + data.length;
  }
  return zipSync(files);
}
