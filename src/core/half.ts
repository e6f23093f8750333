// float16 and bfloat16: their storage (16-bit patterns in typed arrays of their own, so a
// tensor's dtype can be read off its storage) and the conversions to and from JS numbers,
// rounding to nearest even as PyTorch's c10::Half and c10::BFloat16 do. Depends on nothing.

/** The bit patterns of IEEE 754 half-precision values (PyTorch's torch.float16). */
export class Float16Bits extends Uint16Array {}

/** The bit patterns of bfloat16 values, the upper 16 bits of a float32 (torch.bfloat16). */
export class BFloat16Bits extends Uint16Array {}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The number a float16 bit pattern holds. */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * The float16 bit pattern nearest to `v`, ties to even. NOTE: `v` is rounded to float32 first,
 * as PyTorch converts a double to Half through float (c10::Half has no double constructor).
 */
export function numberToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  // Unbiased exponent of the float32 value; float16 normals span 2^-14 .. 2^15.
  const e = exp - 127;
  if (e > 15) return sign | 0x7c00;
  if (e >= -14) {
    // normal: keep 10 of the 23 mantissa bits, round the 13 dropped ones to nearest even
    let h = ((e + 15) << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
    return sign | h;
  }
  if (e < -25) return sign;
  // subnormal: the value is m · 2^-24 with m = (1.mant) · 2^(e + 24), rounded to nearest even
  const full = mant | 0x800000;
  const shift = -e - 14 + 13;
  let m = full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (m & 1) === 1)) m++;
  return sign | m;
}

/** The number a bfloat16 bit pattern holds (exact: the upper half of a float32). */
export function bfloat16ToNumber(b: number): number {
  u32[0] = b << 16;
  return f32[0]!;
}

/** The bfloat16 bit pattern nearest to `v` (through float32), ties to even; NaN is 0x7fc0. */
export function numberToBfloat16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if (Number.isNaN(f32[0]!)) return 0x7fc0;
  // c10::round_to_nearest_even: add 0x7fff plus the lowest kept bit, then truncate
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The number a 16-bit pattern of `dtype` holds. */
export function decodeHalf(dtype: "float16" | "bfloat16", bits: number): number {
  return dtype === "float16" ? halfToNumber(bits) : bfloat16ToNumber(bits);
}

/** The bit pattern of `dtype` nearest to `v` (through float32, as PyTorch), ties to even. */
export function encodeHalf(dtype: "float16" | "bfloat16", v: number): number {
  return dtype === "float16" ? numberToHalf(v) : numberToBfloat16(v);
}
