// The Tensor: typed-array storage viewed through shape, strides and offset, plus the autograd
// fields. Methods are thin: each forwards to the op that defines it in src/ops.
// NOTE: src/ops imports this class and this class calls src/ops; both sides only touch the other
// inside function bodies, so the module cycle is safe under ESM.

import type { View } from "../backend/backend.ts";
import { type DType, isFloating, type Scalar, type TypedArray } from "../core/dtype.ts";
import { AutogradError, DTypeError, ValueError } from "../core/errors.ts";
import { contiguousStrides, isContiguous, type Shape } from "../core/shape.ts";
import { recycleBuffer } from "../ops/dispatch.ts";
import * as el from "../ops/elementwise.ts";
import * as idx from "../ops/indexing.ts";
import { matmul } from "../ops/matmul.ts";
import * as mv from "../ops/movement.ts";
import * as red from "../ops/reduce.ts";
import { runBackward } from "./autograd.ts";
import { formatTensor } from "./format.ts";
import type { Node } from "./graph.ts";

/** A subscript of `Tensor.index`: int, slice, null (None), "..." (Ellipsis), index array or tensor. */
export type Subscript =
  | number
  | Slice
  | null
  | "..."
  | Tensor
  | readonly number[]
  | readonly boolean[];

/** A Python slice `start:stop:step`; build with `slice()`. */
export interface Slice {
  readonly kind: "slice";
  readonly start: number | null;
  readonly stop: number | null;
  readonly step: number | null;
}

/** `slice(start, stop, step)` is `start:stop:step`; `slice()` is `:`. */
export function slice(start?: number | null, stop?: number | null, step?: number | null): Slice {
  return { kind: "slice", start: start ?? null, stop: stop ?? null, step: step ?? null };
}

/** Memory shared by a tensor and its views, with the version counter in-place ops bump. */
export class Storage {
  version = 0;
  #data: TypedArray | null;
  #freed = "";

  constructor(data: TypedArray) {
    this.#data = data;
  }

  get data(): TypedArray {
    const d = this.#data;
    if (d === null) throw new AutogradError(this.#freed);
    return d;
  }

  /** Hands the buffer over for reuse; any later read of this storage throws `why`. */
  free(why: string): TypedArray {
    const d = this.data;
    this.#data = null;
    this.#freed = why;
    return d;
  }
}

export type Operand = Tensor | Scalar;
export type Dims = number | readonly number[];
/** Nested arrays as returned by `toArray()`. */
export type NestedArray = number | boolean | NestedArray[];

export interface ReduceOptions {
  keepDim?: boolean;
}

/**
 * An n-dimensional array with PyTorch's semantics: dtypes, broadcasting, views that share
 * memory, and reverse-mode autograd.
 *
 * @example const x = tensor([[1, 2], [3, 4]], { requiresGrad: true }); x.mul(x).sum().backward();
 */
export class Tensor {
  readonly storage: Storage;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  /** The tensor this one is a view of, if any. */
  readonly base: Tensor | null;
  #grad: Tensor | null = null;
  /** Whether #grad may be referenced outside autograd and the optimizers (see releaseGrad). */
  #gradSeen = false;
  #requiresGrad = false;
  #gradFn: Node | null = null;
  #view: View | null = null;

  constructor(
    storage: Storage,
    shape: Shape,
    strides: Shape,
    offset: number,
    dtype: DType,
    base: Tensor | null = null,
  ) {
    this.storage = storage;
    // NOTE: frozen arrays are shared, not copied (they cannot change): the hot path of every op.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    this.strides = Object.isFrozen(strides) ? strides : Object.freeze([...strides]);
    this.offset = offset;
    this.dtype = dtype;
    this.base = base;
  }

  /** A new contiguous tensor over `data`. */
  static fromData(data: TypedArray, shape: Shape, dtype: DType): Tensor {
    const frozen = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    return new Tensor(
      new Storage(data),
      frozen,
      Object.freeze(contiguousStrides(frozen)),
      0,
      dtype,
    );
  }

