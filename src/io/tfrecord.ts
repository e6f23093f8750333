// TFRecord framing, the container of TensorBoard event files (tensorflow/core/lib/io/record_writer.cc):
//   uint64 length (little endian) | uint32 masked crc32c(length) | data | uint32 masked crc32c(data)
// Depends only on io/crc32c.

import { checkArity } from "../core/args.ts";
import { maskedCrc32c } from "./crc32c.ts";

/** Frames one record; callers append whole records so a log is never left with a torn one. */
export function encodeTfRecord(data: Uint8Array): Uint8Array {
  checkArity("io.encodeTfRecord", arguments, 1);
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}
