// Shared plumbing of every op: output allocation, scalar operands as 0-d tensors, dtype
// conversion of operands, and broadcast views handed to kernels.

import type { Backend, View } from "../backend/backend.ts";
import { backend as activeBackend, fusedKernels } from "../backend/registry.ts";
import {
  allocate,
  type DType,
  halfComputeError,
  isHalf,
  type PromotionOperand,
  type Scalar,
  scalarDType,
  type TypedArray,
} from "../core/dtype.ts";
import { DTypeError, IndexError, ValueError } from "../core/errors.ts";
import { encodeHalf } from "../core/half.ts";
import { broadcastShapes, broadcastStrides, numel, type Shape } from "../core/shape.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import { withIntegerBoundary } from "./int-boundary.ts";

let rawBackend: Backend | null = null;
let boundBackend: Backend | null = null;

/**
 * The backend that ops dispatch to, behind the integer boundary (int-boundary.ts): int64, uint8,
 * int8 and int16 operands reach its kernels as float64 / int32 working copies.
 */
export function backend(): Backend {
  const b = activeBackend();
  if (b !== rawBackend || boundBackend === null) {
    rawBackend = b;
    boundBackend = withIntegerBoundary(b);
  }
  return boundBackend;
}

/** The most elements one typed array holds in Node (V8's limit): a tensor's memory fits in one. */
export const MAX_ELEMENTS = 2 ** 32;

/** `numel(shape)`, after checking that so many elements fit in memory at all. */
function allocatable(shape: Shape, dtype: DType): number {
  const n = numel(shape);
  if (n > MAX_ELEMENTS) {
    throw new ValueError(
      `cannot allocate a ${dtype} tensor of shape [${shape.join(", ")}] (${n} elements): a tensor's memory holds at most 2^32 elements`,
    );
  }
  return n;
}

/** A fresh contiguous tensor of zeros. */
export function empty(shape: Shape, dtype: DType): Tensor {
  return Tensor.fromData(allocate(dtype, allocatable(shape, dtype)), shape, dtype);
}

type UnsafeAlloc = (bytes: number) => Uint8Array;
/** Node's limit on one Buffer (buffer.constants.MAX_LENGTH, 2^32 bytes in Node 20). */
const MAX_BUFFER = 2 ** 32;
const allocUnsafe: UnsafeAlloc | undefined = (
  globalThis as { Buffer?: { allocUnsafeSlow?: UnsafeAlloc } }
).Buffer?.allocUnsafeSlow;

/**
 * A fresh contiguous float32 tensor whose elements are not initialised, for kernel outputs that
 * write every element. NOTE: only for those: skipping the zero fill saves a pass over memory
 * (about 30 µs per 400 KB), but any element left unwritten would hold stale bytes. Small sizes and
 * hosts without Node's Buffer get zeros.
 */
export function uninitializedF32(shape: Shape): Tensor {
  const n = allocatable(shape, "float32");
  if (allocUnsafe === undefined || n < 4096 || n * 4 > MAX_BUFFER) return empty(shape, "float32");
  const reused = spare.get(n * 4)?.pop();
  if (reused !== undefined) return Tensor.fromData(new Float32Array(reused), shape, "float32");
  const bytes = allocUnsafe(n * 4);
  return Tensor.fromData(new Float32Array(bytes.buffer, bytes.byteOffset, n), shape, "float32");
}

/** Buffers of dead gradients by byte length, at most SPARE_PER_SIZE each (see recycleBuffer). */
const spare = new Map<number, ArrayBuffer[]>();
const SPARE_PER_SIZE = 4;

/**
 * Takes back the storage of a gradient that a VJP claimed (`claimFresh`: nothing else holds it)
 * and has finished reading, or of a buffer only a released node could reach, for the next
 * uninitializedF32 or uninitializedI32 of that size: the backward pass of one training step
 * then reuses the large buffers of the previous one instead of allocating them.
 */
