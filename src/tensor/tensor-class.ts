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
  showValue,
  signature,
  type WithOptions,
} from "../core/args.ts";
import {
  CPU,
  type Device,
  type DeviceLike,
  isDeviceLike,
  isDeviceString,
  toDevice,
} from "../core/device.ts";
import {
  type DType,
  type DTypeOfTensorType,
  ELEMENT_SIZE,
  halfComputeError,
  type ItemOf,
  int64ToNumber,
  isFloating,
  isHalf,
  type PromoteTypes,
  type Scalar,
  type ScalarDType,
  type SumDType,
  TORCH_TENSOR_TYPES,
  type ToFloating,
  type TorchTensorTypes,
  type TypedArray,
  type WithScalar,
  type WithTensor,
} from "../core/dtype.ts";
import { AutogradError, DeviceError, DTypeError, KilnError, ValueError } from "../core/errors.ts";
import { decodeHalf } from "../core/half.ts";
import type { Generator as RngGenerator } from "../core/rng.ts";
import { contiguousStrides, isContiguous, normalizeDim, type Shape } from "../core/shape.ts";
import type { SizeArgs } from "../ops/creation.ts";
import type * as Cumulative from "../ops/cumulative.ts";
import type { recycleBuffer as RecycleBuffer } from "../ops/dispatch.ts";
import type * as Elementwise from "../ops/elementwise.ts";
import type * as IndexOpsMore from "../ops/index-ops-more.ts";
import type * as Indexing from "../ops/indexing.ts";
import type * as InplaceViews from "../ops/inplace-views.ts";
import type { matmul as Matmul } from "../ops/matmul.ts";
import type * as Movement from "../ops/movement.ts";
import type * as NewTensors from "../ops/new-tensors.ts";
import type * as Norms from "../ops/norms.ts";
import type * as Predicates from "../ops/predicates.ts";
import type * as Products from "../ops/products.ts";
import type * as RandomFill from "../ops/random-fill.ts";
import type * as RandomSampling from "../ops/random-sampling.ts";
import type * as Reduce from "../ops/reduce.ts";
import type * as ReduceMore from "../ops/reduce-more.ts";
import type * as Search from "../ops/search.ts";
import type * as ShapeMore from "../ops/shape-more.ts";
import type * as Sorting from "../ops/sorting.ts";
import type * as Triangular from "../ops/triangular.ts";
import type { ValuesIndices } from "../ops/tuple.ts";
import { addTensorHook, type RemovableHandle, runBackward } from "./autograd.ts";
import { formatTensor } from "./format.ts";
import type { GradHook, Node } from "./graph.ts";

/**
 * The op modules Tensor's methods forward to. NOTE: src/ops builds tensors with this class, so
 * this module cannot import src/ops; src/ops/tensor-methods.ts binds them once, and
 * src/tensor/tensor.ts (the module the rest of Kiln imports) loads that binding first.
 */
export interface TensorOps {
  cu: typeof Cumulative;
  el: typeof Elementwise;
  ix: typeof IndexOpsMore;
  idx: typeof Indexing;
  iv: typeof InplaceViews;
  matmul: typeof Matmul;
  mv: typeof Movement;
  no: typeof Norms;
  nt: typeof NewTensors;
  pd: typeof Predicates;
  pr: typeof Products;
  recycleBuffer: typeof RecycleBuffer;
  red: typeof Reduce;
  rf: typeof RandomFill;
  rm: typeof ReduceMore;
  rs: typeof RandomSampling;
  se: typeof Search;
  sm: typeof ShapeMore;
  so: typeof Sorting;
  tri: typeof Triangular;
}

/** Stands in for an op module until `bindTensorOps` runs: any use says what to import. */
const unbound = new Proxy(() => {}, {
  get: notBound,
  apply: notBound,
}) as never;
function notBound(): never {
  throw new KilnError(
    "Tensor's methods are not bound to Kiln's ops: import Tensor from src/tensor/tensor.ts or " +
      "the package root, not src/tensor/tensor-class.ts",
  );
}

let cu: typeof Cumulative = unbound;
let el: typeof Elementwise = unbound;
let ix: typeof IndexOpsMore = unbound;
let idx: typeof Indexing = unbound;
let iv: typeof InplaceViews = unbound;
let matmul: typeof Matmul = unbound;
let mv: typeof Movement = unbound;
let no: typeof Norms = unbound;
let nt: typeof NewTensors = unbound;
let pd: typeof Predicates = unbound;
let pr: typeof Products = unbound;
let recycleBuffer: typeof RecycleBuffer = unbound;
let red: typeof Reduce = unbound;
let rf: typeof RandomFill = unbound;
let rm: typeof ReduceMore = unbound;
let rs: typeof RandomSampling = unbound;
let se: typeof Search = unbound;
let sm: typeof ShapeMore = unbound;
let so: typeof Sorting = unbound;
let tri: typeof Triangular = unbound;

/** @internal Binds the op modules Tensor's methods forward to (src/ops/tensor-methods.ts). */
export function bindTensorOps(ops: TensorOps): void {
  ({ cu, el, ix, idx, iv, matmul, mv, no, nt, pd, pr, recycleBuffer } = ops);
  ({ red, rf, rm, rs, se, sm, so, tri } = ops);
}

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
  /** The version counter: in-place ops bump it, so autograd can detect a saved tensor changed. */
  version = 0;
  #data: TypedArray | null;
  #freed = "";

  /** Wraps `data`, which the storage then owns. */
  constructor(data: TypedArray) {
    this.#data = data;
  }

  /** The buffer; throws once `free` has handed it over. */
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

/** An operand of a binary op: a tensor, or a JS number or boolean (PyTorch's wrapped number). */
export type Operand = Tensor | Scalar;

/** The dtype of an operand: a tensor's own, or the one `ScalarDType` gives a JS scalar. */
export type OperandDType<O> =
  O extends Tensor<infer B> ? B : O extends Scalar ? ScalarDType<O> : never;

/**
 * torch.result_type of a `Tensor<D>` and the operand `O` at the type level (see `WithTensor` and
 * `WithScalar`): `tensor([1, 2]).mul(2.5)` is float32, `x.float().add(1)` stays float32.
 */
export type ResultDType<D extends DType, O> =
  O extends Tensor<infer B>
    ? WithTensor<D, B>
    : O extends Scalar
      ? WithScalar<D, ScalarDType<O>>
      : never;

/**
 * torch.result_type of two operands, either of which may be a JS scalar (`where(c, a, b)`): two
 * scalars promote as `promoteTypes` does.
 */
export type ResultDType2<A, B> =
  A extends Tensor<infer DA>
    ? ResultDType<DA, B>
    : B extends Tensor<infer DB>
      ? ResultDType<DB, A>
      : PromoteTypes<OperandDType<A>, OperandDType<B>>;

/** The dtype after clamping a `Tensor<D>` to the bound `M`; a tensor bound gives any dtype. */
export type BoundDType<D extends DType, M> = M extends Scalar
  ? WithScalar<D, ScalarDType<M>>
  : M extends null | undefined
    ? D
    : DType;
/** One dimension or several, as reductions take them. */
export type Dims = number | readonly number[];
/** Nested arrays as returned by `toArray()`. */
export type NestedArray = number | boolean | NestedArray[];

/** Options of a reduction: `keepDim` keeps the reduced dimensions with size 1. */
export interface ReduceOptions {
  keepDim?: boolean;
}

/**
 * Options of `backward`: `retainGraph` keeps the graph for another backward pass (default:
 * `createGraph`), `createGraph` records the graph of the gradients (for higher-order gradients),
 * `inputs` limits accumulation into `.grad` to those tensors.
 */
export interface BackwardOptions {
  retainGraph?: boolean | null;
  createGraph?: boolean;
  inputs?: Tensor | readonly Tensor[] | null;
}

/**
 * An n-dimensional array with PyTorch's semantics: dtypes, broadcasting, views that share
 * memory, and reverse-mode autograd.
 *
 * @example const x = tensor([[1, 2], [3, 4]], { requiresGrad: true }); x.mul(x).sum().backward();
 */
export class Tensor<D extends DType = DType> {
  /** The memory this tensor reads and writes, shared with its views. */
  readonly storage: Storage;
  /** The size of each dimension (frozen), as torch.Tensor.shape; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** Elements to step in `storage` per unit of each index (frozen), as torch.Tensor.stride(). */
  readonly strides: readonly number[];
  /** Index in `storage` of the first element, as torch.Tensor.storage_offset(). */
  readonly offset: number;
  /** The element type, also carried in the type: `Tensor<"bool">`, `Tensor<"float32">`. */
  readonly dtype: D;
  /** The tensor this one is a view of, if any. */
  readonly base: Tensor | null;
  #grad: Tensor | null = null;
  /** Whether #grad may be referenced outside autograd and the optimizers (see releaseGrad). */
  #gradSeen = false;
  #requiresGrad = false;
  #gradFn: Node | null = null;
  #view: View | null = null;

