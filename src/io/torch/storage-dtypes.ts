// Storage dtypes of torch.save files and their conversion to Kiln's typed arrays: float16 and
// bfloat16 widen to float32, int64/int16/int8/uint8 narrow or widen to int32 (an int64 value
// outside int32 is a FormatError). Depends on core only.

import type { DType, TypedArray } from "../../core/dtype.ts";
import { FormatError } from "../../core/errors.ts";
import { halfToNumber } from "../../core/half.ts";

/** The element type of a torch storage as named in the file. */
export type TorchStorageDType =
  | "float32"
  | "float64"
  | "float16"
  | "bfloat16"
  | "int64"
  | "int32"
  | "int16"
  | "int8"
  | "uint8"
  | "bool";

/** torch.<Name>Storage → (file dtype, item size, Kiln dtype), from torch/storage.py's legacy classes. */
export const STORAGE_TYPES: Record<string, readonly [TorchStorageDType, number, DType]> = {
  FloatStorage: ["float32", 4, "float32"],
  DoubleStorage: ["float64", 8, "float64"],
  HalfStorage: ["float16", 2, "float32"],
  BFloat16Storage: ["bfloat16", 2, "float32"],
  LongStorage: ["int64", 8, "int32"],
  IntStorage: ["int32", 4, "int32"],
  ShortStorage: ["int16", 2, "int32"],
  CharStorage: ["int8", 1, "int32"],
  ByteStorage: ["uint8", 1, "int32"],
  BoolStorage: ["bool", 1, "bool"],
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Converts raw storage bytes to Kiln's typed array for `type` (int64 must fit in int32). */
export function decodeStorage(
  where: string,
  type: { torchDtype: TorchStorageDType; itemSize: number },
  bytes: Uint8Array,
  little: boolean,
): TypedArray {
  const n = bytes.length / type.itemSize;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const native = little === LITTLE_ENDIAN;
  switch (type.torchDtype) {
    case "float32":
      if (native) return new Float32Array(bytes.slice().buffer);
      return Float32Array.from({ length: n }, (_, i) => view.getFloat32(i * 4, little));
    case "float64":
      if (native) return new Float64Array(bytes.slice().buffer);
      return Float64Array.from({ length: n }, (_, i) => view.getFloat64(i * 8, little));
    case "int32":
      if (native) return new Int32Array(bytes.slice().buffer);
      return Int32Array.from({ length: n }, (_, i) => view.getInt32(i * 4, little));
    case "float16":
      return Float32Array.from({ length: n }, (_, i) =>
        halfToNumber(view.getUint16(i * 2, little)),
      );
    case "bfloat16": {
      // bfloat16 is the upper half of a float32.
      const bits = Uint32Array.from({ length: n }, (_, i) => view.getUint16(i * 2, little) << 16);
      return new Float32Array(bits.buffer);
    }
    case "int64": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const lo = view.getUint32(i * 8 + (little ? 0 : 4), little);
        const hi = view.getInt32(i * 8 + (little ? 4 : 0), little);
        if (hi !== (lo >= 0x80000000 ? -1 : 0)) {
          const v = (BigInt(hi) << 32n) | BigInt(lo);
          throw new FormatError(
            `${where}: int64 value ${v} at index ${i} does not fit in int32, Kiln's integer dtype`,
          );
        }
        out[i] = lo | 0;
      }
      return out;
    }
    case "int16":
      return Int32Array.from({ length: n }, (_, i) => view.getInt16(i * 2, little));
    case "int8":
      return Int32Array.from({ length: n }, (_, i) => view.getInt8(i));
    case "uint8":
      return Int32Array.from(bytes);
    case "bool":
      return Uint8Array.from(bytes, (b) => (b !== 0 ? 1 : 0));
  }
}