export function recycleBuffer(data: TypedArray): void {
  const bytes = data.byteLength;
  if (data.byteOffset !== 0 || bytes !== data.buffer.byteLength || bytes < 4096 * 4) return;
  let list = spare.get(bytes);
  if (list === undefined) spare.set(bytes, (list = []));
  if (list.length < SPARE_PER_SIZE) list.push(data.buffer as ArrayBuffer);
}

/** An Int32Array of n elements, not initialised (see uninitializedF32). */
export function uninitializedI32(n: number): Int32Array {
  if (allocUnsafe === undefined || n < 4096 || n * 4 > MAX_BUFFER)
    return empty([n], "int32").storage.data as Int32Array;
  const reused = spare.get(n * 4)?.pop();
  if (reused !== undefined) return new Int32Array(reused);
  const bytes = allocUnsafe(n * 4);
  return new Int32Array(bytes.buffer, bytes.byteOffset, n);
}

/** A fresh contiguous tensor filled with `value`. */
export function full(shape: Shape, value: Scalar, dtype: DType): Tensor {
  const t = empty(shape, dtype);
  const v = typeof value === "boolean" ? Number(value) : value;
  if (isHalf(dtype)) t.storage.data.fill(encodeHalf(dtype, v));
  else if (dtype === "int64") {
    // NOTE: a number beyond ±(2^53 − 1) was refused by checkFits where the value came from.
    if (v !== 0) (t.storage.data as unknown as BigInt64Array).fill(BigInt(Math.trunc(v)));
  } else if (v !== 0) t.storage.data.fill(dtype === "bool" ? (v !== 0 ? 1 : 0) : v);
  return t;
}

/**
 * An index or label tensor as int32, Kiln's index dtype: int32 as it is, int64 converted exactly
 * (a value outside int32 cannot index any dimension: an IndexError); other dtypes throw a
 * DTypeError naming `op` and `what` ("index", "target").
 */
export function asIndexInt32(op: string, t: Tensor, what = "index"): Tensor {
  if (t.dtype === "int32") return t;
  if (t.dtype !== "int64") {
    throw new DTypeError(`${op}: Expected dtype int64 (or int32) for ${what} (got ${t.dtype})`);
  }
  const big = t.dataSync() as unknown as BigInt64Array;
  const out = new Int32Array(big.length);
  for (let i = 0; i < big.length; i++) {
    const v = big[i]!;
    if (v < -2147483648n || v > 2147483647n) {
      throw new IndexError(
        `${op}: ${what} ${v} is out of bounds (Kiln's indices lie within int32)`,
      );
    }
    out[i] = Number(v);
  }
  return Tensor.fromData(out, t.shape, "int32");
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

/** How an operand takes part in type promotion. */
export function promotionOperand(x: Tensor | Scalar): PromotionOperand {
  if (x instanceof Tensor) return { dtype: x.dtype, kind: x.ndim === 0 ? "zerodim" : "dim" };
  return { dtype: scalarDType(x), kind: "scalar" };
}

/** The operand as a tensor of `dtype` (scalars become 0-d tensors; tensors are cast if needed). */
export function asTensorOf(x: Tensor | Scalar, dtype: DType): Tensor {
  if (x instanceof Tensor) return x.dtype === dtype ? x : x.to(dtype);
  return full([], x, dtype);
}

/** A kernel view of `t` read as if expanded to `shape`. */
export function broadcastView(t: Tensor, shape: Shape): View {
  if (t.shape === shape || sameShape(t.shape, shape)) return t.view_();
  if (isHalf(t.dtype)) throw halfComputeError(t.dtype);
  return {
    data: t.storage.data,
    shape,
    strides: broadcastStrides(t.shape, t.strides, shape),
    offset: t.offset,
  };
}

function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The common shape of two operands: one of theirs when equal (no allocation), else broadcast. */
export function broadcastPair(op: string, a: Shape, b: Shape): Shape {
  if (a === b || sameShape(a, b)) return a;
  return broadcastShapes(op, a, b);
}

export { fusedKernels };
