// PyTorch's legacy typed constructors, torch.FloatTensor and its nine siblings: a call builds a
// tensor of that dtype from data or sizes, and `x instanceof FloatTensor` asks the dtype, as
// Python's isinstance(x, torch.FloatTensor) does. Depends on the creation ops and the Tensor class.

import { showValue } from "../core/args.ts";
import { type DType, TORCH_TENSOR_TYPES } from "../core/dtype.ts";
import { DTypeError, ValueError } from "../core/errors.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import { tensor, zeros } from "./creation.ts";

/** A legacy constructor: `(...sizes)`, `(data)` (nested arrays), `(tensor)` or `()`. */
export interface LegacyTensorType<D extends DType> {
  (...sizes: number[]): Tensor<D>;
  (data: readonly unknown[]): Tensor<D>;
  (source: Tensor<D>): Tensor<D>;
}

function legacy<D extends DType>(dtype: D): LegacyTensorType<D> {
  const name = TORCH_TENSOR_TYPES[dtype].slice("torch.".length);
  // float16 and bfloat16 are storage dtypes: built in float32 and cast, as .half() does.
  const half = dtype === "float16" || dtype === "bfloat16";
  const make = (build: (d: DType) => Tensor): Tensor => {
    const t = build(half ? "float32" : dtype);
    return half ? t.to(dtype) : t;
  };
  const fn = (...args: unknown[]): Tensor => {
    if (args.every((a) => typeof a === "number")) {
      const sizes = args as number[];
      if (!sizes.every((s) => Number.isInteger(s) && s >= 0)) {
        throw new ValueError(
          `${name}: new(): sizes must be non-negative integers, got (${sizes.join(", ")})`,
        );
      }
      // NOTE: PyTorch leaves the memory uninitialised; Kiln's is zeros.
      return make((d) => zeros(sizes.length === 0 ? [0] : sizes, { dtype: d }));
    }
    if (args.length === 1 && args[0] instanceof Tensor) {
      const src = args[0];
      if (src.dtype !== dtype) {
        throw new DTypeError(
          `${name}: expected a ${dtype} tensor (the legacy constructor aliases it), got ${src.dtype}; use .to("${dtype}")`,
        );
      }
      return src;
    }
    if (args.length === 1 && Array.isArray(args[0])) {
      return make((d) => tensor(args[0] as never, { dtype: d } as never));
    }
    throw new ValueError(
      `${name}: new(): data must be a sequence, sizes or a ${dtype} tensor (got ${args.map(showValue).join(", ")})`,
    );
  };
  Object.defineProperty(fn, "name", { value: name });
  Object.defineProperty(fn, Symbol.hasInstance, {
    value: (x: unknown) => x instanceof Tensor && x.dtype === dtype,
  });
  return fn as LegacyTensorType<D>;
}

/** torch.FloatTensor: float32 tensors from sizes or data; `x instanceof FloatTensor` tests the dtype. */
export const FloatTensor = legacy("float32");
/** torch.DoubleTensor: float64 (see FloatTensor). */
export const DoubleTensor = legacy("float64");
/** torch.HalfTensor: float16, a storage dtype (see FloatTensor). */
export const HalfTensor = legacy("float16");
/** torch.BFloat16Tensor: bfloat16, a storage dtype (see FloatTensor). */
export const BFloat16Tensor = legacy("bfloat16");
/** torch.IntTensor: int32 (see FloatTensor). */
export const IntTensor = legacy("int32");
/** torch.LongTensor: int64 (see FloatTensor). */
export const LongTensor = legacy("int64");
/** torch.ShortTensor: int16 (see FloatTensor). */
export const ShortTensor = legacy("int16");
/** torch.CharTensor: int8 (see FloatTensor). */
export const CharTensor = legacy("int8");
/** torch.ByteTensor: uint8 (see FloatTensor). */
export const ByteTensor = legacy("uint8");
/** torch.BoolTensor: bool (see FloatTensor). */
export const BoolTensor = legacy("bool");
