// The IDX format of MNIST-style datasets (yann.lecun.com/exdb/mnist): a 4-byte magic number
// (0, 0, type code, number of dimensions), one big-endian uint32 per dimension, then the values.
// This reader validates every part and names the file and byte offset of what is wrong.

import { checkArity } from "../../core/args.ts";
import { FormatError } from "../../core/errors.ts";

/** IDX type codes and their sizes in bytes. */
const TYPES: Record<number, { name: string; size: number }> = {
  8: { name: "unsigned byte", size: 1 },
  9: { name: "signed byte", size: 1 },
  11: { name: "short", size: 2 },
  12: { name: "int", size: 4 },
  13: { name: "float", size: 4 },
  14: { name: "double", size: 8 },
};

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
 * Parses an IDX file. With `expected`, the magic number must be exactly
 * (0, 0, expected.typeCode, expected.ndim), e.g. 0x00000803 for MNIST images.
 */
export function parseIdx(
  path: string,
  bytes: Uint8Array,
  expected?: { typeCode: number; ndim: number },
): IdxArray {
  if (arguments.length > 3) checkArity("parseIdx", arguments, 3);
  if (bytes.length < 4) {
    throw new FormatError(
      `${path}: truncated IDX file: expected a 4-byte magic number at byte offset 0, the file has ${bytes.length} bytes`,
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint32(0);
  const typeCode = bytes[2]!;
  const ndim = bytes[3]!;
  const type = TYPES[typeCode];
  if (expected !== undefined) {
    const want = (expected.typeCode << 8) | expected.ndim;
    if (magic !== want) {
      throw new FormatError(
        `${path}: wrong IDX magic number at byte offset 0: expected ${hex(want)} (${TYPES[expected.typeCode]?.name} values, ${expected.ndim} dimensions), got ${hex(magic)}`,
      );
    }
  } else if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || ndim === 0) {
    throw new FormatError(
      `${path}: wrong IDX magic number at byte offset 0: expected 0x0000TTNN with type TT in 08, 09, 0b, 0c, 0d, 0e and NN ≥ 1 dimensions, got ${hex(magic)}`,
    );
  }
  const header = 4 + 4 * ndim;
  if (bytes.length < header) {
    throw new FormatError(
      `${path}: truncated IDX header: expected ${ndim} dimension sizes (bytes 4 to ${header - 1}), the file ends at byte offset ${bytes.length}`,
    );
  }
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(dv.getUint32(4 + 4 * d));
  const size = dims.reduce((a, b) => a * b, 1) * type!.size;
  if (bytes.length - header < size) {
    throw new FormatError(
      `${path}: truncated IDX file: dimensions [${dims.join(", ")}] need ${size} bytes of data from byte offset ${header} (up to ${header + size}), the file ends at byte offset ${bytes.length}`,
    );
  }
  if (bytes.length - header > size) {
    throw new FormatError(
      `${path}: ${bytes.length - header - size} unexpected bytes after the IDX data at byte offset ${header + size}: dimensions [${dims.join(", ")}] need exactly ${size} bytes`,
    );
  }
  return { typeCode, dims, bytes: bytes.subarray(header, header + size) };
}