  // ---- metadata -------------------------------------------------------------------------

  get ndim(): number {
    return this.shape.length;
  }

  numel(): number {
    const s = this.shape;
    let n = 1;
    for (let i = 0; i < s.length; i++) n *= s[i]!;
    return n;
  }

  /** `t.size()` is the shape; `t.size(d)` one dimension (negative counts from the end). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number | number[] {
    if (dim === undefined) return [...this.shape];
    return this.shape[mv.wrapDim("size", dim, this.ndim)]!;
  }

  /** The storage version, bumped by every in-place op. */
  get version(): number {
    return this.storage.version;
  }

  isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  /** The strided window kernels read and write (one object per tensor, made on first use). */
  view_(): View {
    let v = this.#view;
    if (v === null) {
      v = {
        data: this.storage.data,
        shape: this.shape,
        strides: this.strides,
        offset: this.offset,
      };
      this.#view = v;
    }
    return v;
  }

  // ---- autograd fields ------------------------------------------------------------------

  /** Accumulated gradient of a leaf (or a non-leaf after `retainGrad`). */
  get grad(): Tensor | null {
    if (this.#grad !== null) this.#gradSeen = true;
    return this.#grad;
  }

  set grad(g: Tensor | null) {
    this.#grad = g;
    this.#gradSeen = g !== null;
  }

  /**
   * @internal The gradient, for autograd, the optimizers and the gradient clippers, which keep
   * no reference to it: unlike `grad`, reading it leaves the buffer to `releaseGrad`.
   */
  peekGrad(): Tensor | null {
    return this.#grad;
  }

  /** @internal Sets a gradient that nothing else references (one autograd just made). */
  adoptGrad(g: Tensor): void {
    this.#grad = g;
    this.#gradSeen = false;
  }

  /**
   * @internal Sets the gradient to null, as `zeroGrad()` does. When no code outside autograd and
   * the optimizers has read it, its buffer goes back to the allocator for the next backward (a
   * fresh buffer is written from cold memory); reading the dropped tensor would then throw.
   */
  releaseGrad(): void {
    const g = this.#grad;
    this.#grad = null;
    if (g === null || this.#gradSeen) return;
    recycleBuffer(
      g.storage.free(
        "this gradient's memory was reused after zeroGrad() set it to null; a gradient read " +
          "through `.grad` before zeroGrad() keeps its memory",
      ),
    );
  }

  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }

  set requiresGrad(flag: boolean) {
    this.requiresGrad_(flag);
  }

  get gradFn(): Node | null {
    return this.#gradFn;
  }

  /** A tensor is a leaf when no recorded op produced it. */
  get isLeaf(): boolean {
    return this.#gradFn === null;
  }

  /** Sets whether autograd records ops on this leaf. Only floating tensors can require grad. */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf) {
      if (!flag) {
        throw new AutogradError(
          "requiresGrad_: you can only change requires_grad flags of leaf variables. If you want " +
            "to use a computed variable in a subgraph that doesn't require differentiation use " +
            "varNoGrad = var.detach().",
        );
      }
      return this;
    }
    if (flag && !isFloating(this.dtype)) {
      throw new DTypeError(
        `requiresGrad_: only Tensors of floating point dtype can require gradients (got ${this.dtype})`,
      );
    }
    this.#requiresGrad = flag;
    return this;
  }

  /** Internal: attaches the node that produced this tensor. */
  setGradFn(node: Node | null): void {
    this.#gradFn = node;
    if (node !== null) this.#requiresGrad = true;
  }

