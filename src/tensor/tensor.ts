// The Tensor: typed-array storage viewed through shape, strides and offset, plus the autograd
// fields. Methods are thin: each forwards to the op that defines it in src/ops.
// NOTE: src/ops imports this class and this class calls src/ops; both sides only touch the other
// inside function bodies, so the module cycle is safe under ESM.
import type { View } from "../backend/backend.ts";
import {
  type Arg,
  arrayOf,
  bool,
  checkArity,
  custom,
  either,
  instanceOf,
  int,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../core/args.ts";
import {
  type DType,
  halfComputeError,
  isFloating,
  isHalf,
  type Scalar,
  type TypedArray,
} from "../core/dtype.ts";
import { AutogradError, DTypeError, ValueError } from "../core/errors.ts";
import { decodeHalf } from "../core/half.ts";
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
  if (arguments.length > 3) checkArity("slice", arguments, 3);
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

export interface BackwardOptions {
  retainGraph?: boolean | null;
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
    if (arguments.length > 0) checkArity("numel", arguments, 0);
    const s = this.shape;
    let n = 1;
    for (let i = 0; i < s.length; i++) n *= s[i]!;
    return n;
  }

  /** `t.size()` is the shape; `t.size(d)` one dimension (negative counts from the end). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number | number[] {
    if (arguments.length > 1 || (dim !== undefined && !Number.isInteger(dim))) {
      parseArgs(sigs().size, arguments);
    }
    if (dim === undefined) return [...this.shape];
    return this.shape[mv.wrapDim("size", dim, this.ndim)]!;
  }

  /** The storage version, bumped by every in-place op. */
  get version(): number {
    return this.storage.version;
  }

  isContiguous(): boolean {
    if (arguments.length > 0) checkArity("isContiguous", arguments, 0);
    return isContiguous(this.shape, this.strides);
  }

  /** The strided window kernels read and write (one object per tensor, made on first use). */
  view_(): View {
    let v = this.#view;
    if (v === null) {
      // NOTE: the one door to every kernel: storage-only dtypes stop here (halfComputeError).
      if (isHalf(this.dtype)) throw halfComputeError(this.dtype);
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

  /**
   * @internal Points this tensor at `src`'s memory, geometry and dtype (PyTorch's
   * `param.data = src`), keeping the object, so optimizers and modules holding it see the change.
   * NOTE: the cached kernel view must go too, or kernels would keep reading the old buffer.
   */
  replaceData_(src: Tensor): void {
    const w = this as unknown as {
      storage: Storage;
      shape: readonly number[];
      strides: readonly number[];
      offset: number;
      dtype: DType;
    };
    w.storage = src.storage;
    w.shape = src.shape;
    w.strides = src.strides;
    w.offset = src.offset;
    w.dtype = src.dtype;
    this.#view = null;
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
    if (arguments.length > 1 || typeof flag !== "boolean")
      parseArgs(sigs().requiresGrad_, arguments);
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
    if (arguments.length > 0) checkArity("retainGrad", arguments, 0);
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
  backward(
    ...args: WithOptions<
      [gradient: Tensor | null | undefined, retainGraph: boolean | null],
      BackwardOptions
    >
  ): void;
  backward(_gradient?: unknown, _retainGraph?: unknown, _options?: unknown): void {
    const p = parseArgs(sigs().backward, arguments);
    let g = p.gradient ?? undefined;
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
    runBackward(this, g, p.retainGraph ?? false);
  }

  /** A view of the same data that is cut off from the graph. */
  detach(): Tensor {
    if (arguments.length > 0) checkArity("detach", arguments, 0);
    return new Tensor(this.storage, this.shape, this.strides, this.offset, this.dtype, this.base);
  }

  /** Detaches in place: this tensor becomes a leaf that does not require grad. */
  detach_(): this {
    if (arguments.length > 0) checkArity("detach_", arguments, 0);
    this.#gradFn = null;
    this.#requiresGrad = false;
    return this;
  }

  // ---- conversion -----------------------------------------------------------------------
  // NOTE: every method checks its arguments as PyTorch binds them (shared/API.md, rule 2). The
  // common call (no options, nothing extra) costs one `arguments.length` test; the shared parser
  // runs only when more arguments than the plain form were passed.

  /** The single value of a one-element tensor as a JS number (or boolean for bool). */
  item(): number | boolean {
    if (arguments.length > 0) checkArity("item", arguments, 0);
    if (this.numel() !== 1) {
      throw new ValueError(
        `item: a Tensor with ${this.numel()} elements cannot be converted to Scalar`,
      );
    }
    const v = this.storage.data[this.offset]!;
    if (isHalf(this.dtype)) return decodeHalf(this.dtype, v);
    return this.dtype === "bool" ? v !== 0 : v;
  }

  /** The values as nested JS arrays (booleans for bool tensors). */
  toArray(): NestedArray {
    if (arguments.length > 0) checkArity("toArray", arguments, 0);
    const flat = isHalf(this.dtype) ? this.float().dataSync() : this.dataSync();
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
    if (arguments.length > 0) checkArity("dataSync", arguments, 0);
    const c = this.contiguous();
    const n = c.numel();
    return c.storage.data.slice(c.offset, c.offset + n);
  }

  /**
   * A copy in `dtype` (this tensor when it has it). NOTE: a float value outside int32's range
   * cast to int32 is undefined behaviour in PyTorch, and is not checked here either.
   */
  to(dtype: DType): Tensor {
    if (arguments.length !== 1 || !DTYPE.test(dtype)) parseArgs(sigs().to, arguments);
    return el.cast(this, dtype);
  }
  float(): Tensor {
    if (arguments.length > 0) checkArity("float", arguments, 0);
    return el.cast(this, "float32");
  }
  double(): Tensor {
    if (arguments.length > 0) checkArity("double", arguments, 0);
    return el.cast(this, "float64");
  }
  /** A float16 copy, as torch.Tensor.half (a storage dtype in Kiln: see DType). */
  half(): Tensor {
    if (arguments.length > 0) checkArity("half", arguments, 0);
    return el.cast(this, "float16");
  }
  /** A bfloat16 copy, as torch.Tensor.bfloat16 (a storage dtype in Kiln: see DType). */
  bfloat16(): Tensor {
    if (arguments.length > 0) checkArity("bfloat16", arguments, 0);
    return el.cast(this, "bfloat16");
  }
  int(): Tensor {
    if (arguments.length > 0) checkArity("int", arguments, 0);
    return el.cast(this, "int32");
  }
  bool(): Tensor {
    if (arguments.length > 0) checkArity("bool", arguments, 0);
    return el.cast(this, "bool");
  }
  clone(): Tensor {
    if (arguments.length > 0) checkArity("clone", arguments, 0);
    return el.clone(this);
  }

  toString(): string {
    return formatTensor(this);
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  // ---- elementwise ----------------------------------------------------------------------

  /** this + alpha·other; `alpha` is keyword-only, as in PyTorch (`x.add(y, 2)` throws). */
  add(other: Operand, options?: AlphaOptions): Tensor;
  add(other: Operand, _options?: unknown): Tensor {
    if (arguments.length > 1) return el.add(this, other, alphaOf(sigs().add, arguments));
    return el.add(this, other);
  }
  /** this - alpha·other; `alpha` is keyword-only, as in PyTorch. */
  sub(other: Operand, options?: AlphaOptions): Tensor;
  sub(other: Operand, _options?: unknown): Tensor {
    if (arguments.length > 1) return el.sub(this, other, alphaOf(sigs().sub, arguments));
    return el.sub(this, other);
  }
  mul(other: Operand): Tensor {
    if (arguments.length > 1) checkArity("mul", arguments, 1);
    return el.mul(this, other);
  }
  div(other: Operand): Tensor {
    if (arguments.length > 1) checkArity("div", arguments, 1);
    return el.div(this, other);
  }
  pow(exponent: Operand): Tensor {
    if (arguments.length > 1) checkArity("pow", arguments, 1);
    return el.pow(this, exponent);
  }
  maximum(other: Tensor): Tensor {
    if (arguments.length > 1) checkArity("maximum", arguments, 1);
    return el.maximum(this, other);
  }
  minimum(other: Tensor): Tensor {
    if (arguments.length > 1) checkArity("minimum", arguments, 1);
    return el.minimum(this, other);
  }
  remainder(other: Operand): Tensor {
    if (arguments.length > 1) checkArity("remainder", arguments, 1);
    return el.remainder(this, other);
  }
  fmod(other: Operand): Tensor {
    if (arguments.length > 1) checkArity("fmod", arguments, 1);
    return el.fmod(this, other);
  }
  floorDivide(other: Operand): Tensor {
    if (arguments.length > 1) checkArity("floorDivide", arguments, 1);
    return el.floorDivide(this, other);
  }
  neg(): Tensor {
    if (arguments.length > 0) checkArity("neg", arguments, 0);
    return el.neg(this);
  }
  abs(): Tensor {
    if (arguments.length > 0) checkArity("abs", arguments, 0);
    return el.abs(this);
  }
  exp(): Tensor {
    if (arguments.length > 0) checkArity("exp", arguments, 0);
    return el.exp(this);
  }
  expm1(): Tensor {
    if (arguments.length > 0) checkArity("expm1", arguments, 0);
    return el.expm1(this);
  }
  log(): Tensor {
    if (arguments.length > 0) checkArity("log", arguments, 0);
    return el.log(this);
  }
  log1p(): Tensor {
    if (arguments.length > 0) checkArity("log1p", arguments, 0);
    return el.log1p(this);
  }
  sqrt(): Tensor {
    if (arguments.length > 0) checkArity("sqrt", arguments, 0);
    return el.sqrt(this);
  }
  rsqrt(): Tensor {
    if (arguments.length > 0) checkArity("rsqrt", arguments, 0);
    return el.rsqrt(this);
  }
  reciprocal(): Tensor {
    if (arguments.length > 0) checkArity("reciprocal", arguments, 0);
    return el.reciprocal(this);
  }
  square(): Tensor {
    if (arguments.length > 0) checkArity("square", arguments, 0);
    return el.mul(this, this);
  }
  sin(): Tensor {
    if (arguments.length > 0) checkArity("sin", arguments, 0);
    return el.sin(this);
  }
  cos(): Tensor {
    if (arguments.length > 0) checkArity("cos", arguments, 0);
    return el.cos(this);
  }
  tanh(): Tensor {
    if (arguments.length > 0) checkArity("tanh", arguments, 0);
    return el.tanh(this);
  }
  sigmoid(): Tensor {
    if (arguments.length > 0) checkArity("sigmoid", arguments, 0);
    return el.sigmoid(this);
  }
  relu(): Tensor {
    if (arguments.length > 0) checkArity("relu", arguments, 0);
    return el.relu(this);
  }
  erf(): Tensor {
    if (arguments.length > 0) checkArity("erf", arguments, 0);
    return el.erf(this);
  }
  sign(): Tensor {
    if (arguments.length > 0) checkArity("sign", arguments, 0);
    return el.sign(this);
  }
  floor(): Tensor {
    if (arguments.length > 0) checkArity("floor", arguments, 0);
    return el.floor(this);
  }
  ceil(): Tensor {
    if (arguments.length > 0) checkArity("ceil", arguments, 0);
    return el.ceil(this);
  }
  round(): Tensor {
    if (arguments.length > 0) checkArity("round", arguments, 0);
    return el.round(this);
  }
  trunc(): Tensor {
    if (arguments.length > 0) checkArity("trunc", arguments, 0);
    return el.trunc(this);
  }
  isnan(): Tensor {
    if (arguments.length > 0) checkArity("isnan", arguments, 0);
    return el.isnan(this);
  }
  /** Clamps into [min, max]: `x.clamp(0, 1)`, `x.clamp(null, 1)`, `x.clamp({ max: 1 })`. */
  clamp(min?: Operand | null | ClampOptions, max?: Operand | null): Tensor;
  clamp(_min?: unknown, _max?: unknown): Tensor {
    const p = parseArgs(sigs().clamp, arguments);
    return el.clamp(this, p.min, p.max);
  }
  lerp(end: Tensor, weight: Operand): Tensor {
    if (arguments.length > 2) checkArity("lerp", arguments, 2);
    return el.add(this, el.mul(el.sub(end, this), weight));
  }

  eq(other: Operand): Tensor {
    if (arguments.length > 1) checkArity("eq", arguments, 1);
    return el.eq(this, other);
  }
  ne(other: Operand): Tensor {
    if (arguments.length > 1) checkArity("ne", arguments, 1);
    return el.ne(this, other);
  }
  lt(other: Operand): Tensor {
    if (arguments.length > 1) checkArity("lt", arguments, 1);
    return el.lt(this, other);
  }
  le(other: Operand): Tensor {
    if (arguments.length > 1) checkArity("le", arguments, 1);
    return el.le(this, other);
  }
  gt(other: Operand): Tensor {
    if (arguments.length > 1) checkArity("gt", arguments, 1);
    return el.gt(this, other);
  }
  ge(other: Operand): Tensor {
    if (arguments.length > 1) checkArity("ge", arguments, 1);
    return el.ge(this, other);
  }
  logicalNot(): Tensor {
    if (arguments.length > 0) checkArity("logicalNot", arguments, 0);
    return el.logicalNot(this);
  }
  logicalAnd(other: Operand): Tensor {
    if (arguments.length > 1) checkArity("logicalAnd", arguments, 1);
    return el.logicalAnd(this, other);
  }
  logicalOr(other: Operand): Tensor {
    if (arguments.length > 1) checkArity("logicalOr", arguments, 1);
    return el.logicalOr(this, other);
  }
  logicalXor(other: Operand): Tensor {
    if (arguments.length > 1) checkArity("logicalXor", arguments, 1);
    return el.logicalXor(this, other);
  }

  // ---- in place -------------------------------------------------------------------------

  add_(other: Operand, options?: AlphaOptions): this;
  add_(other: Operand, _options?: unknown): this {
    const o = arguments.length > 1 ? alphaOf(sigs().add_, arguments) : undefined;
    el.checkOperand("add_", "other", other);
    return el.inplace(this, "add_", (x) => el.add(x, other, o), [other]);
  }
  sub_(other: Operand, options?: AlphaOptions): this;
  sub_(other: Operand, _options?: unknown): this {
    const o = arguments.length > 1 ? alphaOf(sigs().sub_, arguments) : undefined;
    el.checkOperand("sub_", "other", other);
    return el.inplace(this, "sub_", (x) => el.sub(x, other, o), [other]);
  }
  mul_(other: Operand): this {
    if (arguments.length > 1) checkArity("mul_", arguments, 1);
    el.checkOperand("mul_", "other", other);
    return el.inplace(this, "mul_", (x) => el.mul(x, other), [other]);
  }
  div_(other: Operand): this {
    if (arguments.length > 1) checkArity("div_", arguments, 1);
    el.checkOperand("div_", "other", other);
    return el.inplace(this, "div_", (x) => el.div(x, other), [other]);
  }
  pow_(exponent: Operand): this {
    if (arguments.length > 1) checkArity("pow_", arguments, 1);
    el.checkOperand("pow_", "exponent", exponent);
    return el.inplace(this, "pow_", (x) => el.pow(x, exponent), [exponent]);
  }
  clamp_(min?: Operand | null | ClampOptions, max?: Operand | null): this;
  clamp_(_min?: unknown, _max?: unknown): this {
    const p = parseArgs(sigs().clamp_, arguments);
    return el.inplace(this, "clamp_", (x) => el.clamp(x, p.min, p.max), [p.min, p.max]);
  }
  sqrt_(): this {
    if (arguments.length > 0) checkArity("sqrt_", arguments, 0);
    return el.inplace(this, "sqrt_", (x) => el.sqrt(x), []);
  }
  neg_(): this {
    if (arguments.length > 0) checkArity("neg_", arguments, 0);
    return el.inplace(this, "neg_", (x) => el.neg(x), []);
  }
  relu_(): this {
    if (arguments.length > 0) checkArity("relu_", arguments, 0);
    return el.reluInplace(this);
  }
  sigmoid_(): this {
    if (arguments.length > 0) checkArity("sigmoid_", arguments, 0);
    return el.inplace(this, "sigmoid_", (x) => el.sigmoid(x), []);
  }
  lerp_(end: Tensor, weight: Operand): this {
    if (arguments.length > 2) checkArity("lerp_", arguments, 2);
    return el.inplace(this, "lerp_", (x) => x.lerp(end, weight), [end, weight]);
  }
  /** self += value · t1 · t2 (`value` keyword-only, as in PyTorch). */
  addcmul_(t1: Tensor, t2: Tensor, options?: { value?: number }): this;
  addcmul_(t1: Tensor, t2: Tensor, _options?: unknown): this {
    const v = parseArgs(sigs().addcmul_, arguments).value;
    return el.inplace(this, "addcmul_", (x) => el.add(x, el.mul(el.mul(t1, t2), v)), [t1, t2]);
  }
  /** self += value · t1 / t2 (`value` keyword-only, as in PyTorch). */
  addcdiv_(t1: Tensor, t2: Tensor, options?: { value?: number }): this;
  addcdiv_(t1: Tensor, t2: Tensor, _options?: unknown): this {
    const v = parseArgs(sigs().addcdiv_, arguments).value;
    return el.inplace(this, "addcdiv_", (x) => el.add(x, el.mul(el.div(t1, t2), v)), [t1, t2]);
  }
  fill_(value: Operand): this {
    if (arguments.length !== 1) parseArgs(sigs().fill_, arguments);
    return el.inplace(this, "fill_", (x) => el.fullLikeOf(x, value, "fill_"), [value]);
  }
  zero_(): this {
    if (arguments.length > 0) checkArity("zero_", arguments, 0);
    return this.fill_(0);
  }
  /** Copies `src` (broadcast to this shape, cast to this dtype) into this tensor. */
  copy_(src: Tensor): this {
    if (arguments.length !== 1 || !(src instanceof Tensor)) parseArgs(sigs().copy_, arguments);
    return el.copyInto(this, src);
  }
  maskedFill_(mask: Tensor, value: Operand): this {
    if (arguments.length !== 2) parseArgs(sigs().maskedFill_, arguments);
    el.checkOperand("maskedFill_", "value", value);
    return el.inplace(this, "maskedFill_", (x) => idx.maskedFill(x, mask, value), [value]);
  }
  /** `t[indices] = values` (or `+=` with accumulate), as torch.Tensor.index_put_. */
  indexPut_(
    indices: readonly Subscript[],
    values: Operand,
    ...rest: WithOptions<[accumulate: boolean], { accumulate?: boolean }>
  ): this;
  indexPut_(_indices: unknown, _values: unknown, _accumulate?: unknown, _options?: unknown): this {
    const p = parseArgs(sigs().indexPut_, arguments);
    return idx.indexPut_(this, p.indices, p.values, p.accumulate);
  }

  // ---- reductions -----------------------------------------------------------------------

  /** Sum over `dim` (all dims when absent or null): `x.sum(1, true)` = `x.sum(1, { keepDim: true })`. */
  sum(
    ...args: WithOptions<[dim: Dims | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor;
  sum(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    if (arguments.length === 0) return red.sum(this, null, false);
    const p = parseArgs(sigs().sum, arguments);
    return red.sum(this, p.dim, p.keepDim);
  }
  mean(
    ...args: WithOptions<[dim: Dims | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor;
  mean(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    if (arguments.length === 0) return red.mean(this, null, false);
    const p = parseArgs(sigs().mean, arguments);
    return red.mean(this, p.dim, p.keepDim);
  }
  prod(
    ...args: WithOptions<[dim: number | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor;
  prod(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = parseArgs(sigs().prod, arguments);
    return red.prod(this, p.dim, p.keepDim);
  }
  /**
   * `max()` is the largest value; `max(dim, keepDim?)` gives `{ values, indices }`;
   * `max(t)` is maximum.
   */
  max(): Tensor;
  max(...args: WithOptions<[dim: number, keepDim: boolean], ReduceOptions>): {
    values: Tensor;
    indices: Tensor;
  };
  max(other: Tensor): Tensor;
  max(
    _dim?: unknown,
    _keepDim?: unknown,
    _options?: unknown,
  ): Tensor | { values: Tensor; indices: Tensor } {
    return maxMin(this, "max", arguments);
  }
  /**
   * `min()` is the smallest value; `min(dim, keepDim?)` gives `{ values, indices }`;
   * `min(t)` is minimum.
   */
  min(): Tensor;
  min(...args: WithOptions<[dim: number, keepDim: boolean], ReduceOptions>): {
    values: Tensor;
    indices: Tensor;
  };
  min(other: Tensor): Tensor;
  min(
    _dim?: unknown,
    _keepDim?: unknown,
    _options?: unknown,
  ): Tensor | { values: Tensor; indices: Tensor } {
    return maxMin(this, "min", arguments);
  }
  amax(
    ...args: WithOptions<[dim: Dims | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor;
  amax(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = parseArgs(sigs().amax, arguments);
    return red.amax(this, "max", p.dim, p.keepDim);
  }
  amin(
    ...args: WithOptions<[dim: Dims | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor;
  amin(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = parseArgs(sigs().amin, arguments);
    return red.amax(this, "min", p.dim, p.keepDim);
  }
  argmax(
    ...args: WithOptions<[dim: number | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor;
  argmax(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = parseArgs(sigs().argmax, arguments);
    return red.argReduce(this, "argmax", p.dim, p.keepDim);
  }
  argmin(
    ...args: WithOptions<[dim: number | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor;
  argmin(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = parseArgs(sigs().argmin, arguments);
    return red.argReduce(this, "argmin", p.dim, p.keepDim);
  }
  /**
   * Variance with Bessel's correction by default (`correction: 1`), as torch.var:
   * `var(dim, unbiased, keepDim, { correction })`, or `var(unbiased)` over all elements.
   */
  var(unbiased: boolean): Tensor;
  var(
    ...args: WithOptions<
      [dim: Dims | null | undefined, unbiased: boolean, keepDim: boolean],
      VarOptions
    >
  ): Tensor;
  var(_dim?: unknown, _unbiased?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = varArgs(this, "var", arguments);
    return red.variance(this, p.dim, p);
  }
  /** Standard deviation, with `var`'s arguments, as torch.std. */
  std(unbiased: boolean): Tensor;
  std(
    ...args: WithOptions<
      [dim: Dims | null | undefined, unbiased: boolean, keepDim: boolean],
      VarOptions
    >
  ): Tensor;
  std(_dim?: unknown, _unbiased?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = varArgs(this, "std", arguments);
    return red.std(this, p.dim, p);
  }
  logsumexp(...args: WithOptions<[dim: Dims, keepDim: boolean], ReduceOptions>): Tensor;
  logsumexp(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = parseArgs(sigs().logsumexp, arguments);
    return red.logsumexp(this, p.dim, p.keepDim);
  }
  any(
    ...args: WithOptions<[dim: Dims | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor;
  any(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = parseArgs(sigs().any, arguments);
    return red.anyAll(this, "any", p.dim, p.keepDim);
  }
  all(
    ...args: WithOptions<[dim: Dims | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor;
  all(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = parseArgs(sigs().all, arguments);
    return red.anyAll(this, "all", p.dim, p.keepDim);
  }
  cumsum(dim: number): Tensor {
    if (arguments.length !== 1 || !Number.isInteger(dim)) parseArgs(sigs().cumsum, arguments);
    return red.cumsum(this, dim);
  }

  // ---- views and movement ---------------------------------------------------------------

  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return mv.reshape(this, mv.shapeArgs("reshape", shape));
  }
  view(...shape: number[] | [readonly number[]]): Tensor {
    return mv.view(this, mv.shapeArgs("view", shape));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    if (arguments.length > 0) parseArgs(sigs().flatten, arguments);
    return mv.flatten(this, startDim, endDim);
  }
  squeeze(dim?: number): Tensor {
    if (arguments.length > 0) parseArgs(sigs().squeeze, arguments);
    return mv.squeeze(this, dim);
  }
  unsqueeze(dim: number): Tensor {
    if (arguments.length !== 1 || !Number.isInteger(dim)) parseArgs(sigs().unsqueeze, arguments);
    return mv.unsqueeze(this, dim);
  }
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return mv.permute(this, mv.shapeArgs("permute", dims));
  }
  transpose(dim0: number, dim1: number): Tensor {
    if (arguments.length !== 2 || !Number.isInteger(dim0) || !Number.isInteger(dim1)) {
      parseArgs(sigs().transpose, arguments);
    }
    return mv.transpose(this, dim0, dim1);
  }
  /** Transpose of a tensor with at most 2 dimensions. */
  t(): Tensor {
    if (arguments.length > 0) checkArity("t", arguments, 0);
    return mv.t(this);
  }
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return mv.expand(this, mv.shapeArgs("expand", shape));
  }
  expandAs(other: Tensor): Tensor {
    if (arguments.length !== 1 || !(other instanceof Tensor)) {
      parseArgs(sigs().expandAs, arguments);
    }
    return mv.expand(this, other.shape);
  }
  contiguous(): Tensor {
    if (arguments.length > 0) checkArity("contiguous", arguments, 0);
    return this.isContiguous() ? this : el.clone(this);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    parseArgs(sigs().narrow, arguments);
    return mv.narrow(this, dim, start, length);
  }
  select(dim: number, index: number): Tensor {
    parseArgs(sigs().select, arguments);
    return mv.select(this, dim, index);
  }
  split(splitSize: number | readonly number[], dim = 0): Tensor[] {
    parseArgs(sigs().split, arguments);
    return mv.split(this, splitSize, dim);
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    parseArgs(sigs().chunk, arguments);
    return mv.chunk(this, chunks, dim);
  }
  repeat(...sizes: number[] | [readonly number[]]): Tensor {
    return mv.repeat(this, mv.shapeArgs("repeat", sizes));
  }
  /** Reverses along `dims`: `x.flip(0)`, `x.flip(0, 1)` or `x.flip([0, 1])`. */
  flip(...dims: number[] | [readonly number[]]): Tensor {
    return mv.flip(this, mv.shapeArgs("flip", dims));
  }
  matmul(other: Tensor): Tensor {
    if (arguments.length > 1) checkArity("matmul", arguments, 1);
    return matmul(this, other);
  }

  // ---- indexing -------------------------------------------------------------------------

  /** PyTorch's `t[...]`: one argument per subscript (see `Subscript`). */
  index(...subscripts: Subscript[]): Tensor {
    return idx.index(this, subscripts);
  }
  maskedFill(mask: Tensor, value: Operand): Tensor {
    if (arguments.length !== 2) parseArgs(sigs().maskedFill, arguments);
    return idx.maskedFill(this, mask, value);
  }
  maskedSelect(mask: Tensor): Tensor {
    if (arguments.length !== 1) parseArgs(sigs().maskedSelect, arguments);
    return idx.maskedSelect(this, mask);
  }
  nonzero(): Tensor {
    if (arguments.length > 0) checkArity("nonzero", arguments, 0);
    return idx.nonzero(this);
  }
  gather(dim: number, index: Tensor): Tensor {
    parseArgs(sigs().gather, arguments);
    return idx.gather(this, dim, index);
  }
  scatter(dim: number, index: Tensor, src: Operand): Tensor {
    parseArgs(sigs().scatter, arguments);
    return idx.scatter(this, dim, index, src, false);
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    parseArgs(sigs().scatterAdd, arguments);
    return idx.scatter(this, dim, index, src, true);
  }
  indexSelect(dim: number, index: Tensor | readonly number[]): Tensor {
    parseArgs(sigs().indexSelect, arguments);
    return idx.indexSelect(this, dim, index);
  }
}

// ---- argument signatures ----------------------------------------------------------------
// PyTorch's parameters of each method, in its order (shared/API.md, rule 2). Built on first use:
// `instanceOf(Tensor, ...)` needs the class, which the ops modules import in a cycle.

export interface AlphaOptions {
  alpha?: number;
}
export interface ClampOptions {
  min?: Operand | null;
  max?: Operand | null;
}
export interface VarOptions extends ReduceOptions {
  correction?: number;
  unbiased?: boolean;
}

const DTYPE = oneOf("float32", "float64", "int32", "bool", "float16", "bfloat16");

function makeSigs() {
  const tensorArg = instanceOf(Tensor, "a Tensor");
  const operand = custom(
    "a Tensor, a number or a boolean",
    (v): v is Operand => v instanceof Tensor || typeof v === "number" || typeof v === "boolean",
  );
  const dims = either(int, arrayOf(int));
  const reduce = <D extends Arg<unknown>>(op: string, dim: D) =>
    signature(op, { dim, keepDim: opt(bool, false) });
  const alpha = (op: string) => signature(op, { other: operand }, { alpha: opt(num) });
  const bound = opt(nullable(operand), null);
  const subscripts = custom("an array of subscripts", (v): v is readonly Subscript[] =>
    Array.isArray(v),
  );
  return {
    to: signature("to", { dtype: DTYPE }),
    add: alpha("add"),
    sub: alpha("sub"),
    add_: alpha("add_"),
    sub_: alpha("sub_"),
    clamp: signature("clamp", { min: bound, max: bound }),
    clamp_: signature("clamp_", { min: bound, max: bound }),
    addcmul_: signature(
      "addcmul_",
      { tensor1: tensorArg, tensor2: tensorArg },
      { value: opt(num, 1) },
    ),
    addcdiv_: signature(
      "addcdiv_",
      { tensor1: tensorArg, tensor2: tensorArg },
      { value: opt(num, 1) },
    ),
    fill_: signature("fill_", { value: operand }),
    copy_: signature("copy_", { src: tensorArg }),
    maskedFill_: signature("maskedFill_", { mask: tensorArg, value: operand }),
    indexPut_: signature("indexPut_", {
      indices: subscripts,
      values: operand,
      accumulate: opt(bool, false),
    }),
    sum: reduce("sum", opt(nullable(dims), null)),
    mean: reduce("mean", opt(nullable(dims), null)),
    prod: reduce("prod", opt(nullable(int), null)),
    max: reduce("max", int),
    min: reduce("min", int),
    amax: reduce("amax", opt(nullable(dims), null)),
    amin: reduce("amin", opt(nullable(dims), null)),
    argmax: reduce("argmax", opt(nullable(int), null)),
    argmin: reduce("argmin", opt(nullable(int), null)),
    logsumexp: reduce("logsumexp", dims),
    any: reduce("any", opt(nullable(dims), null)),
    all: reduce("all", opt(nullable(dims), null)),
    var: varSig("var"),
    std: varSig("std"),
    varUnbiased: signature("var", { unbiased: bool }),
    stdUnbiased: signature("std", { unbiased: bool }),
    cumsum: signature("cumsum", { dim: int }),
    flatten: signature("flatten", { startDim: opt(int), endDim: opt(int) }),
    squeeze: signature("squeeze", { dim: opt(int) }),
    unsqueeze: signature("unsqueeze", { dim: int }),
    transpose: signature("transpose", { dim0: int, dim1: int }),
    expandAs: signature("expandAs", { other: tensorArg }),
    narrow: signature("narrow", { dim: int, start: int, length: int }),
    select: signature("select", { dim: int, index: int }),
    split: signature("split", { splitSize: either(int, arrayOf(int)), dim: opt(int) }),
    chunk: signature("chunk", { chunks: int, dim: opt(int) }),
    maskedFill: signature("maskedFill", { mask: tensorArg, value: operand }),
    maskedSelect: signature("maskedSelect", { mask: tensorArg }),
    gather: signature("gather", { dim: int, index: tensorArg }),
    scatter: signature("scatter", { dim: int, index: tensorArg, src: operand }),
    scatterAdd: signature("scatterAdd", { dim: int, index: tensorArg, src: tensorArg }),
    indexSelect: signature("indexSelect", {
      dim: int,
      index: either(tensorArg, arrayOf(int)),
    }),
    size: signature("size", { dim: opt(int) }),
    requiresGrad_: signature("requiresGrad_", { requiresGrad: opt(bool, true) }),
    backward: signature("backward", {
      gradient: opt(nullable(tensorArg), null),
      retainGraph: opt(nullable(bool), null),
    }),
  };
}

function varSig(op: string) {
  return signature(
    op,
    {
      dim: opt(nullable(either(int, arrayOf(int))), null),
      unbiased: opt(bool),
      keepDim: opt(bool),
    },
    { correction: opt(num) },
  );
}

let SIGS: ReturnType<typeof makeSigs> | null = null;
function sigs(): ReturnType<typeof makeSigs> {
  if (SIGS === null) SIGS = makeSigs();
  return SIGS;
}

/** The `{ alpha }` of `add(other, { alpha })`, after checking the whole argument list. */
function alphaOf(sig: ReturnType<typeof makeSigs>["add"], args: IArguments): AlphaOptions {
  const alpha = parseArgs(sig, args).alpha;
  return alpha === undefined ? {} : { alpha };
}

function maxMin(
  x: Tensor,
  op: "max" | "min",
  args: IArguments,
): Tensor | { values: Tensor; indices: Tensor } {
  const first = args[0];
  if (first instanceof Tensor) {
    if (args.length > 1) checkArity(op, args, 1);
    return op === "max" ? el.maximum(x, first) : el.minimum(x, first);
  }
  if (args.length === 0) return red.maxAll(x, op);
  const p = parseArgs(sigs()[op], args);
  return red.maxDim(x, op, p.dim, p.keepDim);
}

/** var/std's arguments: `(unbiased)` alone, or `(dim, unbiased, keepDim, { correction })`. */
function varArgs(
  _x: Tensor,
  op: "var" | "std",
  args: IArguments,
): { dim: Dims | null; unbiased?: boolean; keepDim?: boolean; correction?: number } {
  if (typeof args[0] === "boolean") {
    const p = parseArgs(op === "var" ? sigs().varUnbiased : sigs().stdUnbiased, args);
    return { dim: null, unbiased: p.unbiased };
  }
  return parseArgs(sigs()[op], args);
}
