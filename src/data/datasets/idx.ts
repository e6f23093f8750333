// The IDX format of MNIST-style datasets (yann.lecun.com/exdb/mnist): a 4-byte magic number
// (0, 0, type code, number of dimensions), one big-endian uint32 per dimension, then the values.
// This reader validates every part and names the file and byte offset of what is wrong.

import { checkArity } from "../../core/args.ts";
import { FormatError } from "../../core/errors.ts";
import { MAX_DATASET_FILE_BYTES, readBytes } from "./files.ts";

/** IDX type codes and their sizes in bytes. */
const TYPES: Record<number, { name: string; size: number }> = {
  8: { name: "unsigned byte", size: 1 },
  9: { name: "signed byte", size: 1 },
  11: { name: "short", size: 2 },
  12: { name: "int", size: 4 },
  13: { name: "float", size: 4 },
  14: { name: "double", size: 8 },
};

/** A parsed IDX file (the MNIST format): its element type code, dimensions and raw value bytes. */
export interface IdxArray {
  typeCode: number;
  dims: number[];
  /** The raw value bytes (a view into the file, big-endian for multi-byte types). */
  bytes: Uint8Array;
}

function hex(v: number): string {
  return `0x${v.toString(16).padStart(8, "0")}`;
}

/**
 * The most values an IDX file may hold (2^30), and so the most bytes its data may take
 * (MAX_DATASET_FILE_BYTES, 1 GiB): MNIST's largest file holds 47 million.
 */
export const MAX_IDX_ELEMENTS = 2 ** 30;

/** Dimensions for a message: at most 8 of them, then how many there are. */
function showDims(dims: readonly number[]): string {
  return dims.length <= 8
    ? `[${dims.join(", ")}]`
    : `[${dims.slice(0, 8).join(", ")}, … (${dims.length} dimensions)]`;
}

interface IdxHeader {
  typeCode: number;
  dims: number[];
  /** Bytes of the magic number and dimension sizes. */
  header: number;
  /** Bytes of data the dimensions declare. */
  size: number;
}

/**
 * Reads and checks an IDX header from the first bytes of a file: undefined when `head` is too
 * short to hold it (and `complete` is false), else the type, dimensions and the data size they
 * declare, which must stay within MAX_IDX_ELEMENTS values and MAX_DATASET_FILE_BYTES bytes.
 */
function readHeader(
  path: string,
  head: Uint8Array,
  expected: { typeCode: number; ndim: number } | undefined,
  complete: boolean,
): IdxHeader | undefined {
  if (head.length < 4) {
    if (!complete) return undefined;
    throw new FormatError(
      `${path}: truncated IDX file: expected a 4-byte magic number at byte offset 0, the file has ${head.length} bytes`,
    );
  }
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magic = dv.getUint32(0);
  const typeCode = head[2]!;
  const ndim = head[3]!;
  const type = TYPES[typeCode];
  if (expected !== undefined) {
    const want = (expected.typeCode << 8) | expected.ndim;
    if (magic !== want) {
      throw new FormatError(
        `${path}: wrong IDX magic number at byte offset 0: expected ${hex(want)} (${TYPES[expected.typeCode]?.name} values, ${expected.ndim} dimensions), got ${hex(magic)}`,
      );
    }
  }
  if (head[0] !== 0 || head[1] !== 0 || type === undefined || ndim === 0) {
    throw new FormatError(
      `${path}: wrong IDX magic number at byte offset 0: expected 0x0000TTNN with type TT in 08, 09, 0b, 0c, 0d, 0e and NN ≥ 1 dimensions, got ${hex(magic)}`,
    );
  }
  const header = 4 + 4 * ndim;
  if (head.length < header) {
    if (!complete) return undefined;
    throw new FormatError(
      `${path}: truncated IDX header: expected ${ndim} dimension sizes (bytes 4 to ${header - 1}), the file ends at byte offset ${head.length}`,
    );
  }
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(dv.getUint32(4 + 4 * d));
  // The product, stopped as soon as it passes the cap (so it never loses precision).
  let elements = dims.includes(0) ? 0 : 1;
  for (const d of dims) {
    if (elements === 0) break;
    elements *= d;
    if (elements > MAX_IDX_ELEMENTS) {
      throw new FormatError(
        `${path}: IDX dimensions ${showDims(dims)} (bytes 4 to ${header - 1}) declare more than ${MAX_IDX_ELEMENTS} values, the most Kiln reads`,
      );
    }
  }
  const size = elements * type!.size;
  if (header + size > MAX_DATASET_FILE_BYTES) {
    throw new FormatError(
      `${path}: IDX dimensions ${showDims(dims)} declare ${header + size} bytes, more than the ${MAX_DATASET_FILE_BYTES} allowed`,
    );
  }
  return { typeCode, dims, header, size };
}

/**
 * The total size in bytes (header and data) that an IDX file starting with `head` declares, or
 * undefined when `head` is too short to tell; throws a FormatError on a bad or oversized header.
 * Used to cap the inflation of a gzipped IDX file at what its header declares.
 */
export function idxDeclaredSize(
  path: string,
  head: Uint8Array,
  expected?: { typeCode: number; ndim: number },
): number | undefined {
  const h = readHeader(path, head, expected, false);
  return h === undefined ? undefined : h.header + h.size;
}

/**
 * Parses an IDX file. With `expected`, the magic number must be exactly
 * (0, 0, expected.typeCode, expected.ndim), e.g. 0x00000803 for MNIST images. The dimensions
 * times the value size must be exactly the data's length, and hold at most MAX_IDX_ELEMENTS.
 */
export function parseIdx(
  path: string,
  bytes: Uint8Array,
  expected?: { typeCode: number; ndim: number },
): IdxArray {
  if (arguments.length > 3) checkArity("parseIdx", arguments, 3);
  const { typeCode, dims, header, size } = readHeader(path, bytes, expected, true)!;
  if (bytes.length - header < size) {
    throw new FormatError(
      `${path}: truncated IDX file: dimensions ${showDims(dims)} need ${size} bytes of data from byte offset ${header} (up to ${header + size}), the file ends at byte offset ${bytes.length}`,
    );
  }
  if (bytes.length - header > size) {
    throw new FormatError(
      `${path}: ${bytes.length - header - size} unexpected bytes after the IDX data at byte offset ${header + size}: dimensions ${showDims(dims)} need exactly ${size} bytes`,
    );
  }
  return { typeCode, dims, bytes: bytes.subarray(header, header + size) };
}

/**
 * Reads and parses the IDX file `path` (plain or gzipped): a gzipped file is never inflated past
 * the size its header declares. Filesystem, zlib and format errors are typed Kiln errors.
 */
export function readIdx(path: string, expected?: { typeCode: number; ndim: number }): IdxArray {
  const bytes = readBytes(path, { declaredSize: (head) => idxDeclaredSize(path, head, expected) });
  return parseIdx(path, bytes, expected);
}