  /**
   * A view of `storage`: element `[i0, i1, ...]` is at `offset + Σ i_k·strides[k]`; `base` is the
   * tensor it views, if any. Most code uses `fromData` or the factories instead.
   */
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
    // NOTE: the constructor takes any dtype, so `new Tensor(...)` and `instanceOf(Tensor)` give
    // `Tensor` (D = DType); `fromData` and the ops narrow D where the dtype is known.
    this.dtype = dtype as D;
    this.base = base;
  }

  /** A new contiguous tensor over `data`. */
  static fromData<T extends DType>(data: TypedArray, shape: Shape, dtype: T): Tensor<T> {
    const frozen = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    return new Tensor<T>(
      new Storage(data),
      frozen,
      Object.freeze(contiguousStrides(frozen)),
      0,
      dtype,
    );
  }

  // ---- metadata -------------------------------------------------------------------------

  /** The number of dimensions, `shape.length`, as torch.Tensor.ndim. */
  get ndim(): number {
    return this.shape.length;
  }

  /** The number of dimensions, as torch.Tensor.dim() (the same as `ndim`). */
  dim(): number {
    if (arguments.length > 0) checkArity("dim", arguments, 0);
    return this.shape.length;
  }

  /**
   * Bytes per element, as torch.Tensor.element_size(): float64 and int64 8, float32 and int32 4,
   * float16, bfloat16 and int16 2, int8, uint8 and bool 1.
   */
  elementSize(): number {
    if (arguments.length > 0) checkArity("elementSize", arguments, 0);
    return ELEMENT_SIZE[this.dtype];
  }

  /** The device holding this tensor's memory, as torch.Tensor.device: `cpu` for every backend today. */
  get device(): Device {
    return CPU;
  }

  /** The number of elements, the product of `shape` (1 for a scalar), as torch.Tensor.numel. */
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

  /** Whether the elements lie in row-major order with no gaps, as torch.Tensor.is_contiguous. */
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

  /**
   * Whether autograd records ops on this tensor, as torch.Tensor.requires_grad; setting it calls
   * `requiresGrad_`.
   */
  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }

  set requiresGrad(flag: boolean) {
    this.requiresGrad_(flag);
  }

  /** The recorded op that produced this tensor (null for a leaf), as torch.Tensor.grad_fn. */
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
      [
        gradient: Tensor | null | undefined,
        retainGraph: boolean | null,
        createGraph: boolean,
        inputs: Tensor | readonly Tensor[] | null,
      ],
      BackwardOptions
    >
  ): void;
  backward(_gradient?: unknown, _retainGraph?: unknown, ..._rest: unknown[]): void {
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
    const inputs = p.inputs === null ? null : p.inputs instanceof Tensor ? [p.inputs] : p.inputs;
    if (inputs !== null && inputs.length === 0) {
      throw new ValueError("backward: 'inputs' argument to backward() cannot be empty.");
    }
    runBackward(this, g, p.retainGraph ?? p.createGraph, p.createGraph, inputs);
  }

  /**
   * Registers `hook(grad)`, run each time the gradient with respect to this tensor is computed;
   * a tensor it returns replaces the gradient. Returns a handle whose `remove()` unregisters it.
   * As torch.Tensor.register_hook (leaf and non-leaf tensors that require grad).
   */
  registerHook(hook: GradHook): RemovableHandle {
    if (arguments.length !== 1) checkArity("registerHook", arguments, 1);
    return addTensorHook(this, hook);
  }

  /** A view of the same data that is cut off from the graph. */
  detach(): Tensor<D> {
    if (arguments.length > 0) checkArity("detach", arguments, 0);
    return new Tensor<D>(
      this.storage,
      this.shape,
      this.strides,
      this.offset,
      this.dtype,
      this.base,
    );
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

  /**
   * The single value of a one-element tensor: a boolean for bool, a number otherwise, and
   * `number | boolean` when the dtype is not known at compile time (`Tensor`).
   */
  item(): ItemOf<D> {
    if (arguments.length > 0) checkArity("item", arguments, 0);
    if (this.numel() !== 1) {
      throw new ValueError(
        `item: a Tensor with ${this.numel()} elements cannot be converted to Scalar`,
      );
    }
    const v = this.storage.data[this.offset]!;
    const d: DType = this.dtype;
    if (isHalf(d)) return decodeHalf(d, v) as ItemOf<D>;
    if (d === "int64") return int64ToNumber("item", v as unknown as bigint) as ItemOf<D>;
    return (d === "bool" ? v !== 0 : v) as ItemOf<D>;
  }

  /**
   * The values as nested JS arrays (numbers, booleans for bool), as torch.Tensor.tolist; a 0-d
   * tensor gives its value alone. The same as `toArray`.
   */
  tolist(): NestedArray {
    if (arguments.length > 0) checkArity("tolist", arguments, 0);
    return this.toArray();
  }

  /** The values as nested JS arrays (booleans for bool tensors). */
  toArray(): NestedArray {
    if (arguments.length > 0) checkArity("toArray", arguments, 0);
    const flat = isHalf(this.dtype) ? this.float().dataSync() : this.dataSync();
    const bool = this.dtype === "bool";
    const long = this.dtype === "int64";
    let k = 0;
    const build = (d: number): NestedArray => {
      if (d === this.ndim) {
        const v = flat[k++]!;
        if (long) return int64ToNumber("tolist", v as unknown as bigint);
        return bool ? v !== 0 : v;
      }
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[d]!; i++) out.push(build(d + 1));
      return out;
    };
    return build(0);
  }

  /**
   * A contiguous copy of the values as a typed array: a BigInt64Array for int64 (exact over the
   * whole range), a Uint8Array subclass for uint8 and 0/1 bytes for bool.
   */
  dataSync(this: Tensor<"int64">): BigInt64Array;
  dataSync(): TypedArray;
  dataSync(): TypedArray | BigInt64Array {
    if (arguments.length > 0) checkArity("dataSync", arguments, 0);
    const c = this.contiguous();
    const n = c.numel();
    return c.storage.data.slice(c.offset, c.offset + n);
  }

  /**
   * This tensor in another dtype and/or on another device, as torch.Tensor.to: `x.to(dtype)`,
   * `x.to(device)`, `x.to(device, dtype)`, `x.to(other)` (other's dtype and device),
   * `x.to({ dtype, device, copy })`. Returns this tensor when nothing changes, a copy (on the
   * graph) otherwise or with `copy: true`. The device is "cpu" today; others throw a DeviceError.
   * NOTE: as in PyTorch 1.13, a device with an index (`"cpu:0"`) differs from the tensor's own
   * (`cpu`), so `x.to("cpu:0")` copies. A float value outside int32's range cast to int32 is
   * undefined behaviour in PyTorch, and is not checked here either.
   *
   * @example x.to("float64"); x.to("cpu"); x.to(device("cpu"), "float64"); x.to(y, { copy: true });
   */
  to<T extends DType>(
    dtype: T,
    ...rest: WithOptions<[nonBlocking: boolean, copy: boolean], ToOptions>
  ): Tensor<T>;
  to<T extends DType>(
    device: DeviceLike | null,
    dtype: T,
    ...rest: WithOptions<[nonBlocking: boolean, copy: boolean], ToOptions>
  ): Tensor<T>;
  to(
    device: DeviceLike | null,
    ...rest: WithOptions<[dtype: null, nonBlocking: boolean, copy: boolean], ToOptions>
  ): Tensor<D>;
  to<T extends DType>(
    other: Tensor<T>,
    ...rest: WithOptions<[nonBlocking: boolean, copy: boolean], ToOptions>
  ): Tensor<T>;
  to<T extends DType = D>(options: ToOptions<T>): Tensor<T>;
  to(...args: unknown[]): Tensor {
    const first = args[0];
    if (args.length === 1 && DTYPE.test(first)) return el.cast(this, first as DType);
    return toImpl(this, args);
  }
  /** This tensor, as torch.Tensor.cpu (every Kiln tensor is on the CPU already). */
  cpu(): Tensor<D> {
    if (arguments.length > 0) checkArity("cpu", arguments, 0);
    return this;
  }
  /** Throws a DeviceError listing the available devices: Kiln has no CUDA backend. */
  cuda(..._args: unknown[]): never {
    return toDevice("cuda", "cuda") as never;
  }
  /**
   * `x.type()` is PyTorch's type name ("torch.FloatTensor", "torch.IntTensor", ...);
   * `x.type(dtype)` (or a type name) casts as `x.to(dtype)` does, this tensor when it has it.
   */
  type(): TorchTensorTypes[D];
  type<T extends DType>(dtype: T): Tensor<T>;
  type<S extends TorchTensorTypes[DType]>(typeName: S): Tensor<DTypeOfTensorType<S>>;
  type(dtype?: string): string | Tensor {
    if (arguments.length > 1) checkArity("type", arguments, 1);
    if (dtype === undefined) return TORCH_TENSOR_TYPES[this.dtype];
    const d = DTYPE.test(dtype) ? (dtype as DType) : typeNameDType(dtype);
    if (d === undefined) {
      throw new ValueError(
        `type: argument "dtype" must be a dtype (${DTYPE.expect}) or a type name (${Object.values(TORCH_TENSOR_TYPES).join(", ")}), got ${JSON.stringify(dtype)}`,
      );
    }
    return el.cast(this, d);
  }
  /** A float32 copy (this tensor when it is one already), as torch.Tensor.float. */
  float(): Tensor<"float32"> {
    if (arguments.length > 0) checkArity("float", arguments, 0);
    return el.cast(this, "float32") as Tensor<"float32">;
  }
  /** A float64 copy (this tensor when it is one already), as torch.Tensor.double. */
  double(): Tensor<"float64"> {
    if (arguments.length > 0) checkArity("double", arguments, 0);
    return el.cast(this, "float64") as Tensor<"float64">;
  }
  /** A float16 copy, as torch.Tensor.half (a storage dtype in Kiln: see DType). */
  half(): Tensor<"float16"> {
    if (arguments.length > 0) checkArity("half", arguments, 0);
    return el.cast(this, "float16") as Tensor<"float16">;
  }
  /** A bfloat16 copy, as torch.Tensor.bfloat16 (a storage dtype in Kiln: see DType). */
  bfloat16(): Tensor<"bfloat16"> {
    if (arguments.length > 0) checkArity("bfloat16", arguments, 0);
    return el.cast(this, "bfloat16") as Tensor<"bfloat16">;
  }
  /** An int32 copy (this tensor when it is one already), as torch.Tensor.int. */
  int(): Tensor<"int32"> {
    if (arguments.length > 0) checkArity("int", arguments, 0);
    return el.cast(this, "int32") as Tensor<"int32">;
  }
  /**
   * An int64 copy (this tensor when it is one already), as torch.Tensor.long: floats round
   * towards zero; values must lie within ±(2^53 − 1), where Kiln computes int64 exactly.
   */
  long(): Tensor<"int64"> {
    if (arguments.length > 0) checkArity("long", arguments, 0);
    return el.cast(this, "int64") as Tensor<"int64">;
  }
  /** An int16 copy, as torch.Tensor.short (integers wrap around, floats round towards zero). */
  short(): Tensor<"int16"> {
    if (arguments.length > 0) checkArity("short", arguments, 0);
    return el.cast(this, "int16") as Tensor<"int16">;
  }
  /** An int8 copy, as torch.Tensor.char (integers wrap around, floats round towards zero). */
  char(): Tensor<"int8"> {
    if (arguments.length > 0) checkArity("char", arguments, 0);
    return el.cast(this, "int8") as Tensor<"int8">;
  }
  /** A uint8 copy, as torch.Tensor.byte (integers wrap around, floats round towards zero). */
  byte(): Tensor<"uint8"> {
    if (arguments.length > 0) checkArity("byte", arguments, 0);
    return el.cast(this, "uint8") as Tensor<"uint8">;
  }
  /** A bool copy (this tensor when it is one already), as torch.Tensor.bool. */
  bool(): Tensor<"bool"> {
    if (arguments.length > 0) checkArity("bool", arguments, 0);
    return el.cast(this, "bool") as Tensor<"bool">;
  }
  /** A contiguous copy that keeps the graph and the dtype, as torch.clone. */
  clone(): Tensor<D> {
    if (arguments.length > 0) checkArity("clone", arguments, 0);
    return el.clone(this) as Tensor<D>;
  }

  /**
   * PyTorch's repr: `tensor([1., 2.], requires_grad=True)`, precision 4, long tensors summarised
   * with "...".
   */
  toString(): string {
    return formatTensor(this);
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  // ---- elementwise ----------------------------------------------------------------------

  /** this + alpha·other; `alpha` is keyword-only, as in PyTorch (`x.add(y, 2)` throws). */
  add<O extends Operand>(other: O, options?: AlphaOptions): Tensor<ResultDType<D, O>>;
  add(other: Operand, _options?: unknown): Tensor {
    if (arguments.length > 1) return el.add(this, other, alphaOf(sigs().add, arguments));
    return el.add(this, other);
  }
  /** this - alpha·other; `alpha` is keyword-only, as in PyTorch. */
  sub<O extends Operand>(other: O, options?: AlphaOptions): Tensor<ResultDType<D, O>>;
  sub(other: Operand, _options?: unknown): Tensor {
    if (arguments.length > 1) return el.sub(this, other, alphaOf(sigs().sub, arguments));
    return el.sub(this, other);
  }
  /** this · other, with broadcasting and PyTorch's type promotion. */
  mul<O extends Operand>(other: O): Tensor<ResultDType<D, O>> {
    if (arguments.length > 1) checkArity("mul", arguments, 1);
    return el.mul(this, other) as Tensor<ResultDType<D, O>>;
  }
  /** True division this / other: always floating, as torch.div (an int32 result is float32). */
  div<O extends Operand>(other: O): Tensor<ToFloating<ResultDType<D, O>>> {
    if (arguments.length > 1) checkArity("div", arguments, 1);
    return el.div(this, other) as Tensor<ToFloating<ResultDType<D, O>>>;
  }
  /** this ** exponent elementwise, promoted as torch.pow. */
  pow<O extends Operand>(exponent: O): Tensor<ResultDType<D, O>> {
    if (arguments.length > 1) checkArity("pow", arguments, 1);
    return el.pow(this, exponent) as Tensor<ResultDType<D, O>>;
  }
  /** The larger of this and `other` elementwise, promoted as torch.maximum. */
  maximum<B extends DType>(other: Tensor<B>): Tensor<WithTensor<D, B>> {
    if (arguments.length > 1) checkArity("maximum", arguments, 1);
    return el.maximum(this, other) as Tensor<WithTensor<D, B>>;
  }
  /** The smaller of this and `other` elementwise, promoted as torch.minimum. */
  minimum<B extends DType>(other: Tensor<B>): Tensor<WithTensor<D, B>> {
    if (arguments.length > 1) checkArity("minimum", arguments, 1);
    return el.minimum(this, other) as Tensor<WithTensor<D, B>>;
  }
  /** Python's modulus (the sign of the divisor), as torch.remainder. */
  remainder<O extends Operand>(other: O): Tensor<ResultDType<D, O>> {
    if (arguments.length > 1) checkArity("remainder", arguments, 1);
    return el.remainder(this, other) as Tensor<ResultDType<D, O>>;
  }
  /** C's fmod (the sign of the dividend), as torch.fmod. */
  fmod<O extends Operand>(other: O): Tensor<ResultDType<D, O>> {
    if (arguments.length > 1) checkArity("fmod", arguments, 1);
    return el.fmod(this, other) as Tensor<ResultDType<D, O>>;
  }
  /** floor(this / other), as torch.floor_divide. */
  floorDivide<O extends Operand>(other: O): Tensor<ResultDType<D, O>> {
    if (arguments.length > 1) checkArity("floorDivide", arguments, 1);
    return el.floorDivide(this, other) as Tensor<ResultDType<D, O>>;
  }
  /** -this (bool tensors throw, as in PyTorch: use logicalNot). */
  neg(): Tensor<D> {
    if (arguments.length > 0) checkArity("neg", arguments, 0);
    return el.neg(this) as Tensor<D>;
  }
  /** |this|, in this dtype. */
  abs(): Tensor<D> {
    if (arguments.length > 0) checkArity("abs", arguments, 0);
    return el.abs(this) as Tensor<D>;
  }
  /** Elementwise exp: floating (bool and int32 compute in float32), as torch.exp. */
  exp(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("exp", arguments, 0);
    return el.exp(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise expm1: floating (bool and int32 compute in float32), as torch.expm1. */
  expm1(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("expm1", arguments, 0);
    return el.expm1(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise log: floating (bool and int32 compute in float32), as torch.log. */
  log(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("log", arguments, 0);
    return el.log(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise log1p: floating (bool and int32 compute in float32), as torch.log1p. */
  log1p(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("log1p", arguments, 0);
    return el.log1p(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise sqrt: floating (bool and int32 compute in float32), as torch.sqrt. */
  sqrt(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("sqrt", arguments, 0);
    return el.sqrt(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise rsqrt: floating (bool and int32 compute in float32), as torch.rsqrt. */
  rsqrt(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("rsqrt", arguments, 0);
    return el.rsqrt(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise reciprocal: floating (bool and int32 compute in float32), as torch.reciprocal. */
  reciprocal(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("reciprocal", arguments, 0);
    return el.reciprocal(this) as Tensor<ToFloating<D>>;
  }
  /** this · this, in this dtype. */
  square(): Tensor<D> {
    if (arguments.length > 0) checkArity("square", arguments, 0);
    return el.mul(this, this) as Tensor<D>;
  }
  /** Elementwise sin: floating (bool and int32 compute in float32), as torch.sin. */
  sin(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("sin", arguments, 0);
    return el.sin(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise cos: floating (bool and int32 compute in float32), as torch.cos. */
  cos(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("cos", arguments, 0);
    return el.cos(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise tanh: floating (bool and int32 compute in float32), as torch.tanh. */
  tanh(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("tanh", arguments, 0);
    return el.tanh(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise sigmoid: floating (bool and int32 compute in float32), as torch.sigmoid. */
  sigmoid(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("sigmoid", arguments, 0);
    return el.sigmoid(this) as Tensor<ToFloating<D>>;
  }
  /** max(this, 0), in this dtype. */
  relu(): Tensor<D> {
    if (arguments.length > 0) checkArity("relu", arguments, 0);
    return el.relu(this) as Tensor<D>;
  }
  /** Elementwise erf: floating (bool and int32 compute in float32), as torch.erf. */
  erf(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("erf", arguments, 0);
    return el.erf(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise 2^this: floating (bool and int32 compute in float32), as torch.exp2. */
  exp2(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("exp2", arguments, 0);
    return el.exp2(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise log base 2: floating (bool and int32 compute in float32), as torch.log2. */
  log2(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("log2", arguments, 0);
    return el.log2(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise log base 10: floating (bool and int32 compute in float32), as torch.log10. */
  log10(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("log10", arguments, 0);
    return el.log10(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise tan: floating (bool and int32 compute in float32), as torch.tan. */
  tan(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("tan", arguments, 0);
    return el.tan(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise asin: floating (bool and int32 compute in float32), as torch.asin. */
  asin(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("asin", arguments, 0);
    return el.asin(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise acos: floating (bool and int32 compute in float32), as torch.acos. */
  acos(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("acos", arguments, 0);
    return el.acos(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise atan: floating (bool and int32 compute in float32), as torch.atan. */
  atan(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("atan", arguments, 0);
    return el.atan(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise sinh: floating (bool and int32 compute in float32), as torch.sinh. */
  sinh(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("sinh", arguments, 0);
    return el.sinh(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise cosh: floating (bool and int32 compute in float32), as torch.cosh. */
  cosh(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("cosh", arguments, 0);
    return el.cosh(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise asinh: floating (bool and int32 compute in float32), as torch.asinh. */
  asinh(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("asinh", arguments, 0);
    return el.asinh(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise acosh: floating (bool and int32 compute in float32), as torch.acosh. */
  acosh(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("acosh", arguments, 0);
    return el.acosh(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise atanh: floating (bool and int32 compute in float32), as torch.atanh. */
  atanh(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("atanh", arguments, 0);
    return el.atanh(this) as Tensor<ToFloating<D>>;
  }
  /** Elementwise erfc = 1 − erf: floating (bool and int32 compute in float32), as torch.erfc. */
  erfc(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("erfc", arguments, 0);
    return el.erfc(this) as Tensor<ToFloating<D>>;
  }
  /** atan2(this, other): the angle of the point (other, this), in (−π, π], as torch.atan2; floating. */
  atan2<O extends Operand>(other: O): Tensor<ToFloating<ResultDType<D, O>>> {
    if (arguments.length !== 1) checkArity("atan2", arguments, 1);
    return el.atan2(this, other) as Tensor<ToFloating<ResultDType<D, O>>>;
  }
  /** √(this² + other²) without overflow, as torch.hypot; floating. */
  hypot<O extends Operand>(other: O): Tensor<ToFloating<ResultDType<D, O>>> {
    if (arguments.length !== 1) checkArity("hypot", arguments, 1);
    return el.hypot(this, other) as Tensor<ToFloating<ResultDType<D, O>>>;
  }
  /** log(eᵗʰⁱˢ + eᵒᵗʰᵉʳ) without overflow, as torch.logaddexp; floating. */
  logaddexp<O extends Operand>(other: O): Tensor<ToFloating<ResultDType<D, O>>> {
    if (arguments.length !== 1) checkArity("logaddexp", arguments, 1);
    return el.logaddexp(this, other) as Tensor<ToFloating<ResultDType<D, O>>>;
  }
  /** this · log(other), 0 where this is 0 (and other is not NaN), as torch.xlogy; floating. */
  xlogy<O extends Operand>(other: O): Tensor<ToFloating<ResultDType<D, O>>> {
    if (arguments.length !== 1) checkArity("xlogy", arguments, 1);
    return el.xlogy(this, other) as Tensor<ToFloating<ResultDType<D, O>>>;
  }
  /** -1, 0 or 1 per element, in this dtype. */
  sign(): Tensor<D> {
    if (arguments.length > 0) checkArity("sign", arguments, 0);
    return el.sign(this) as Tensor<D>;
  }
  /** Rounds down, in this dtype. */
  floor(): Tensor<D> {
    if (arguments.length > 0) checkArity("floor", arguments, 0);
    return el.floor(this) as Tensor<D>;
  }
  /** Rounds up, in this dtype. */
  ceil(): Tensor<D> {
    if (arguments.length > 0) checkArity("ceil", arguments, 0);
    return el.ceil(this) as Tensor<D>;
  }
  /** Rounds half to even, in this dtype, as torch.round. */
  round(): Tensor<D> {
    if (arguments.length > 0) checkArity("round", arguments, 0);
    return el.round(this) as Tensor<D>;
  }
  /** Rounds towards zero, in this dtype. */
  trunc(): Tensor<D> {
    if (arguments.length > 0) checkArity("trunc", arguments, 0);
    return el.trunc(this) as Tensor<D>;
  }
  /** A bool tensor telling which elements are NaN. */
  isnan(): Tensor<"bool"> {
    if (arguments.length > 0) checkArity("isnan", arguments, 0);
    return el.isnan(this) as Tensor<"bool">;
  }
  /** Clamps into [min, max]: `x.clamp(0, 1)`, `x.clamp(null, 1)`, `x.clamp({ max: 1 })`. */
  clamp<Min extends Scalar | null = null, Max extends Scalar | null = null>(
    min?: Min,
    max?: Max,
  ): Tensor<NoInfer<BoundDType<BoundDType<D, Min>, Max>>>;
  clamp<O extends ClampOptions>(options: O): Tensor<BoundDType<BoundDType<D, O["min"]>, O["max"]>>;
  clamp(min?: Operand | null | ClampOptions, max?: Operand | null): Tensor;
  clamp(_min?: unknown, _max?: unknown): Tensor {
    const p = parseArgs(sigs().clamp, arguments);
    return el.clamp(this, p.min, p.max);
  }
  /** this + weight · (end - this), as torch.lerp (the dtype as that composition promotes). */
  lerp<E extends DType, W extends Operand>(
    end: Tensor<E>,
    weight: W,
  ): Tensor<WithTensor<D, ResultDType<WithTensor<E, D>, W>>> {
    if (arguments.length > 2) checkArity("lerp", arguments, 2);
    return el.add(this, el.mul(el.sub(end, this), weight)) as Tensor<
      WithTensor<D, ResultDType<WithTensor<E, D>, W>>
    >;
  }

  /** this == other elementwise with broadcasting: a bool tensor. */
  eq(other: Operand): Tensor<"bool"> {
    if (arguments.length > 1) checkArity("eq", arguments, 1);
    return el.eq(this, other) as Tensor<"bool">;
  }
  /** this != other elementwise with broadcasting: a bool tensor. */
  ne(other: Operand): Tensor<"bool"> {
    if (arguments.length > 1) checkArity("ne", arguments, 1);
    return el.ne(this, other) as Tensor<"bool">;
  }
  /** this < other elementwise with broadcasting: a bool tensor. */
  lt(other: Operand): Tensor<"bool"> {
    if (arguments.length > 1) checkArity("lt", arguments, 1);
    return el.lt(this, other) as Tensor<"bool">;
  }
  /** this <= other elementwise with broadcasting: a bool tensor. */
  le(other: Operand): Tensor<"bool"> {
    if (arguments.length > 1) checkArity("le", arguments, 1);
    return el.le(this, other) as Tensor<"bool">;
  }
  /** this > other elementwise with broadcasting: a bool tensor. */
  gt(other: Operand): Tensor<"bool"> {
    if (arguments.length > 1) checkArity("gt", arguments, 1);
    return el.gt(this, other) as Tensor<"bool">;
  }
  /** this >= other elementwise with broadcasting: a bool tensor. */
  ge(other: Operand): Tensor<"bool"> {
    if (arguments.length > 1) checkArity("ge", arguments, 1);
    return el.ge(this, other) as Tensor<"bool">;
  }
  /** Elementwise not of the truth values (nonzero is true): a bool tensor. */
  logicalNot(): Tensor<"bool"> {
    if (arguments.length > 0) checkArity("logicalNot", arguments, 0);
    return el.logicalNot(this) as Tensor<"bool">;
  }
  /** Elementwise and of the truth values (nonzero is true): a bool tensor. */
  logicalAnd(other: Operand): Tensor<"bool"> {
    if (arguments.length > 1) checkArity("logicalAnd", arguments, 1);
    return el.logicalAnd(this, other) as Tensor<"bool">;
  }
  /** Elementwise or of the truth values (nonzero is true): a bool tensor. */
  logicalOr(other: Operand): Tensor<"bool"> {
    if (arguments.length > 1) checkArity("logicalOr", arguments, 1);
    return el.logicalOr(this, other) as Tensor<"bool">;
  }
  /** Elementwise xor of the truth values (nonzero is true): a bool tensor. */
  logicalXor(other: Operand): Tensor<"bool"> {
    if (arguments.length > 1) checkArity("logicalXor", arguments, 1);
    return el.logicalXor(this, other) as Tensor<"bool">;
  }

  // ---- in place -------------------------------------------------------------------------

  /**
   * In-place `add`: `this += alpha·other` (broadcast to this tensor's shape), as torch.Tensor.add_;
   * returns this.
   */
  add_(other: Operand, options?: AlphaOptions): this;
  add_(other: Operand, _options?: unknown): this {
    const o = arguments.length > 1 ? alphaOf(sigs().add_, arguments) : undefined;
    el.checkOperand("add_", "other", other);
    return el.inplace(this, "add_", (x) => el.add(x, other, o), [other]);
  }
  /**
   * In-place `sub`: `this -= alpha·other` (broadcast to this tensor's shape), as torch.Tensor.sub_;
   * returns this.
   */
  sub_(other: Operand, options?: AlphaOptions): this;
  sub_(other: Operand, _options?: unknown): this {
    const o = arguments.length > 1 ? alphaOf(sigs().sub_, arguments) : undefined;
    el.checkOperand("sub_", "other", other);
    return el.inplace(this, "sub_", (x) => el.sub(x, other, o), [other]);
  }
  /**
   * In-place `mul`: `this *= other` (broadcast to this tensor's shape), as torch.Tensor.mul_;
   * returns this.
   */
  mul_(other: Operand): this {
    if (arguments.length > 1) checkArity("mul_", arguments, 1);
    el.checkOperand("mul_", "other", other);
    return el.inplace(this, "mul_", (x) => el.mul(x, other), [other]);
  }
  /**
   * In-place true division `this /= other`, as torch.Tensor.div_ (int32 and bool throw: the
   * quotient is floating); returns this.
   */
  div_(other: Operand): this {
    if (arguments.length > 1) checkArity("div_", arguments, 1);
    el.checkOperand("div_", "other", other);
    return el.inplace(this, "div_", (x) => el.div(x, other), [other]);
  }
  /** In-place `pow`: `this = this ** exponent`, as torch.Tensor.pow_; returns this. */
  pow_(exponent: Operand): this {
    if (arguments.length > 1) checkArity("pow_", arguments, 1);
    el.checkOperand("pow_", "exponent", exponent);
    return el.inplace(this, "pow_", (x) => el.pow(x, exponent), [exponent]);
  }
  /**
   * In-place `clamp`: `this = min(max(this, min), max)`, either bound null to skip it, as
   * torch.Tensor.clamp_; returns this.
   */
  clamp_(min?: Operand | null | ClampOptions, max?: Operand | null): this;
  clamp_(_min?: unknown, _max?: unknown): this {
    const p = parseArgs(sigs().clamp_, arguments);
    return el.inplace(this, "clamp_", (x) => el.clamp(x, p.min, p.max), [p.min, p.max]);
  }
  /**
   * In-place `sqrt`, as torch.Tensor.sqrt_ (int32 and bool throw: the result is floating); returns
   * this.
   */
  sqrt_(): this {
    if (arguments.length > 0) checkArity("sqrt_", arguments, 0);
    return el.inplace(this, "sqrt_", (x) => el.sqrt(x), []);
  }
  /** In-place `neg`: `this = -this`, as torch.Tensor.neg_ (bool throws); returns this. */
  neg_(): this {
    if (arguments.length > 0) checkArity("neg_", arguments, 0);
    return el.inplace(this, "neg_", (x) => el.neg(x), []);
  }
  /** In-place `relu`: `this = max(this, 0)`, as torch.Tensor.relu_; returns this. */
  relu_(): this {
    if (arguments.length > 0) checkArity("relu_", arguments, 0);
    return el.reluInplace(this);
  }
  /**
   * In-place `sigmoid`: `this = 1 / (1 + e^−this)`, as torch.Tensor.sigmoid_ (int32 and bool
   * throw); returns this.
   */
  sigmoid_(): this {
    if (arguments.length > 0) checkArity("sigmoid_", arguments, 0);
    return el.inplace(this, "sigmoid_", (x) => el.sigmoid(x), []);
  }
  /** In-place `abs`, as torch.Tensor.abs_; returns this. */
  abs_(): this {
    if (arguments.length > 0) checkArity("abs_", arguments, 0);
    return el.inplace(this, "abs_", (x) => el.abs(x), []);
  }
  /** In-place `exp`, as torch.Tensor.exp_ (int32 and bool throw: the result is floating); returns this. */
  exp_(): this {
    if (arguments.length > 0) checkArity("exp_", arguments, 0);
    return el.inplace(this, "exp_", (x) => el.exp(x), []);
  }
  /** In-place `expm1`, as torch.Tensor.expm1_ (int32 and bool throw: the result is floating); returns this. */
  expm1_(): this {
    if (arguments.length > 0) checkArity("expm1_", arguments, 0);
    return el.inplace(this, "expm1_", (x) => el.expm1(x), []);
  }
  /** In-place `exp2`, as torch.Tensor.exp2_ (int32 and bool throw: the result is floating); returns this. */
  exp2_(): this {
    if (arguments.length > 0) checkArity("exp2_", arguments, 0);
    return el.inplace(this, "exp2_", (x) => el.exp2(x), []);
  }
  /** In-place `log`, as torch.Tensor.log_ (int32 and bool throw: the result is floating); returns this. */
  log_(): this {
    if (arguments.length > 0) checkArity("log_", arguments, 0);
    return el.inplace(this, "log_", (x) => el.log(x), []);
  }
  /** In-place `log1p`, as torch.Tensor.log1p_ (int32 and bool throw: the result is floating); returns this. */
  log1p_(): this {
    if (arguments.length > 0) checkArity("log1p_", arguments, 0);
    return el.inplace(this, "log1p_", (x) => el.log1p(x), []);
  }
  /** In-place `log2`, as torch.Tensor.log2_ (int32 and bool throw: the result is floating); returns this. */
  log2_(): this {
    if (arguments.length > 0) checkArity("log2_", arguments, 0);
    return el.inplace(this, "log2_", (x) => el.log2(x), []);
  }
  /** In-place `log10`, as torch.Tensor.log10_ (int32 and bool throw: the result is floating); returns this. */
  log10_(): this {
    if (arguments.length > 0) checkArity("log10_", arguments, 0);
    return el.inplace(this, "log10_", (x) => el.log10(x), []);
  }
  /** In-place `rsqrt`, as torch.Tensor.rsqrt_ (int32 and bool throw: the result is floating); returns this. */
  rsqrt_(): this {
    if (arguments.length > 0) checkArity("rsqrt_", arguments, 0);
    return el.inplace(this, "rsqrt_", (x) => el.rsqrt(x), []);
  }
  /** In-place `reciprocal`, as torch.Tensor.reciprocal_ (int32 and bool throw: the result is floating); returns this. */
  reciprocal_(): this {
    if (arguments.length > 0) checkArity("reciprocal_", arguments, 0);
    return el.inplace(this, "reciprocal_", (x) => el.reciprocal(x), []);
  }
  /** In-place `sin`, as torch.Tensor.sin_ (int32 and bool throw: the result is floating); returns this. */
  sin_(): this {
    if (arguments.length > 0) checkArity("sin_", arguments, 0);
    return el.inplace(this, "sin_", (x) => el.sin(x), []);
  }
  /** In-place `cos`, as torch.Tensor.cos_ (int32 and bool throw: the result is floating); returns this. */
  cos_(): this {
    if (arguments.length > 0) checkArity("cos_", arguments, 0);
    return el.inplace(this, "cos_", (x) => el.cos(x), []);
  }
  /** In-place `tan`, as torch.Tensor.tan_ (int32 and bool throw: the result is floating); returns this. */
  tan_(): this {
    if (arguments.length > 0) checkArity("tan_", arguments, 0);
    return el.inplace(this, "tan_", (x) => el.tan(x), []);
  }
  /** In-place `asin`, as torch.Tensor.asin_ (int32 and bool throw: the result is floating); returns this. */
  asin_(): this {
    if (arguments.length > 0) checkArity("asin_", arguments, 0);
    return el.inplace(this, "asin_", (x) => el.asin(x), []);
  }
  /** In-place `acos`, as torch.Tensor.acos_ (int32 and bool throw: the result is floating); returns this. */
  acos_(): this {
    if (arguments.length > 0) checkArity("acos_", arguments, 0);
    return el.inplace(this, "acos_", (x) => el.acos(x), []);
  }
  /** In-place `atan`, as torch.Tensor.atan_ (int32 and bool throw: the result is floating); returns this. */
  atan_(): this {
    if (arguments.length > 0) checkArity("atan_", arguments, 0);
    return el.inplace(this, "atan_", (x) => el.atan(x), []);
  }
  /** In-place `sinh`, as torch.Tensor.sinh_ (int32 and bool throw: the result is floating); returns this. */
  sinh_(): this {
    if (arguments.length > 0) checkArity("sinh_", arguments, 0);
    return el.inplace(this, "sinh_", (x) => el.sinh(x), []);
  }
  /** In-place `cosh`, as torch.Tensor.cosh_ (int32 and bool throw: the result is floating); returns this. */
  cosh_(): this {
    if (arguments.length > 0) checkArity("cosh_", arguments, 0);
    return el.inplace(this, "cosh_", (x) => el.cosh(x), []);
  }
  /** In-place `tanh`, as torch.Tensor.tanh_ (int32 and bool throw: the result is floating); returns this. */
  tanh_(): this {
    if (arguments.length > 0) checkArity("tanh_", arguments, 0);
    return el.inplace(this, "tanh_", (x) => el.tanh(x), []);
  }
  /** In-place `asinh`, as torch.Tensor.asinh_ (int32 and bool throw: the result is floating); returns this. */
  asinh_(): this {
    if (arguments.length > 0) checkArity("asinh_", arguments, 0);
    return el.inplace(this, "asinh_", (x) => el.asinh(x), []);
  }
  /** In-place `acosh`, as torch.Tensor.acosh_ (int32 and bool throw: the result is floating); returns this. */
  acosh_(): this {
    if (arguments.length > 0) checkArity("acosh_", arguments, 0);
    return el.inplace(this, "acosh_", (x) => el.acosh(x), []);
  }
  /** In-place `atanh`, as torch.Tensor.atanh_ (int32 and bool throw: the result is floating); returns this. */
  atanh_(): this {
    if (arguments.length > 0) checkArity("atanh_", arguments, 0);
    return el.inplace(this, "atanh_", (x) => el.atanh(x), []);
  }
  /** In-place `erf`, as torch.Tensor.erf_ (int32 and bool throw: the result is floating); returns this. */
  erf_(): this {
    if (arguments.length > 0) checkArity("erf_", arguments, 0);
    return el.inplace(this, "erf_", (x) => el.erf(x), []);
  }
  /** In-place `erfc`, as torch.Tensor.erfc_ (int32 and bool throw: the result is floating); returns this. */
  erfc_(): this {
    if (arguments.length > 0) checkArity("erfc_", arguments, 0);
    return el.inplace(this, "erfc_", (x) => el.erfc(x), []);
  }
  /** In-place `sign`, as torch.Tensor.sign_; returns this. */
  sign_(): this {
    if (arguments.length > 0) checkArity("sign_", arguments, 0);
    return el.inplace(this, "sign_", (x) => el.sign(x), []);
  }
  /** In-place `floor`, as torch.Tensor.floor_; returns this. */
  floor_(): this {
    if (arguments.length > 0) checkArity("floor_", arguments, 0);
    return el.inplace(this, "floor_", (x) => el.floor(x), []);
  }
  /** In-place `ceil`, as torch.Tensor.ceil_; returns this. */
  ceil_(): this {
    if (arguments.length > 0) checkArity("ceil_", arguments, 0);
    return el.inplace(this, "ceil_", (x) => el.ceil(x), []);
  }
  /** In-place `round`, as torch.Tensor.round_; returns this. */
  round_(): this {
    if (arguments.length > 0) checkArity("round_", arguments, 0);
    return el.inplace(this, "round_", (x) => el.round(x), []);
  }
  /** In-place `trunc`, as torch.Tensor.trunc_; returns this. */
  trunc_(): this {
    if (arguments.length > 0) checkArity("trunc_", arguments, 0);
    return el.inplace(this, "trunc_", (x) => el.trunc(x), []);
  }
  /** In-place `atan2(other)`, as torch.Tensor.atan2_; returns this. */
  atan2_(other: Operand): this {
    if (arguments.length !== 1) checkArity("atan2_", arguments, 1);
    el.checkOperand("atan2_", "other", other);
    return el.inplace(this, "atan2_", (x) => el.atan2(x, other), [other]);
  }
  /** In-place `hypot(other)`, as torch.Tensor.hypot_; returns this. */
  hypot_(other: Operand): this {
    if (arguments.length !== 1) checkArity("hypot_", arguments, 1);
    el.checkOperand("hypot_", "other", other);
    return el.inplace(this, "hypot_", (x) => el.hypot(x, other), [other]);
  }
  /** In-place `xlogy(other)`, as torch.Tensor.xlogy_; returns this. */
  xlogy_(other: Operand): this {
    if (arguments.length !== 1) checkArity("xlogy_", arguments, 1);
    el.checkOperand("xlogy_", "other", other);
    return el.inplace(this, "xlogy_", (x) => el.xlogy(x, other), [other]);
  }
  /** In-place `fmod(other)`, as torch.Tensor.fmod_; returns this. */
  fmod_(other: Operand): this {
    if (arguments.length !== 1) checkArity("fmod_", arguments, 1);
    el.checkOperand("fmod_", "other", other);
    return el.inplace(this, "fmod_", (x) => el.fmod(x, other), [other]);
  }
  /** In-place `remainder(other)`, as torch.Tensor.remainder_; returns this. */
  remainder_(other: Operand): this {
    if (arguments.length !== 1) checkArity("remainder_", arguments, 1);
    el.checkOperand("remainder_", "other", other);
    return el.inplace(this, "remainder_", (x) => el.remainder(x, other), [other]);
  }
  /** In-place `floorDivide(other)`, as torch.Tensor.floor_divide_; returns this. */
  floorDivide_(other: Operand): this {
    if (arguments.length !== 1) checkArity("floorDivide_", arguments, 1);
    el.checkOperand("floorDivide_", "other", other);
    return el.inplace(this, "floorDivide_", (x) => el.floorDivide(x, other), [other]);
  }
  /** In-place `lerp`: `this += weight·(end − this)`, as torch.Tensor.lerp_; returns this. */
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
  /** Sets every element to `value` (cast to this dtype), as torch.Tensor.fill_; returns this. */
  fill_(value: Operand): this {
    if (arguments.length !== 1) parseArgs(sigs().fill_, arguments);
    return el.inplace(this, "fill_", (x) => el.fullLikeOf(x, value, "fill_"), [value]);
  }
  /** Sets every element to 0, as torch.Tensor.zero_; returns this. */
  zero_(): this {
    if (arguments.length > 0) checkArity("zero_", arguments, 0);
    return this.fill_(0);
  }
  /** Copies `src` (broadcast to this shape, cast to this dtype) into this tensor. */
  copy_(src: Tensor): this {
    if (arguments.length !== 1 || !(src instanceof Tensor)) parseArgs(sigs().copy_, arguments);
    return el.copyInto(this, src);
  }
  /**
   * In-place `maskedFill`: `value` where the bool `mask` (broadcast to this shape) is true, as
   * torch.Tensor.masked_fill_; returns this.
   */
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
  ): Tensor<SumDType<D>>;
  sum(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    if (arguments.length === 0) return red.sum(this, null, false);
    const p = parseArgs(sigs().sum, arguments);
    return red.sum(this, p.dim, p.keepDim);
  }
  /** Mean over `dim` (all dims when absent or null); floating dtypes only, as torch.mean. */
  mean(
    ...args: WithOptions<[dim: Dims | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor<ToFloating<D>>;
  mean(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    if (arguments.length === 0) return red.mean(this, null, false);
    const p = parseArgs(sigs().mean, arguments);
    return red.mean(this, p.dim, p.keepDim);
  }
  /** Product over `dim` (all dims when absent or null); bool and int32 give int32, as torch.prod. */
  prod(
    ...args: WithOptions<[dim: number | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor<SumDType<D>>;
  prod(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = parseArgs(sigs().prod, arguments);
    return red.prod(this, p.dim, p.keepDim);
  }
  /**
   * `max()` is the largest value; `max(dim, keepDim?)` gives `[values, indices]` (also as fields);
   * `max(t)` is maximum.
   */
  max(): Tensor<D>;
  max(...args: WithOptions<[dim: number, keepDim: boolean], ReduceOptions>): ValuesIndices<D>;
  max<B extends DType>(other: Tensor<B>): Tensor<WithTensor<D, B>>;
  max(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor | ValuesIndices<D> {
    return maxMin(this, "max", arguments) as Tensor | ValuesIndices<D>;
  }
  /**
   * `min()` is the smallest value; `min(dim, keepDim?)` gives `[values, indices]` (also as fields);
   * `min(t)` is minimum.
   */
  min(): Tensor<D>;
  min(...args: WithOptions<[dim: number, keepDim: boolean], ReduceOptions>): ValuesIndices<D>;
  min<B extends DType>(other: Tensor<B>): Tensor<WithTensor<D, B>>;
  min(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor | ValuesIndices<D> {
    return maxMin(this, "min", arguments) as Tensor | ValuesIndices<D>;
  }
  /** Largest values over `dim` (all dims when absent or null), as torch.amax. */
  amax(
    ...args: WithOptions<[dim: Dims | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor<D>;
  amax(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = parseArgs(sigs().amax, arguments);
    return red.amax(this, "max", p.dim, p.keepDim);
  }
  /** Smallest values over `dim` (all dims when absent or null), as torch.amin. */
  amin(
    ...args: WithOptions<[dim: Dims | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor<D>;
  amin(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = parseArgs(sigs().amin, arguments);
    return red.amax(this, "min", p.dim, p.keepDim);
  }
  /** The index of the first largest value over `dim` (of the flattened tensor when absent): int32. */
  argmax(
    ...args: WithOptions<[dim: number | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor<"int32">;
  argmax(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = parseArgs(sigs().argmax, arguments);
    return red.argReduce(this, "argmax", p.dim, p.keepDim);
  }
  /** The index of the first smallest value over `dim` (of the flattened tensor when absent): int32. */
  argmin(
    ...args: WithOptions<[dim: number | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor<"int32">;
  argmin(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = parseArgs(sigs().argmin, arguments);
    return red.argReduce(this, "argmin", p.dim, p.keepDim);
  }
  /**
   * Variance with Bessel's correction by default (`correction: 1`), as torch.var:
   * `var(dim, unbiased, keepDim, { correction })`, or `var(unbiased)` over all elements.
   */
  var(unbiased: boolean): Tensor<ToFloating<D>>;
  var(
    ...args: WithOptions<
      [dim: Dims | null | undefined, unbiased: boolean, keepDim: boolean],
      VarOptions
    >
  ): Tensor<ToFloating<D>>;
  var(_dim?: unknown, _unbiased?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = varArgs(this, "var", arguments);
    return red.variance(this, p.dim, p);
  }
  /** Standard deviation, with `var`'s arguments, as torch.std. */
  std(unbiased: boolean): Tensor<ToFloating<D>>;
  std(
    ...args: WithOptions<
      [dim: Dims | null | undefined, unbiased: boolean, keepDim: boolean],
      VarOptions
    >
  ): Tensor<ToFloating<D>>;
  std(_dim?: unknown, _unbiased?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = varArgs(this, "std", arguments);
    return red.std(this, p.dim, p);
  }
  /** log(sum(exp(x))) over `dim`, computed stably; floating (int32 in float32), as torch.logsumexp. */
  logsumexp(
    ...args: WithOptions<[dim: Dims, keepDim: boolean], ReduceOptions>
  ): Tensor<ToFloating<D>>;
  logsumexp(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = parseArgs(sigs().logsumexp, arguments);
    return red.logsumexp(this, p.dim, p.keepDim);
  }
  /** Whether any element over `dim` (all dims when absent or null) is nonzero: a bool tensor. */
  any(
    ...args: WithOptions<[dim: Dims | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor<"bool">;
  any(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = parseArgs(sigs().any, arguments);
    return red.anyAll(this, "any", p.dim, p.keepDim);
  }
  /** Whether every element over `dim` (all dims when absent or null) is nonzero: a bool tensor. */
  all(
    ...args: WithOptions<[dim: Dims | null | undefined, keepDim: boolean], ReduceOptions>
  ): Tensor<"bool">;
  all(_dim?: unknown, _keepDim?: unknown, _options?: unknown): Tensor {
    const p = parseArgs(sigs().all, arguments);
    return red.anyAll(this, "all", p.dim, p.keepDim);
  }
  /** Inclusive cumulative sum along `dim`; bool and int32 give int32, as torch.cumsum. */
  cumsum(dim: number): Tensor<SumDType<D>> {
    if (arguments.length !== 1 || !Number.isInteger(dim)) parseArgs(sigs().cumsum, arguments);
    return red.cumsum(this, dim) as Tensor<SumDType<D>>;
  }

  // ---- views and movement ---------------------------------------------------------------

  /** The same values in `shape` (-1 inferred): a view when the strides allow, else a copy. */
  reshape(...shape: number[] | [readonly number[]]): Tensor<D> {
    return mv.reshape(this, mv.shapeArgs("reshape", shape)) as Tensor<D>;
  }
  /** A view in `shape` (-1 inferred); throws when the strides do not allow it, as torch.view. */
  view(...shape: number[] | [readonly number[]]): Tensor<D> {
    return mv.view(this, mv.shapeArgs("view", shape)) as Tensor<D>;
  }
  /** Flattens dims startDim..endDim into one (a view when possible), as torch.flatten. */
  flatten(startDim = 0, endDim = -1): Tensor<D> {
    if (arguments.length > 0) parseArgs(sigs().flatten, arguments);
    return mv.flatten(this, startDim, endDim) as Tensor<D>;
  }
  /** Removes size-1 dims (only `dim` when given), as a view. */
  squeeze(dim?: number): Tensor<D> {
    if (arguments.length > 0) parseArgs(sigs().squeeze, arguments);
    return mv.squeeze(this, dim) as Tensor<D>;
  }
  /** Inserts a size-1 dim at `dim`, as a view. */
  unsqueeze(dim: number): Tensor<D> {
    if (arguments.length !== 1 || !Number.isInteger(dim)) parseArgs(sigs().unsqueeze, arguments);
    return mv.unsqueeze(this, dim) as Tensor<D>;
  }
  /** Reorders the dims, as a view. */
  permute(...dims: number[] | [readonly number[]]): Tensor<D> {
    return mv.permute(this, mv.shapeArgs("permute", dims)) as Tensor<D>;
  }
  /** Swaps two dims, as a view. */
  transpose(dim0: number, dim1: number): Tensor<D> {
    if (arguments.length !== 2 || !Number.isInteger(dim0) || !Number.isInteger(dim1)) {
      parseArgs(sigs().transpose, arguments);
    }
    return mv.transpose(this, dim0, dim1) as Tensor<D>;
  }
  /** Transpose of a tensor with at most 2 dimensions. */
  t(): Tensor<D> {
    if (arguments.length > 0) checkArity("t", arguments, 0);
    return mv.t(this) as Tensor<D>;
  }
  /**
   * The dims reversed, as torch.Tensor.T (a view; `t()` for up to 2 dims). PyTorch deprecates it
   * beyond 2 dims but still reverses them; Kiln does the same.
   */
  get T(): Tensor<D> {
    return mv.permute(
      this,
      this.shape.map((_, i) => this.ndim - 1 - i),
    ) as Tensor<D>;
  }
  /** The last two dims swapped, as torch.Tensor.mT (a view; at least 2 dims). */
  get mT(): Tensor<D> {
    if (this.ndim < 2) {
      throw new ValueError(
        `mT: tensor.mT is only supported on matrices or batches of matrices. Got ${this.ndim}-D tensor.`,
      );
    }
    return mv.transpose(this, -2, -1) as Tensor<D>;
  }
  /**
   * The same data cut off from the graph, as torch.Tensor.data: in-place changes through it reach
   * this tensor without autograd seeing them (its version counter is its own).
   */
  get data(): Tensor<D> {
    const alias = new Storage(this.storage.data);
    return new Tensor<D>(alias, this.shape, this.strides, this.offset, this.dtype);
  }
  /** `x.data = y`: this tensor now holds y's data (shape and dtype too), as PyTorch's setter. */
  set data(value: Tensor) {
    if (!(value instanceof Tensor)) {
      throw new ValueError(`data: Variable data has to be a tensor, but got ${showValue(value)}`);
    }
    if (this.requiresGrad && !isFloating(value.dtype)) {
      throw new DTypeError(
        `data: data set to a tensor that requires gradients must be floating point or complex dtype, got ${value.dtype}`,
      );
    }
    this.replaceData_(value);
  }
  /** The stride of every dim (elements), or of `dim`, as torch.Tensor.stride. */
  stride(): readonly number[];
  stride(dim: number): number;
  stride(dim?: number): readonly number[] | number {
    if (arguments.length > 1) checkArity("stride", arguments, 1);
    if (dim === undefined) return [...this.strides];
    return this.strides[normalizeDim("stride", dim, this.ndim)]!;
  }
  /** The element offset of this view into its storage, as torch.Tensor.storage_offset. */
  storageOffset(): number {
    if (arguments.length > 0) checkArity("storageOffset", arguments, 0);
    return this.offset;
  }
  /** `x.to(other.dtype)`, as torch.Tensor.type_as. */
  typeAs<T extends DType>(other: Tensor<T>): Tensor<T> {
    if (arguments.length !== 1) checkArity("typeAs", arguments, 1);
    if (!(other instanceof Tensor)) {
      throw new ValueError(`typeAs: argument "other" must be a Tensor, got ${showValue(other)}`);
    }
    return this.to(other.dtype) as unknown as Tensor<T>;
  }
  /** False: Kiln's memory is never pinned (there is no accelerator to pin it for). */
  isPinned(): boolean {
    if (arguments.length > 0) checkArity("isPinned", arguments, 0);
    return false;
  }
  /**
   * Throws a DeviceError, as PyTorch without CUDA does: pinned memory serves copies to an
   * accelerator, and Kiln has none (DataLoader's pinMemory option is accepted and does nothing).
   */
  pinMemory(): never {
    throw new DeviceError(
      "pinMemory: pinned memory needs an accelerator device and none is available (Kiln computes on the CPU; leave the tensor as it is)",
    );
  }
  /** Alias of `acos`, as torch.Tensor.arccos. */
  arccos(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("arccos", arguments, 0);
    return el.acos(this) as Tensor<ToFloating<D>>;
  }
  /** Alias of `asin`, as torch.Tensor.arcsin. */
  arcsin(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("arcsin", arguments, 0);
    return el.asin(this) as Tensor<ToFloating<D>>;
  }
  /** Alias of `atan`, as torch.Tensor.arctan. */
  arctan(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("arctan", arguments, 0);
    return el.atan(this) as Tensor<ToFloating<D>>;
  }
  /** Alias of `acosh`, as torch.Tensor.arccosh. */
  arccosh(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("arccosh", arguments, 0);
    return el.acosh(this) as Tensor<ToFloating<D>>;
  }
  /** Alias of `asinh`, as torch.Tensor.arcsinh. */
  arcsinh(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("arcsinh", arguments, 0);
    return el.asinh(this) as Tensor<ToFloating<D>>;
  }
  /** Alias of `atan2`, as torch.Tensor.arctan2. */
  arctan2<O extends Operand>(other: O): Tensor<ToFloating<ResultDType<D, O>>> {
    if (arguments.length !== 1) checkArity("arctan2", arguments, 1);
    return el.atan2(this, other) as Tensor<ToFloating<ResultDType<D, O>>>;
  }
  /** Alias of `atanh`, as torch.Tensor.arctanh. */
  arctanh(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("arctanh", arguments, 0);
    return el.atanh(this) as Tensor<ToFloating<D>>;
  }
  /** Broadcasts size-1 dims to `shape` (-1 keeps a dim), as a view. */
  expand(...shape: number[] | [readonly number[]]): Tensor<D> {
    return mv.expand(this, mv.shapeArgs("expand", shape)) as Tensor<D>;
  }
  /** `expand(other.shape)`: a broadcast view. */
  expandAs(other: Tensor): Tensor<D> {
    if (arguments.length !== 1 || !(other instanceof Tensor)) {
      parseArgs(sigs().expandAs, arguments);
    }
    return mv.expand(this, other.shape) as Tensor<D>;
  }
  /** This tensor when contiguous, else a contiguous copy. */
  contiguous(): Tensor<D> {
    if (arguments.length > 0) checkArity("contiguous", arguments, 0);
    return this.isContiguous() ? this : (el.clone(this) as Tensor<D>);
  }
  /** The view of `length` entries of `dim` from `start`, as torch.narrow. */
  narrow(dim: number, start: number, length: number): Tensor<D> {
    parseArgs(sigs().narrow, arguments);
    return mv.narrow(this, dim, start, length) as Tensor<D>;
  }
  /** The view at `index` of `dim`, which it removes, as torch.select. */
  select(dim: number, index: number): Tensor<D> {
    parseArgs(sigs().select, arguments);
    return mv.select(this, dim, index) as Tensor<D>;
  }
  /** Pieces of `splitSize` (or of the listed sizes) along `dim`, as views. */
  split(splitSize: number | readonly number[], dim = 0): Tensor<D>[] {
    parseArgs(sigs().split, arguments);
    return mv.split(this, splitSize, dim) as Tensor<D>[];
  }
  /** `chunks` nearly equal pieces along `dim`, as views. */
  chunk(chunks: number, dim = 0): Tensor<D>[] {
    parseArgs(sigs().chunk, arguments);
    return mv.chunk(this, chunks, dim) as Tensor<D>[];
  }
  /** Tiles the tensor `sizes` times along each dim, as torch.Tensor.repeat. */
  repeat(...sizes: number[] | [readonly number[]]): Tensor<D> {
    return mv.repeat(this, mv.shapeArgs("repeat", sizes)) as Tensor<D>;
  }
  /** Reverses along `dims`: `x.flip(0)`, `x.flip(0, 1)` or `x.flip([0, 1])`. */
  flip(...dims: number[] | [readonly number[]]): Tensor<D> {
    return mv.flip(this, mv.shapeArgs("flip", dims)) as Tensor<D>;
  }
  /** The matrix product (1-D, 2-D and batched with broadcasting); both operands of one dtype. */
  matmul<B extends DType>(other: Tensor<B>): Tensor<Extract<D, B>> {
    if (arguments.length > 1) checkArity("matmul", arguments, 1);
    return matmul(this, other) as Tensor<Extract<D, B>>;
  }

  // ---- indexing -------------------------------------------------------------------------

  /** PyTorch's `t[...]`: one argument per subscript (see `Subscript`). */
  index(...subscripts: Subscript[]): Tensor<D> {
    return idx.index(this, subscripts) as Tensor<D>;
  }
  /** A copy with `value` where `mask` is true, in this dtype, as torch.masked_fill. */
  maskedFill(mask: Tensor, value: Operand): Tensor<D> {
    if (arguments.length !== 2) parseArgs(sigs().maskedFill, arguments);
    return idx.maskedFill(this, mask, value) as Tensor<D>;
  }
  /** The elements where `mask` (broadcast) is true, as a 1-D tensor. */
  maskedSelect(mask: Tensor): Tensor<D> {
    if (arguments.length !== 1) parseArgs(sigs().maskedSelect, arguments);
    return idx.maskedSelect(this, mask) as Tensor<D>;
  }
  /** The indices of the nonzero elements, [count, ndim] int32 (int64 in PyTorch). */
  nonzero(): Tensor<"int32"> {
    if (arguments.length > 0) checkArity("nonzero", arguments, 0);
    return idx.nonzero(this) as Tensor<"int32">;
  }
  /** Values along `dim` at `index` (int32), as torch.gather. */
  gather(dim: number, index: Tensor): Tensor<D> {
    parseArgs(sigs().gather, arguments);
    return idx.gather(this, dim, index) as Tensor<D>;
  }
  /** A copy with `src` written along `dim` at `index`, in this dtype, as torch.scatter. */
  scatter(dim: number, index: Tensor, src: Operand): Tensor<D> {
    parseArgs(sigs().scatter, arguments);
    return idx.scatter(this, dim, index, src, false) as Tensor<D>;
  }
  /** A copy with `src` added along `dim` at `index`, as torch.scatter_add. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor<D> {
    parseArgs(sigs().scatterAdd, arguments);
    return idx.scatter(this, dim, index, src, true) as Tensor<D>;
  }
  /** The entries of `dim` at `index`, as torch.index_select. */
  indexSelect(dim: number, index: Tensor | readonly number[]): Tensor<D> {
    parseArgs(sigs().indexSelect, arguments);
    return idx.indexSelect(this, dim, index) as Tensor<D>;
  }

  // ---- products, triangles, sorting, shape helpers, cumulative ops and norms ----------------
  // Thin forwards to src/ops/{products,triangular,sorting,search,shape-more,cumulative,norms}.ts,
  // which check the arguments; each is the root function of the same name with `this` first.

  /** `[n, m] @ [m, p]`, 2-D only, as torch.Tensor.mm (see the root `mm`). */
  mm(...args: [mat2: Tensor]): Tensor<D> {
    return pr.mm(this, ...args) as Tensor<D>;
  }
  /** `[b, n, m] @ [b, m, p]`, as torch.Tensor.bmm (see the root `bmm`). */
  bmm(...args: [mat2: Tensor]): Tensor<D> {
    return pr.bmm(this, ...args) as Tensor<D>;
  }
  /** `[n, m] @ [m]`, as torch.Tensor.mv (see the root `mv`). */
  mv(...args: [vec: Tensor]): Tensor<D> {
    return pr.mv(this, ...args) as Tensor<D>;
  }
  /** The inner product with a 1-D tensor, as torch.Tensor.dot (see the root `dot`). */
  dot(...args: [other: Tensor]): Tensor<D> {
    return pr.dot(this, ...args) as Tensor<D>;
  }
  /** The outer product with a 1-D tensor, as torch.Tensor.outer (see the root `outer`). */
  outer(...args: [vec2: Tensor]): Tensor {
    return pr.outer(this, ...args);
  }
  /** `beta·this + alpha·(mat1 @ mat2)`, as torch.Tensor.addmm (see the root `addmm`). */
  addmm(...args: [mat1: Tensor, mat2: Tensor, options?: Products.AddmmOptions]): Tensor<D> {
    return pr.addmm(this, ...args) as Tensor<D>;
  }
  /** `beta·this + alpha·bmm(batch1, batch2)`, as torch.Tensor.baddbmm. */
  baddbmm(...args: [batch1: Tensor, batch2: Tensor, options?: Products.AddmmOptions]): Tensor<D> {
    return pr.baddbmm(this, ...args) as Tensor<D>;
  }
  /** `beta·this + alpha·Σ_b batch1[b] @ batch2[b]`, as torch.Tensor.addbmm. */
  addbmm(...args: [batch1: Tensor, batch2: Tensor, options?: Products.AddmmOptions]): Tensor<D> {
    return pr.addbmm(this, ...args) as Tensor<D>;
  }
  /** The Kronecker product, as torch.Tensor.kron (see the root `kron`). */
  kron(...args: [other: Tensor]): Tensor {
    return pr.kron(this, ...args);
  }
  /** The lower triangle of the last two dims, as torch.Tensor.tril (see the root `tril`). */
  tril(...args: WithOptions<[diagonal: number], { diagonal?: number }>): Tensor<D> {
    return tri.tril(this, ...args);
  }
  /** The upper triangle of the last two dims, as torch.Tensor.triu (see the root `triu`). */
  triu(...args: WithOptions<[diagonal: number], { diagonal?: number }>): Tensor<D> {
    return tri.triu(this, ...args);
  }
  /** In-place `tril`: zeroes the entries above diagonal `diagonal`, as torch.Tensor.tril_. */
  tril_(...args: WithOptions<[diagonal: number], { diagonal?: number }>): this {
    return el.inplace(this, "tril_", (x) => tri.tril(x, ...args), []);
  }
  /** In-place `triu`: zeroes the entries below diagonal `diagonal`, as torch.Tensor.triu_. */
  triu_(...args: WithOptions<[diagonal: number], { diagonal?: number }>): this {
    return el.inplace(this, "triu_", (x) => tri.triu(x, ...args), []);
  }
  /** A diagonal matrix (1-D input) or a diagonal (2-D input), as torch.Tensor.diag. */
  diag(...args: WithOptions<[diagonal: number], { diagonal?: number }>): Tensor<D> {
    return tri.diag(this, ...args);
  }
  /** The diagonal over two dims, as a view, as torch.Tensor.diagonal (see the root `diagonal`). */
  diagonal(
    ...args: WithOptions<
      [offset: number, dim1: number, dim2: number],
      { offset?: number; dim1?: number; dim2?: number }
    >
  ): Tensor<D> {
    return tri.diagonal(this, ...args);
  }
  /** The last dim placed on diagonals of a new pair of dims, as torch.Tensor.diag_embed. */
  diagEmbed(
    ...args: WithOptions<
      [offset: number, dim1: number, dim2: number],
      { offset?: number; dim1?: number; dim2?: number }
    >
  ): Tensor<D> {
    return tri.diagEmbed(this, ...args);
  }
  /** The sum of the main diagonal of a matrix, as torch.Tensor.trace. */
  trace(...args: []): Tensor<SumDType<D>> {
    return tri.trace(this, ...args) as Tensor<SumDType<D>>;
  }
  /** `[values, indices]` sorted along `dim`, as torch.Tensor.sort (see the root `sort`). */
  sort(
    ...args: WithOptions<[dim: number, descending: boolean], Sorting.SortOptions>
  ): ValuesIndices<D> {
    return so.sort(this, ...args);
  }
  /** The indices that sort along `dim`, as torch.Tensor.argsort (see the root `argsort`). */
  argsort(
    ...args: WithOptions<[dim: number, descending: boolean, stable: boolean], Sorting.SortOptions>
  ): Tensor<"int32"> {
    return so.argsort(this, ...args);
  }
  /** Sorted along dim 0, as torch.Tensor.msort. */
  msort(...args: []): Tensor<D> {
    return so.msort(this, ...args);
  }
  /** The `k` largest (or smallest) entries along `dim` and their indices, as torch.Tensor.topk. */
  topk(
    k: number,
    ...args: WithOptions<[dim: number, largest: boolean, sorted: boolean], Sorting.TopkOptions>
  ): ValuesIndices<D> {
    return so.topk(this, k, ...args);
  }
  /** The `k`-th smallest entry along `dim` and its index, as torch.Tensor.kthvalue. */
  kthvalue(
    k: number,
    ...args: WithOptions<[dim: number, keepDim: boolean], Sorting.DimKeepOptions>
  ): ValuesIndices<D> {
    return so.kthvalue(this, k, ...args);
  }
  /** The lower median (0-d), or `[values, indices]` along `dim`, as torch.Tensor.median. */
  median(): Tensor<D>;
  median(
    ...args: WithOptions<[dim: number, keepDim: boolean], Sorting.DimKeepOptions>
  ): ValuesIndices<D>;
  median(...args: unknown[]): Tensor<D> | ValuesIndices<D> {
    return (so.median as (x: Tensor, ...a: unknown[]) => Tensor<D> | ValuesIndices<D>)(
      this,
      ...args,
    );
  }
  /** `median` ignoring NaN, as torch.Tensor.nanmedian. */
  nanmedian(): Tensor<D>;
  nanmedian(
    ...args: WithOptions<[dim: number, keepDim: boolean], Sorting.DimKeepOptions>
  ): ValuesIndices<D>;
  nanmedian(...args: unknown[]): Tensor<D> | ValuesIndices<D> {
    return (so.nanmedian as (x: Tensor, ...a: unknown[]) => Tensor<D> | ValuesIndices<D>)(
      this,
      ...args,
    );
  }
  /** The most frequent value along `dim` and its last index, as torch.Tensor.mode. */
  mode(
    ...args: WithOptions<[dim: number, keepDim: boolean], Sorting.DimKeepOptions>
  ): ValuesIndices<D> {
    return so.mode(this, ...args);
  }
  /** The unique elements (or slices), as torch.Tensor.unique (see the root `unique`). */
  unique(): Tensor<D>;
  unique(
    ...args: WithOptions<
      [sorted: boolean, returnInverse: boolean, returnCounts: boolean, dim: number | null],
      Search.UniqueOptions
    >
  ): Tensor | Tensor[];
  unique(...args: unknown[]): Tensor | Tensor[] {
    return (se.unique as (x: Tensor, ...a: unknown[]) => Tensor | Tensor[])(this, ...args);
  }
  /** Runs of equal elements collapsed, as torch.Tensor.unique_consecutive. */
  uniqueConsecutive(): Tensor<D>;
  uniqueConsecutive(
    ...args: WithOptions<
      [returnInverse: boolean, returnCounts: boolean, dim: number | null],
      Omit<Search.UniqueOptions, "sorted">
    >
  ): Tensor | Tensor[];
  uniqueConsecutive(...args: unknown[]): Tensor | Tensor[] {
    return (se.uniqueConsecutive as (x: Tensor, ...a: unknown[]) => Tensor | Tensor[])(
      this,
      ...args,
    );
  }
  /** The views along `dim` (default 0), as torch.Tensor.unbind. */
  unbind(...args: [dim?: number]): Tensor<D>[] {
    return sm.unbind(this, ...args);
  }
  /** Dims `source` moved to `destination`, as torch.Tensor.movedim (a view). */
  movedim(
    ...args: [source: number | readonly number[], destination: number | readonly number[]]
  ): Tensor<D> {
    return sm.movedim(this, ...args);
  }
  /** The same as `movedim`, as torch.Tensor.moveaxis. */
  moveaxis(
    ...args: [source: number | readonly number[], destination: number | readonly number[]]
  ): Tensor<D> {
    return sm.moveaxis(this, ...args);
  }
  /** Two dims swapped (a view), as torch.Tensor.swapaxes. */
  swapaxes(...args: [axis0: number, axis1: number]): Tensor<D> {
    return sm.swapaxes(this, ...args);
  }
  /** Two dims swapped (a view), as torch.Tensor.swapdims. */
  swapdims(...args: [dim0: number, dim1: number]): Tensor<D> {
    return sm.swapdims(this, ...args);
  }
  /** `view(other.shape)`, as torch.Tensor.view_as. */
  viewAs(...args: [other: Tensor]): Tensor<D> {
    return sm.viewAs(this, ...args);
  }
  /** `reshape(other.shape)`, as torch.Tensor.reshape_as. */
  reshapeAs(...args: [other: Tensor]): Tensor<D> {
    return sm.reshapeAs(this, ...args);
  }
  /** The first dim reversed, as torch.Tensor.flipud. */
  flipud(...args: []): Tensor<D> {
    return sm.flipud(this, ...args);
  }
  /** The second dim reversed, as torch.Tensor.fliplr. */
  fliplr(...args: []): Tensor<D> {
    return sm.fliplr(this, ...args);
  }
  /** Entries rolled along dims (wrapping), as torch.Tensor.roll (see the root `roll`). */
  roll(
    shifts: number | readonly number[],
    ...args: WithOptions<
      [dims: number | readonly number[] | null],
      { dims?: number | readonly number[] | null }
    >
  ): Tensor<D> {
    return sm.roll(this, shifts, ...args);
  }
  /** Each entry repeated `repeats` times, as torch.Tensor.repeat_interleave. */
  repeatInterleave(
    ...args: WithOptions<
      [repeats: number | Tensor, dim: number | null],
      ShapeMore.RepeatInterleaveOptions
    >
  ): Tensor<D> {
    return sm.repeatInterleave(this, ...args);
  }
  /** The whole tensor repeated along each dim, as torch.Tensor.tile. */
  tile(...args: [dims: readonly number[]]): Tensor<D> {
    return sm.tile(this, ...args);
  }
  /** Rotated by 90° `k` times in the plane of `dims`, as torch.Tensor.rot90. */
  rot90(
    ...args: WithOptions<
      [k: number, dims: readonly number[]],
      { k?: number; dims?: readonly number[] }
    >
  ): Tensor<D> {
    return sm.rot90(this, ...args);
  }
  // ---- issue 15: special functions, predicates, index ops, samplers, new*, in-place views ----

  /** The inverse error function, as torch.Tensor.erfinv (NaN outside [−1, 1]). */
  erfinv(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("erfinv", arguments, 0);
    return el.erfinv(this) as Tensor<ToFloating<D>>;
  }
  /** In-place `erfinv`, as torch.Tensor.erfinv_; returns this. */
  erfinv_(): this {
    if (arguments.length > 0) checkArity("erfinv_", arguments, 0);
    return el.inplace(this, "erfinv_", (x) => el.erfinv(x), []);
  }
  /** ln|Γ(x)|, as torch.Tensor.lgamma (+∞ at the poles 0, −1, −2, ...). */
  lgamma(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("lgamma", arguments, 0);
    return el.lgamma(this) as Tensor<ToFloating<D>>;
  }
  /** In-place `lgamma`, as torch.Tensor.lgamma_; returns this. */
  lgamma_(): this {
    if (arguments.length > 0) checkArity("lgamma_", arguments, 0);
    return el.inplace(this, "lgamma_", (x) => el.lgamma(x), []);
  }
  /** ψ(x) = d/dx ln Γ(x), as torch.Tensor.digamma (−∞ at +0, NaN at negative integers). */
  digamma(): Tensor<ToFloating<D>> {
    if (arguments.length > 0) checkArity("digamma", arguments, 0);
    return el.digamma(this) as Tensor<ToFloating<D>>;
  }
  /** In-place `digamma`, as torch.Tensor.digamma_; returns this. */
  digamma_(): this {
    if (arguments.length > 0) checkArity("digamma_", arguments, 0);
    return el.inplace(this, "digamma_", (x) => el.digamma(x), []);
  }
  /** Whether each element is ±∞, as torch.Tensor.isinf. */
  isinf(...args: []): Tensor<"bool"> {
    return pd.isinf(this, ...args);
  }
  /** Whether each element is finite, as torch.Tensor.isfinite. */
  isfinite(...args: []): Tensor<"bool"> {
    return pd.isfinite(this, ...args);
  }
  /** Whether each element is +∞, as torch.Tensor.isposinf. */
  isposinf(...args: []): Tensor<"bool"> {
    return pd.isposinf(this, ...args);
  }
  /** Whether each element is −∞, as torch.Tensor.isneginf. */
  isneginf(...args: []): Tensor<"bool"> {
    return pd.isneginf(this, ...args);
  }
  /** Elementwise closeness to `other`, as torch.Tensor.isclose (see the root `isclose`). */
  isclose(
    other: Tensor,
    ...args: WithOptions<[rtol: number, atol: number, equalNan: boolean], Predicates.IscloseOptions>
  ): Tensor<"bool"> {
    return pd.isclose(this, other, ...args);
  }
  /** Whether all elements are close to `other`'s, as torch.Tensor.allclose; a boolean. */
  allclose(
    other: Tensor,
    ...args: WithOptions<[rtol: number, atol: number, equalNan: boolean], Predicates.IscloseOptions>
  ): boolean {
    return pd.allclose(this, other, ...args);
  }
  /** Same shape and elements as `other`, as torch.Tensor.equal; a boolean. */
  equal(...args: [other: Tensor]): boolean {
    return pd.equal(this, ...args);
  }
  /** NaN and ±∞ replaced by finite values, as torch.Tensor.nan_to_num (see the root `nanToNum`). */
  nanToNum(
    ...args: WithOptions<
      [nan: number | null, posinf: number | null, neginf: number | null],
      Predicates.NanToNumOptions
    >
  ): Tensor<D> {
    return pd.nanToNum(this, ...args);
  }
  /** In-place `nanToNum`, as torch.Tensor.nan_to_num_; returns this. */
  nanToNum_(
    ...args: WithOptions<
      [nan: number | null, posinf: number | null, neginf: number | null],
      Predicates.NanToNumOptions
    >
  ): this {
    return pd.nanToNum_(this, ...args);
  }
  /** `log(p / (1 − p))`, p clamped to [eps, 1 − eps] if given, as torch.Tensor.logit. */
  logit(
    ...args: WithOptions<[eps: number | null], { eps?: number | null }>
  ): Tensor<ToFloating<D>> {
    return pd.logit(this, ...args) as Tensor<ToFloating<D>>;
  }
  /** In-place `logit`, as torch.Tensor.logit_; returns this. */
  logit_(...args: WithOptions<[eps: number | null], { eps?: number | null }>): this {
    return pd.logit_(this, ...args);
  }
  /** The sign, as torch.Tensor.sgn (the same as sign on real tensors). */
  sgn(...args: []): Tensor<D> {
    return pd.sgn(this, ...args);
  }
  /** In-place `sgn`, as torch.Tensor.sgn_; returns this. */
  sgn_(): this {
    if (arguments.length > 0) checkArity("sgn_", arguments, 0);
    return el.inplace(this, "sgn_", (x) => pd.sgn(x), []);
  }
  /** The same as `clamp`, as torch.Tensor.clip. */
  clip(min?: Operand | null | ClampOptions, max?: Operand | null): Tensor;
  clip(_min?: unknown, _max?: unknown): Tensor {
    return (this.clamp as (...a: unknown[]) => Tensor)(...arguments);
  }
  /** The same as `clamp_`, as torch.Tensor.clip_; returns this. */
  clip_(min?: Operand | null | ClampOptions, max?: Operand | null): this;
  clip_(_min?: unknown, _max?: unknown): this {
    return (this.clamp_ as (...a: unknown[]) => this)(...arguments);
  }
  /** `this + value · tensor1 · tensor2`, as torch.Tensor.addcmul (`value` keyword-only). */
  addcmul(tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): Tensor;
  addcmul(_tensor1?: unknown, _tensor2?: unknown, _options?: unknown): Tensor {
    return (rm.addcmul as (...a: unknown[]) => Tensor)(this, ...arguments);
  }
  /** `this + value · tensor1 / tensor2`, as torch.Tensor.addcdiv (`value` keyword-only). */
  addcdiv(tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): Tensor;
  addcdiv(_tensor1?: unknown, _tensor2?: unknown, _options?: unknown): Tensor {
    return (rm.addcdiv as (...a: unknown[]) => Tensor)(this, ...arguments);
  }
  /** `alpha · source` added at `index` along `dim`, as torch.Tensor.index_add. */
  indexAdd(dim: number, index: Tensor, source: Tensor, options?: { alpha?: number }): Tensor<D>;
  indexAdd(_dim?: unknown, _index?: unknown, _source?: unknown, _options?: unknown): Tensor<D> {
    return (ix.indexAdd as (...a: unknown[]) => Tensor<D>)(this, ...arguments);
  }
  /** In-place `indexAdd`, as torch.Tensor.index_add_; returns this. */
  indexAdd_(dim: number, index: Tensor, source: Tensor, options?: { alpha?: number }): this;
  indexAdd_(_dim?: unknown, _index?: unknown, _source?: unknown, _options?: unknown): this {
    return (ix.indexAdd_ as (...a: unknown[]) => this)(this, ...arguments);
  }
  /** `source` copied to `index` along `dim`, as torch.Tensor.index_copy. */
  indexCopy(dim: number, index: Tensor, source: Tensor): Tensor<D>;
  indexCopy(_dim?: unknown, _index?: unknown, _source?: unknown): Tensor<D> {
    return (ix.indexCopy as (...a: unknown[]) => Tensor<D>)(this, ...arguments);
  }
  /** In-place `indexCopy`, as torch.Tensor.index_copy_; returns this. */
  indexCopy_(dim: number, index: Tensor, source: Tensor): this;
  indexCopy_(_dim?: unknown, _index?: unknown, _source?: unknown): this {
    return (ix.indexCopy_ as (...a: unknown[]) => this)(this, ...arguments);
  }
  /** `value` written at `index` along `dim`, as torch.Tensor.index_fill. */
  indexFill(dim: number, index: Tensor, value: Operand): Tensor<D>;
  indexFill(_dim?: unknown, _index?: unknown, _value?: unknown): Tensor<D> {
    return (ix.indexFill as (...a: unknown[]) => Tensor<D>)(this, ...arguments);
  }
  /** In-place `indexFill`, as torch.Tensor.index_fill_; returns this. */
  indexFill_(dim: number, index: Tensor, value: Operand): this;
  indexFill_(_dim?: unknown, _index?: unknown, _value?: unknown): this {
    return (ix.indexFill_ as (...a: unknown[]) => this)(this, ...arguments);
  }
  /** `source`'s first entries written where `mask` is true, as torch.Tensor.masked_scatter. */
  maskedScatter(mask: Tensor, source: Tensor): Tensor<D>;
  maskedScatter(_mask?: unknown, _source?: unknown): Tensor<D> {
    return (ix.maskedScatter as (...a: unknown[]) => Tensor<D>)(this, ...arguments);
  }
  /** In-place `maskedScatter`, as torch.Tensor.masked_scatter_; returns this. */
  maskedScatter_(mask: Tensor, source: Tensor): this;
  maskedScatter_(_mask?: unknown, _source?: unknown): this {
    return (ix.maskedScatter_ as (...a: unknown[]) => this)(this, ...arguments);
  }
  /** Entries at `indices` along `dim` (flattened when absent), as torch.Tensor.take_along_dim. */
  takeAlongDim(indices: Tensor, dim?: number | null): Tensor<D>;
  takeAlongDim(_indices?: unknown, _dim?: unknown): Tensor<D> {
    return (ix.takeAlongDim as (...a: unknown[]) => Tensor<D>)(this, ...arguments);
  }
  /** In-place `scatter`, as torch.Tensor.scatter_; returns this. */
  scatter_(dim: number, index: Tensor, src: Operand): this {
    parseArgs(sigs().scatter, arguments);
    return el.inplace(this, "scatter_", (x) => idx.scatter(x, dim, index, src, false), [src]);
  }
  /** In-place `scatterAdd`, as torch.Tensor.scatter_add_; returns this. */
  scatterAdd_(dim: number, index: Tensor, src: Tensor): this {
    parseArgs(sigs().scatterAdd, arguments);
    return el.inplace(this, "scatterAdd_", (x) => idx.scatter(x, dim, index, src, true), [src]);
  }
  /** `[min, max]` (fields `min`, `max`), as torch.Tensor.aminmax(*, dim=None, keepdim=False). */
  aminmax(options?: { dim?: number | null; keepDim?: boolean }): ReduceMore.MinMax<D>;
  aminmax(_options?: unknown): ReduceMore.MinMax<D> {
    return (rm.aminmax as (...a: unknown[]) => ReduceMore.MinMax<D>)(this, ...arguments);
  }
  /** The number of non-zero entries (over `dim`), as torch.Tensor.count_nonzero. */
  countNonzero(
    ...args: WithOptions<
      [dim: number | readonly number[] | null],
      { dim?: number | readonly number[] | null }
    >
  ): Tensor<"int32"> {
    return rm.countNonzero(this, ...args);
  }
  /** The indices of the non-zero entries `[n, ndim]`, as torch.Tensor.argwhere. */
  argwhere(...args: []): Tensor<"int32"> {
    return rm.argwhere(this, ...args);
  }
  /** `dim` expanded into `sizes`, as torch.Tensor.unflatten. */
  unflatten(...args: [dim: number, sizes: readonly number[]]): Tensor<D> {
    return rm.unflatten(this, ...args);
  }
  /** Views split into sections or at indices along `dim`, as torch.Tensor.tensor_split. */
  tensorSplit(
    indicesOrSections: number | readonly number[] | Tensor,
    ...args: WithOptions<[dim: number], { dim?: number }>
  ): Tensor<D>[] {
    return rm.tensorSplit(this, indicesOrSections, ...args);
  }
  /** A zero tensor of `size`, this dtype unless given, as torch.Tensor.new_zeros. */
  newZeros(...args: SizeArgs<NewTensors.NewOptions>): Tensor {
    return nt.newZeros(this, ...args);
  }
  /** A tensor of ones of `size`, this dtype unless given, as torch.Tensor.new_ones. */
  newOnes(...args: SizeArgs<NewTensors.NewOptions>): Tensor {
    return nt.newOnes(this, ...args);
  }
  /** A tensor of `size` (zero-filled), this dtype unless given, as torch.Tensor.new_empty. */
  newEmpty(...args: SizeArgs<NewTensors.NewOptions>): Tensor {
    return nt.newEmpty(this, ...args);
  }
  /** `fillValue` everywhere, this dtype unless given, as torch.Tensor.new_full. */
  newFull(
    size: readonly number[],
    fillValue: number | boolean,
    options?: NewTensors.NewOptions,
  ): Tensor;
  newFull(_size?: unknown, _fillValue?: unknown, _options?: unknown): Tensor {
    return (nt.newFull as (...a: unknown[]) => Tensor)(this, ...arguments);
  }
  /** A new tensor from `data`, this dtype unless given, as torch.Tensor.new_tensor. */
  newTensor(data: unknown, options?: NewTensors.NewOptions): Tensor;
  newTensor(_data?: unknown, _options?: unknown): Tensor {
    return (nt.newTensor as (...a: unknown[]) => Tensor)(this, ...arguments);
  }
  /** In-place `squeeze`, as torch.Tensor.squeeze_; returns this. */
  squeeze_(...args: [dim?: number]): this {
    return iv.squeeze_(this, ...args);
  }
  /** In-place `unsqueeze`, as torch.Tensor.unsqueeze_; returns this. */
  unsqueeze_(...args: [dim: number]): this {
    return iv.unsqueeze_(this, ...args);
  }
  /** In-place `t`, as torch.Tensor.t_; returns this. */
  t_(...args: []): this {
    return iv.t_(this, ...args);
  }
  /** In-place `transpose`, as torch.Tensor.transpose_; returns this. */
  transpose_(...args: [dim0: number, dim1: number]): this {
    return iv.transpose_(this, ...args);
  }
  /** In-place `swapaxes`, as torch.Tensor.swapaxes_; returns this. */
  swapaxes_(...args: [axis0: number, axis1: number]): this {
    return iv.swapaxes_(this, ...args);
  }
  /** In-place `swapdims`, as torch.Tensor.swapdims_; returns this. */
  swapdims_(...args: [dim0: number, dim1: number]): this {
    return iv.swapaxes_(this, ...args);
  }
  /** Category indices sampled from this (unnormalised) distribution, as torch.Tensor.multinomial. */
  multinomial(
    numSamples: number,
    ...args: WithOptions<
      [replacement: boolean],
      { replacement?: boolean; generator?: RngGenerator }
    >
  ): Tensor<"int32"> {
    return rs.multinomial(this, numSamples, ...args);
  }
  /** 0/1 samples with these probabilities, as torch.Tensor.bernoulli. */
  bernoulli(
    ...args: WithOptions<[p: number], { p?: number; generator?: RngGenerator }>
  ): Tensor<D> {
    return rs.bernoulli(this, ...args);
  }
  /** Fills with 0/1 samples of probability `p` (default 0.5), as torch.Tensor.bernoulli_. */
  bernoulli_(
    ...args: WithOptions<[p: number | Tensor], { p?: number | Tensor; generator?: RngGenerator }>
  ): this {
    return rf.bernoulli_(this, ...args);
  }
  /** Fills with integers in [from, to), as torch.Tensor.random_ (see the sampler's docs). */
  random_(
    ...args:
      | [options?: { generator?: RngGenerator }]
      | [to: number, options?: { generator?: RngGenerator }]
      | [from: number, to: number | null, options?: { generator?: RngGenerator }]
  ): this {
    return (rf.random_ as (...a: unknown[]) => this)(this, ...args);
  }
  /** Fills with uniform samples in [from, to), as torch.Tensor.uniform_(from=0, to=1). */
  uniform_(
    ...args: WithOptions<
      [from: number, to: number],
      { from?: number; to?: number; generator?: RngGenerator }
    >
  ): this {
    return rf.uniform_(this, ...args);
  }
  /** Fills with normal samples, as torch.Tensor.normal_(mean=0, std=1). */
  normal_(
    ...args: WithOptions<
      [mean: number, std: number],
      { mean?: number; std?: number; generator?: RngGenerator }
    >
  ): this {
    return rf.normal_(this, ...args);
  }
  /** Fills with exponential samples of rate `lambd`, as torch.Tensor.exponential_(lambd=1). */
  exponential_(
    ...args: WithOptions<[lambd: number], { lambd?: number; generator?: RngGenerator }>
  ): this {
    return rf.exponential_(this, ...args);
  }
  /** Fills with geometric samples (trials to the first success), as torch.Tensor.geometric_(p). */
  geometric_(p: number, options?: { generator?: RngGenerator }): this;
  geometric_(_p?: unknown, _options?: unknown): this {
    return (rf.geometric_ as (...a: unknown[]) => this)(this, ...arguments);
  }
  /** Fills with Cauchy samples, as torch.Tensor.cauchy_(median=0, sigma=1). */
  cauchy_(
    ...args: WithOptions<
      [median: number, sigma: number],
      { median?: number; sigma?: number; generator?: RngGenerator }
    >
  ): this {
    return rf.cauchy_(this, ...args);
  }
  /** Fills with log-normal samples, as torch.Tensor.log_normal_(mean=1, std=2). */
  logNormal_(
    ...args: WithOptions<
      [mean: number, std: number],
      { mean?: number; std?: number; generator?: RngGenerator }
    >
  ): this {
    return rf.logNormal_(this, ...args);
  }

  // ---- issue 15: in-place forms PyTorch has (computed out of place, written back) ----

  /** In-place `square`, as torch.Tensor.square_; returns this. */
  square_(): this {
    if (arguments.length > 0) checkArity("square_", arguments, 0);
    return el.inplace(this, "square_", (x) => el.mul(x, x), []);
  }
  /** In-place `eq`: 1 where true, 0 where false, in this dtype, as torch.Tensor.eq_. */
  eq_(other: Operand): this {
    if (arguments.length !== 1) checkArity("eq_", arguments, 1);
    el.checkOperand("eq_", "other", other);
    return el.inplace(this, "eq_", (x) => el.eq(x, other), [other], true);
  }
  /** In-place `ne`: 1 where true, 0 where false, in this dtype, as torch.Tensor.ne_. */
  ne_(other: Operand): this {
    if (arguments.length !== 1) checkArity("ne_", arguments, 1);
    el.checkOperand("ne_", "other", other);
    return el.inplace(this, "ne_", (x) => el.ne(x, other), [other], true);
  }
  /** In-place `lt`: 1 where true, 0 where false, in this dtype, as torch.Tensor.lt_. */
  lt_(other: Operand): this {
    if (arguments.length !== 1) checkArity("lt_", arguments, 1);
    el.checkOperand("lt_", "other", other);
    return el.inplace(this, "lt_", (x) => el.lt(x, other), [other], true);
  }
  /** In-place `le`: 1 where true, 0 where false, in this dtype, as torch.Tensor.le_. */
  le_(other: Operand): this {
    if (arguments.length !== 1) checkArity("le_", arguments, 1);
    el.checkOperand("le_", "other", other);
    return el.inplace(this, "le_", (x) => el.le(x, other), [other], true);
  }
  /** In-place `gt`: 1 where true, 0 where false, in this dtype, as torch.Tensor.gt_. */
  gt_(other: Operand): this {
    if (arguments.length !== 1) checkArity("gt_", arguments, 1);
    el.checkOperand("gt_", "other", other);
    return el.inplace(this, "gt_", (x) => el.gt(x, other), [other], true);
  }
  /** In-place `ge`: 1 where true, 0 where false, in this dtype, as torch.Tensor.ge_. */
  ge_(other: Operand): this {
    if (arguments.length !== 1) checkArity("ge_", arguments, 1);
    el.checkOperand("ge_", "other", other);
    return el.inplace(this, "ge_", (x) => el.ge(x, other), [other], true);
  }
  /** In-place `logicalAnd`: 1 where true, 0 where false, in this dtype, as torch.Tensor.logical_and_. */
  logicalAnd_(other: Operand): this {
    if (arguments.length !== 1) checkArity("logicalAnd_", arguments, 1);
    el.checkOperand("logicalAnd_", "other", other);
    return el.inplace(this, "logicalAnd_", (x) => el.logicalAnd(x, other), [other], true);
  }
  /** In-place `logicalOr`: 1 where true, 0 where false, in this dtype, as torch.Tensor.logical_or_. */
  logicalOr_(other: Operand): this {
    if (arguments.length !== 1) checkArity("logicalOr_", arguments, 1);
    el.checkOperand("logicalOr_", "other", other);
    return el.inplace(this, "logicalOr_", (x) => el.logicalOr(x, other), [other], true);
  }
  /** In-place `logicalXor`: 1 where true, 0 where false, in this dtype, as torch.Tensor.logical_xor_. */
  logicalXor_(other: Operand): this {
    if (arguments.length !== 1) checkArity("logicalXor_", arguments, 1);
    el.checkOperand("logicalXor_", "other", other);
    return el.inplace(this, "logicalXor_", (x) => el.logicalXor(x, other), [other], true);
  }
  /** In-place `logicalNot`: 1 where zero, else 0, in this dtype, as torch.Tensor.logical_not_. */
  logicalNot_(): this {
    if (arguments.length > 0) checkArity("logicalNot_", arguments, 0);
    return el.inplace(this, "logicalNot_", (x) => el.logicalNot(x), [], true);
  }
  /** `clamp(min)`, as torch.Tensor.clamp_min. */
  clampMin(min: Operand): Tensor {
    if (arguments.length !== 1) checkArity("clampMin", arguments, 1);
    return el.clamp(this, min, null);
  }
  /** `clamp(null, max)`, as torch.Tensor.clamp_max. */
  clampMax(max: Operand): Tensor {
    if (arguments.length !== 1) checkArity("clampMax", arguments, 1);
    return el.clamp(this, null, max);
  }
  /** In-place `clampMin`, as torch.Tensor.clamp_min_; returns this. */
  clampMin_(min: Operand): this {
    if (arguments.length !== 1) checkArity("clampMin_", arguments, 1);
    return el.inplace(this, "clampMin_", (x) => el.clamp(x, min, null), [min]);
  }
  /** In-place `clampMax`, as torch.Tensor.clamp_max_; returns this. */
  clampMax_(max: Operand): this {
    if (arguments.length !== 1) checkArity("clampMax_", arguments, 1);
    return el.inplace(this, "clampMax_", (x) => el.clamp(x, null, max), [max]);
  }

  /** The running product along `dim`, as torch.Tensor.cumprod. */
  cumprod(...args: [dim: number]): Tensor<SumDType<D>> {
    return cu.cumprod(this, ...args) as Tensor<SumDType<D>>;
  }
  /** The running maximum along `dim` and its index, as torch.Tensor.cummax. */
  cummax(...args: [dim: number]): ValuesIndices<D> {
    return cu.cummax(this, ...args);
  }
  /** The running minimum along `dim` and its index, as torch.Tensor.cummin. */
  cummin(...args: [dim: number]): ValuesIndices<D> {
    return cu.cummin(this, ...args);
  }
  /** `log Σ_{j<=i} exp(x_j)` along `dim`, as torch.Tensor.logcumsumexp. */
  logcumsumexp(...args: [dim: number]): Tensor<D> {
    return cu.logcumsumexp(this, ...args);
  }
  /** The n-th forward difference along `dim`, as torch.Tensor.diff (see the root `diff`). */
  diff(
    ...args: WithOptions<
      [n: number, dim: number, prepend: Tensor | null, append: Tensor | null],
      Cumulative.DiffOptions
    >
  ): Tensor<D> {
    return cu.diff(this, ...args);
  }
  /** The sum treating NaN as 0, as torch.Tensor.nansum. */
  nansum(
    ...args: WithOptions<
      [dim: Dims | null, keepDim: boolean],
      { dim?: Dims | null; keepDim?: boolean }
    >
  ): Tensor<SumDType<D>> {
    return cu.nansum(this, ...args) as Tensor<SumDType<D>>;
  }
  /** The mean of the non-NaN entries, as torch.Tensor.nanmean. */
  nanmean(
    ...args: WithOptions<
      [dim: Dims | null, keepDim: boolean],
      { dim?: Dims | null; keepDim?: boolean }
    >
  ): Tensor<D> {
    return cu.nanmean(this, ...args);
  }
  /** The q-th quantiles along `dim`, as torch.Tensor.quantile (see the root `quantile`). */
  quantile(
    q: number | Tensor,
    ...args: WithOptions<[dim: number | null, keepDim: boolean], Cumulative.QuantileOptions>
  ): Tensor<D> {
    return cu.quantile(this, q, ...args);
  }
  /** `quantile` ignoring NaN, as torch.Tensor.nanquantile. */
  nanquantile(
    q: number | Tensor,
    ...args: WithOptions<[dim: number | null, keepDim: boolean], Cumulative.QuantileOptions>
  ): Tensor<D> {
    return cu.nanquantile(this, q, ...args);
  }
  /** A histogram of equal-width bins, as torch.Tensor.histc (see the root `histc`). */
  histc(
    ...args: WithOptions<
      [bins: number, min: number, max: number],
      { bins?: number; min?: number; max?: number }
    >
  ): Tensor<D> {
    return cu.histc(this, ...args);
  }
  /** The count (or weight sum) of each value of a 1-D int tensor, as torch.Tensor.bincount. */
  bincount(
    ...args: WithOptions<
      [weights: Tensor | null, minlength: number],
      { weights?: Tensor | null; minlength?: number }
    >
  ): Tensor {
    return cu.bincount(this, ...args);
  }
  /** The p-norm (default "fro") over `dim`, as torch.Tensor.norm (see the root `norm`). */
  norm(
    ...args: WithOptions<
      [p: Norms.NormOrd, dim: Dims | null, keepDim: boolean],
      {
        p?: Norms.NormOrd;
        dim?: Dims | null;
        keepDim?: boolean;
        dtype?: "float32" | "float64" | null;
      }
    >
  ): Tensor<D> {
    return no.norm(this, ...args) as Tensor<D>;
  }
  /** `norm(this - other, p)`, as torch.Tensor.dist. */
  dist(...args: [other: Tensor, p?: number]): Tensor<D> {
    return no.dist(this, ...args) as Tensor<D>;
  }
}

// ---- argument signatures ----------------------------------------------------------------
// PyTorch's parameters of each method, in its order (shared/API.md, rule 2). Built on first use:
// `instanceOf(Tensor, ...)` needs the class, which the ops modules import in a cycle.

/** Options of `add` and `sub`: `alpha` scales the other operand first. */
export interface AlphaOptions {
  alpha?: number;
}
/** Options of `clamp`: the lower and upper bounds, null for none. */
export interface ClampOptions {
  min?: Operand | null;
  max?: Operand | null;
}
/** Options of `var` and `std`: the divisor's `correction` (or legacy `unbiased`) and `keepDim`. */
export interface VarOptions extends ReduceOptions {
  correction?: number;
  unbiased?: boolean;
}

const DTYPE = oneOf(
  "float32",
  "float64",
  "int32",
  "int64",
  "int16",
  "int8",
  "uint8",
  "bool",
  "float16",
  "bfloat16",
);
const DTYPE_OR_DEVICE = custom(`${DTYPE.expect}, or a device ("cpu")`, (v): v is DType =>
  DTYPE.test(v),
);

/** The keyword arguments of `Tensor.to`; `T` is the dtype they may name. */
export interface ToOptions<T extends DType = DType> {
  /** The dtype of the result (default: this tensor's). */
  dtype?: T | null;
  /** The device of the result (default: this tensor's); "cpu" is the one device today. */
  device?: DeviceLike | null;
  /** Whether to copy even when nothing changes (default false, as in PyTorch). */
  copy?: boolean;
  /** Accepted for PyTorch's signature; it changes nothing, as every copy is on the CPU. */
  nonBlocking?: boolean;
}

/** The dtype of a PyTorch type name ("torch.FloatTensor" → float32), undefined if none. */
function typeNameDType(name: string): DType | undefined {
  for (const [d, n] of Object.entries(TORCH_TENSOR_TYPES)) if (n === name) return d as DType;
  return undefined;
}

/** `Tensor.to` past its fast path: binds the forms of torch.Tensor.to, then casts or copies. */
function toImpl(x: Tensor, args: unknown[]): Tensor {
  const first = args[0];
  let dtype: DType | null | undefined;
  let dev: Device | null = null;
  let copy: boolean | undefined;
  if (first instanceof Tensor) {
    const p = parseArgs(sigs().toOther, args);
    dtype = p.other.dtype;
    dev = p.other.device;
    copy = p.copy;
  } else if (DTYPE.test(first) || (typeof first === "string" && !isDeviceString(first))) {
    // a string that names neither a dtype nor a device type reports the dtype parameter, as before
    const p = parseArgs(sigs().to, args);
    dtype = p.dtype;
    copy = p.copy;
  } else {
    const p = parseArgs(sigs().toDevice, args);
    if (p.device !== undefined && p.device !== null) dev = toDevice("to", p.device);
    dtype = p.dtype;
    copy = p.copy;
  }
  if (dtype !== undefined && dtype !== null && dtype !== x.dtype) return el.cast(x, dtype);
  // NOTE: PyTorch 1.13 compares devices with ==, and cpu:0 != cpu, so an indexed device copies.
  if (copy === true || (dev !== null && dev.index !== null)) return el.clone(x);
  return x;
}

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
    to: signature("to", { dtype: DTYPE_OR_DEVICE, nonBlocking: opt(bool), copy: opt(bool) }),
    toDevice: signature("to", {
      device: opt(nullable(custom('a device ("cpu" or a Device)', isDeviceLike))),
      dtype: opt(nullable(DTYPE)),
      nonBlocking: opt(bool),
      copy: opt(bool),
    }),
    toOther: signature("to", { other: tensorArg, nonBlocking: opt(bool), copy: opt(bool) }),
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
      createGraph: opt(bool, false),
      inputs: opt(nullable(either(tensorArg, arrayOf(tensorArg))), null),
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

function maxMin(x: Tensor, op: "max" | "min", args: IArguments): Tensor | ValuesIndices {
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
