// Storage dtypes of torch.save files and their conversion to Kiln's typed arrays: every dtype
// loads as itself, exactly (float16 and bfloat16 as their bit patterns, int64 as BigInt64Array).
// Depends on core only.

import { type DType, type TypedArray, Uint8Values } from "../../core/dtype.ts";
import { BFloat16Bits, Float16Bits } from "../../core/half.ts";

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
  HalfStorage: ["float16", 2, "float16"],
  BFloat16Storage: ["bfloat16", 2, "bfloat16"],
  LongStorage: ["int64", 8, "int64"],
  IntStorage: ["int32", 4, "int32"],
  ShortStorage: ["int16", 2, "int16"],
  CharStorage: ["int8", 1, "int8"],
  ByteStorage: ["uint8", 1, "uint8"],
  BoolStorage: ["bool", 1, "bool"],
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Converts raw storage bytes to Kiln's typed array for `type` (an int64 storage gives a
 * BigInt64Array, typed as TypedArray: see core/dtype.ts).
 */
export function decodeStorage(
  _where: string,
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
    case "bfloat16": {
      // Storage dtypes: the bit patterns are kept (convert with .float() to compute).
      const out = type.torchDtype === "float16" ? new Float16Bits(n) : new BFloat16Bits(n);
      for (let i = 0; i < n; i++) out[i] = view.getUint16(i * 2, little);
      return out;
    }
    case "int64": {
      if (native) return new BigInt64Array(bytes.slice().buffer) as unknown as TypedArray;
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getBigInt64(i * 8, little);
      return out as unknown as TypedArray;
    }
    case "int16":
      if (native) return new Int16Array(bytes.slice().buffer);
      return Int16Array.from({ length: n }, (_, i) => view.getInt16(i * 2, little));
    case "int8":
      return new Int8Array(bytes.slice().buffer);
    case "uint8":
      return new Uint8Values(bytes.slice().buffer);
    case "bool":
      return Uint8Array.from(bytes, (b) => (b !== 0 ? 1 : 0));
  }
}