  /** Keeps `.grad` for this non-leaf tensor during backward. */
  retainGrad(): void {
    if (!this.#requiresGrad) {
      throw new AutogradError(
        "retainGrad: can't retain_grad on Tensor that has requires_grad=False",
      );
    }
    if (this.#gradFn !== null) this.#gradFn.retained = this;
  }

  /**
   * Computes gradients of this tensor with respect to the graph leaves, accumulating into their
   * `.grad`. A non-scalar tensor needs `gradient` (the vector of the vector-Jacobian product).
   */
  backward(gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
    let g = gradient;
    if (g === undefined) {
      if (this.numel() !== 1) {
        throw new AutogradError(
          `backward: grad can be implicitly created only for scalar outputs (got shape [${this.shape.join(", ")}])`,
        );
      }
      g = el.full(this.shape, 1, this.dtype);
    } else if (g.shape.join() !== this.shape.join()) {
      throw new ValueError(
        `backward: Mismatch in shape: grad_output[0] has a shape of [${g.shape.join(", ")}] and ` +
          `output[0] has a shape of [${this.shape.join(", ")}]`,
      );
    }
    runBackward(this, g, options.retainGraph ?? false);
  }

  /** A view of the same data that is cut off from the graph. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.strides, this.offset, this.dtype, this.base);
  }

  /** Detaches in place: this tensor becomes a leaf that does not require grad. */
  detach_(): this {
    this.#gradFn = null;
    this.#requiresGrad = false;
    return this;
  }

  // ---- conversion -----------------------------------------------------------------------

  /** The single value of a one-element tensor as a JS number (or boolean for bool). */
  item(): number | boolean {
    if (this.numel() !== 1) {
      throw new ValueError(
        `item: a Tensor with ${this.numel()} elements cannot be converted to Scalar`,
      );
    }
    const v = this.storage.data[this.offset]!;
    return this.dtype === "bool" ? v !== 0 : v;
  }

  /** The values as nested JS arrays (booleans for bool tensors). */
  toArray(): NestedArray {
    const flat = this.dataSync();
    const bool = this.dtype === "bool";
    let k = 0;
    const build = (d: number): NestedArray => {
      if (d === this.ndim) {
        const v = flat[k++]!;
        return bool ? v !== 0 : v;
      }
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[d]!; i++) out.push(build(d + 1));
      return out;
    };
    return build(0);
  }

  /** A contiguous copy of the values as a typed array. */
  dataSync(): TypedArray {
    const c = this.contiguous();
    const n = c.numel();
    return c.storage.data.slice(c.offset, c.offset + n);
  }

  to(dtype: DType): Tensor {
    return el.cast(this, dtype);
  }
  float(): Tensor {
    return el.cast(this, "float32");
  }
  double(): Tensor {
    return el.cast(this, "float64");
  }
  int(): Tensor {
    return el.cast(this, "int32");
  }
  bool(): Tensor {
    return el.cast(this, "bool");
  }
  clone(): Tensor {
    return el.clone(this);
  }

