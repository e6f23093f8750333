// CRC-32C (Castagnoli) and the masked form TFRecord files use to frame each record.
// Pure functions over bytes; depends only on core/args (the arity guard).

import { checkArity } from "../core/args.ts";

/** The reflected Castagnoli polynomial 0x1EDC6F41 (RFC 3720, appendix B.4). */
const POLY = 0x82f63b78;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C of `bytes` as an unsigned 32-bit number; crc32c("123456789") = 0xE3069283. */
export function crc32c(bytes: Uint8Array): number {
  checkArity("io.crc32c", arguments, 1);
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The masked CRC TFRecord stores, ((crc >>> 15) | (crc << 17)) + 0xa282ead8 mod 2³², from
 * tensorflow/core/lib/hash/crc32c.h (`Mask`): a CRC of data that embeds CRCs is otherwise weak.
 */
export function maskedCrc32c(bytes: Uint8Array): number {
  checkArity("io.maskedCrc32c", arguments, 1);
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