  toString(): string {
    return formatTensor(this);
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  // ---- elementwise ----------------------------------------------------------------------

  add(other: Operand, options?: { alpha?: number }): Tensor {
    return el.add(this, other, options);
  }
  sub(other: Operand, options?: { alpha?: number }): Tensor {
    return el.sub(this, other, options);
  }
  mul(other: Operand): Tensor {
    return el.mul(this, other);
  }
  div(other: Operand): Tensor {
    return el.div(this, other);
  }
  pow(exponent: Operand): Tensor {
    return el.pow(this, exponent);
  }
  maximum(other: Tensor): Tensor {
    return el.maximum(this, other);
  }
  minimum(other: Tensor): Tensor {
    return el.minimum(this, other);
  }
  remainder(other: Operand): Tensor {
    return el.remainder(this, other);
  }
  fmod(other: Operand): Tensor {
    return el.fmod(this, other);
  }
  floorDivide(other: Operand): Tensor {
    return el.floorDivide(this, other);
  }
  neg(): Tensor {
    return el.neg(this);
  }
  abs(): Tensor {
    return el.abs(this);
  }
  exp(): Tensor {
    return el.exp(this);
  }
  expm1(): Tensor {
    return el.expm1(this);
  }
  log(): Tensor {
    return el.log(this);
  }
  log1p(): Tensor {
    return el.log1p(this);
  }
  sqrt(): Tensor {
    return el.sqrt(this);
  }
  rsqrt(): Tensor {
    return el.rsqrt(this);
  }
  reciprocal(): Tensor {
    return el.reciprocal(this);
  }
  square(): Tensor {
    return el.mul(this, this);
  }
  sin(): Tensor {
    return el.sin(this);
  }
  cos(): Tensor {
    return el.cos(this);
  }
  tanh(): Tensor {
    return el.tanh(this);
  }
  sigmoid(): Tensor {
    return el.sigmoid(this);
  }
  relu(): Tensor {
    return el.relu(this);
  }
  erf(): Tensor {
    return el.erf(this);
  }
  sign(): Tensor {
    return el.sign(this);
  }
  floor(): Tensor {
    return el.floor(this);
  }
  ceil(): Tensor {
    return el.ceil(this);
  }
  round(): Tensor {
    return el.round(this);
  }
  trunc(): Tensor {
    return el.trunc(this);
  }
  isnan(): Tensor {
    return el.isnan(this);
  }
  clamp(min?: Operand | null, max?: Operand | null): Tensor {
    return el.clamp(this, min ?? null, max ?? null);
  }
  lerp(end: Tensor, weight: Operand): Tensor {
    return el.add(this, el.mul(el.sub(end, this), weight));
  }

  eq(other: Operand): Tensor {
    return el.eq(this, other);
  }
  ne(other: Operand): Tensor {
    return el.ne(this, other);
  }
  lt(other: Operand): Tensor {
    return el.lt(this, other);
  }
  le(other: Operand): Tensor {
    return el.le(this, other);
  }
  gt(other: Operand): Tensor {
    return el.gt(this, other);
  }
  ge(other: Operand): Tensor {
    return el.ge(this, other);
  }
  logicalNot(): Tensor {
    return el.logicalNot(this);
  }
  logicalAnd(other: Operand): Tensor {
    return el.logicalAnd(this, other);
  }
  logicalOr(other: Operand): Tensor {
    return el.logicalOr(this, other);
  }
  logicalXor(other: Operand): Tensor {
    return el.logicalXor(this, other);
  }

  // ---- in place -------------------------------------------------------------------------

  add_(other: Operand, options?: { alpha?: number }): this {
    return el.inplace(this, "add_", (x) => el.add(x, other, options), [other]);
  }
  sub_(other: Operand, options?: { alpha?: number }): this {
    return el.inplace(this, "sub_", (x) => el.sub(x, other, options), [other]);
  }
  mul_(other: Operand): this {
    return el.inplace(this, "mul_", (x) => el.mul(x, other), [other]);
  }
  div_(other: Operand): this {
    return el.inplace(this, "div_", (x) => el.div(x, other), [other]);
  }
  pow_(exponent: Operand): this {
    return el.inplace(this, "pow_", (x) => el.pow(x, exponent), [exponent]);
  }
  clamp_(min?: Operand | null, max?: Operand | null): this {
    return el.inplace(this, "clamp_", (x) => el.clamp(x, min ?? null, max ?? null), [min, max]);
  }
  sqrt_(): this {
    return el.inplace(this, "sqrt_", (x) => el.sqrt(x), []);
  }
  neg_(): this {
    return el.inplace(this, "neg_", (x) => el.neg(x), []);
  }
  relu_(): this {
    return el.reluInplace(this);
  }
  sigmoid_(): this {
    return el.inplace(this, "sigmoid_", (x) => el.sigmoid(x), []);
  }
  lerp_(end: Tensor, weight: Operand): this {
    return el.inplace(this, "lerp_", (x) => x.lerp(end, weight), [end, weight]);
  }
  /** self += value · t1 · t2 */
  addcmul_(t1: Tensor, t2: Tensor, options: { value?: number } = {}): this {
    const v = options.value ?? 1;
    return el.inplace(this, "addcmul_", (x) => el.add(x, el.mul(el.mul(t1, t2), v)), [t1, t2]);
  }
  /** self += value · t1 / t2 */
  addcdiv_(t1: Tensor, t2: Tensor, options: { value?: number } = {}): this {
    const v = options.value ?? 1;
    return el.inplace(this, "addcdiv_", (x) => el.add(x, el.mul(el.div(t1, t2), v)), [t1, t2]);
  }
  fill_(value: Operand): this {
    return el.inplace(this, "fill_", (x) => el.fullLikeOf(x, value), [value]);
  }
  zero_(): this {
    return this.fill_(0);
  }
  /** Copies `src` (broadcast to this shape, cast to this dtype) into this tensor. */
  copy_(src: Tensor): this {
    return el.copyInto(this, src);
  }
  maskedFill_(mask: Tensor, value: Operand): this {
    return el.inplace(this, "maskedFill_", (x) => idx.maskedFill(x, mask, value), [value]);
  }
  /** `t[indices] = values` (or `+=` with accumulate), as torch.Tensor.index_put_. */
  indexPut_(
    indices: readonly Subscript[],
    values: Operand,
    options: { accumulate?: boolean } = {},
  ): this {
    return idx.indexPut_(this, indices, values, options.accumulate ?? false);
  }

  // ---- reductions -----------------------------------------------------------------------

  sum(dim?: Dims | null, options?: ReduceOptions): Tensor {
    return red.sum(this, dim ?? null, options?.keepDim ?? false);
  }
  mean(dim?: Dims | null, options?: ReduceOptions): Tensor {
    return red.mean(this, dim ?? null, options?.keepDim ?? false);
  }
  prod(dim?: number | null, options?: ReduceOptions): Tensor {
    return red.prod(this, dim ?? null, options?.keepDim ?? false);
  }
  /** `max()` is the largest value; `max(dim)` gives `{ values, indices }`; `max(t)` is maximum. */
  max(): Tensor;
  max(dim: number, options?: ReduceOptions): { values: Tensor; indices: Tensor };
  max(other: Tensor): Tensor;
  max(
    arg?: number | Tensor,
    options?: ReduceOptions,
  ): Tensor | { values: Tensor; indices: Tensor } {
    if (arg instanceof Tensor) return el.maximum(this, arg);
    if (arg === undefined) return red.maxAll(this, "max");
    return red.maxDim(this, "max", arg, options?.keepDim ?? false);
  }
  /** `min()` is the smallest value; `min(dim)` gives `{ values, indices }`; `min(t)` is minimum. */
  min(): Tensor;
  min(dim: number, options?: ReduceOptions): { values: Tensor; indices: Tensor };
  min(other: Tensor): Tensor;
  min(
    arg?: number | Tensor,
    options?: ReduceOptions,
  ): Tensor | { values: Tensor; indices: Tensor } {
    if (arg instanceof Tensor) return el.minimum(this, arg);
    if (arg === undefined) return red.maxAll(this, "min");
    return red.maxDim(this, "min", arg, options?.keepDim ?? false);
  }
  amax(dim?: Dims | null, options?: ReduceOptions): Tensor {
    return red.amax(this, "max", dim ?? null, options?.keepDim ?? false);
  }
  amin(dim?: Dims | null, options?: ReduceOptions): Tensor {
    return red.amax(this, "min", dim ?? null, options?.keepDim ?? false);
  }
  argmax(dim?: number | null, options?: ReduceOptions): Tensor {
    return red.argReduce(this, "argmax", dim ?? null, options?.keepDim ?? false);
  }
  argmin(dim?: number | null, options?: ReduceOptions): Tensor {
    return red.argReduce(this, "argmin", dim ?? null, options?.keepDim ?? false);
  }
  /** Variance with Bessel's correction by default (`correction: 1`), as torch.var. */
  var(
    dim?: Dims | null,
    options?: ReduceOptions & { correction?: number; unbiased?: boolean },
  ): Tensor {
    return red.variance(this, dim ?? null, options ?? {});
  }
  std(
    dim?: Dims | null,
    options?: ReduceOptions & { correction?: number; unbiased?: boolean },
  ): Tensor {
    return red.std(this, dim ?? null, options ?? {});
  }
  logsumexp(dim: Dims, options?: ReduceOptions): Tensor {
    return red.logsumexp(this, dim, options?.keepDim ?? false);
  }
  any(dim?: Dims | null, options?: ReduceOptions): Tensor {
    return red.anyAll(this, "any", dim ?? null, options?.keepDim ?? false);
  }
  all(dim?: Dims | null, options?: ReduceOptions): Tensor {
    return red.anyAll(this, "all", dim ?? null, options?.keepDim ?? false);
  }
  cumsum(dim: number): Tensor {
    return red.cumsum(this, dim);
  }

  // ---- views and movement ---------------------------------------------------------------

  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return mv.reshape(this, mv.shapeArgs(shape));
  }
  view(...shape: number[] | [readonly number[]]): Tensor {
    return mv.view(this, mv.shapeArgs(shape));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return mv.flatten(this, startDim, endDim);
  }
  squeeze(dim?: number): Tensor {
    return mv.squeeze(this, dim);
  }
  unsqueeze(dim: number): Tensor {
    return mv.unsqueeze(this, dim);
  }
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return mv.permute(this, mv.shapeArgs(dims));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return mv.transpose(this, dim0, dim1);
  }
  /** Transpose of a tensor with at most 2 dimensions. */
  t(): Tensor {
    return mv.t(this);
  }
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return mv.expand(this, mv.shapeArgs(shape));
  }
  expandAs(other: Tensor): Tensor {
    return mv.expand(this, other.shape);
  }
  contiguous(): Tensor {
    return this.isContiguous() ? this : el.clone(this);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return mv.narrow(this, dim, start, length);
  }
  select(dim: number, index: number): Tensor {
    return mv.select(this, dim, index);
  }
  split(splitSize: number | readonly number[], dim = 0): Tensor[] {
    return mv.split(this, splitSize, dim);
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return mv.chunk(this, chunks, dim);
  }
  repeat(...sizes: number[] | [readonly number[]]): Tensor {
    return mv.repeat(this, mv.shapeArgs(sizes));
  }
  flip(dims: Dims): Tensor {
    return mv.flip(this, typeof dims === "number" ? [dims] : dims);
  }
  matmul(other: Tensor): Tensor {
    return matmul(this, other);
  }

  // ---- indexing -------------------------------------------------------------------------

  /** PyTorch's `t[...]`: one argument per subscript (see `Subscript`). */
  index(...subscripts: Subscript[]): Tensor {
    return idx.index(this, subscripts);
  }
  maskedFill(mask: Tensor, value: Operand): Tensor {
    return idx.maskedFill(this, mask, value);
  }
  maskedSelect(mask: Tensor): Tensor {
    return idx.maskedSelect(this, mask);
  }
  nonzero(): Tensor {
    return idx.nonzero(this);
  }
  gather(dim: number, index: Tensor): Tensor {
    return idx.gather(this, dim, index);
  }
  scatter(dim: number, index: Tensor, src: Operand): Tensor {
    return idx.scatter(this, dim, index, src, false);
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return idx.scatter(this, dim, index, src, true);
  }
  indexSelect(dim: number, index: Tensor | readonly number[]): Tensor {
    return idx.indexSelect(this, dim, index);
  }
}
