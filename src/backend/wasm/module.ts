// The WebAssembly module of Kiln's C kernels (wasm/kiln.wasm, built by tools/build-wasm.sh):
// instantiating it from bytes, its exports' signatures, and the arena that operands are copied
// into. Uses no Node API: the Node loader (load.ts) reads the bytes, a browser entry can pass them.
// Depends on core/dtype.ts's types only.

import type { TypedArray } from "../../core/dtype.ts";

type Ptr = number;

/** The parts of the WebAssembly JS API used here (the project's lib has no DOM/wasm typings). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
  instantiate(
    bytes: Uint8Array,
    imports: object,
  ): Promise<{ readonly instance: { readonly exports: unknown } }>;
}

/** The global WebAssembly object, or undefined where the engine has none. */
export function webAssembly(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}

/** The global WebAssembly object; throws where the engine has none. */
export function wasmApi(): WasmApi {
  const api = webAssembly();
  if (api === undefined) throw new Error("WebAssembly is not available in this JavaScript engine");
  return api;
}

/** The module's exports (wasm/kiln_wasm.c): pointers are byte offsets into `memory`. */
export interface KilnWasmExports {
  readonly memory: WasmMemory;
  readonly __heap_base: { readonly value: number };
  /** 1 for the threaded build (kiln-mt.wasm, shared memory), 0 for the single-threaded one. */
  kw_threads(): number;
  kw_meta(): Ptr;
  kw_meta_len(): number;
  kw_op_names(kind: number): Ptr;
  kw_unary(op: number, out: Ptr, outDt: number, x: Ptr, xDt: number): number;
  kw_binary(op: number, out: Ptr, outDt: number, a: Ptr, aDt: number, b: Ptr, bDt: number): number;
  kw_where(out: Ptr, outDt: number, c: Ptr, a: Ptr, aDt: number, b: Ptr, bDt: number): number;
  kw_reduce(op: number, kept: number, x: Ptr, xDt: number, out: Ptr, outDt: number): number;
  kw_cumsum(x: Ptr, xDt: number, out: Ptr, outDt: number): number;
  kw_take(x: Ptr, xDt: number, index: Ptr, n: number, out: Ptr, outDt: number): number;
  kw_put(t: Ptr, tDt: number, index: Ptr, n: number, v: Ptr, vDt: number, acc: number): number;
  kw_matmul(dtype: number, a: Ptr, b: Ptr, out: Ptr): number;
  kw_conv2d_work(): number;
  kw_conv2d(x: Ptr, w: Ptr, bias: Ptr, out: Ptr, work: Ptr): void;
  kw_conv2d_input_grad(gy: Ptr, w: Ptr, gx: Ptr, work: Ptr): void;
  kw_conv2d_weight_grad(gy: Ptr, x: Ptr, gw: Ptr, gb: Ptr, work: Ptr): void;
  kw_max_pool2d(x: Ptr, out: Ptr, arg: Ptr): void;
  kw_max_pool2d_backward(gy: Ptr, arg: Ptr, gx: Ptr): void;
  kw_avg_pool2d(includePad: number, divisor: number, x: Ptr, out: Ptr): void;
  kw_avg_pool2d_backward(includePad: number, divisor: number, gy: Ptr, gx: Ptr): void;
  // biome-ignore format: the C argument order
  kw_batch_norm(N: number, C: number, L: number, x: Ptr, w: Ptr, b: Ptr, mean: Ptr, invstd: Ptr, variance: Ptr, eps: number, training: number, y: Ptr): void;
  // biome-ignore format: the C argument order
  kw_batch_norm_backward(N: number, C: number, L: number, gy: Ptr, x: Ptr, w: Ptr, mean: Ptr, invstd: Ptr, training: number, gx: Ptr, gw: Ptr, gb: Ptr): void;
  // biome-ignore format: the C argument order
  kw_layer_norm?(M: number, N: number, x: Ptr, w: Ptr, b: Ptr, eps: number, mean: Ptr, rstd: Ptr, y: Ptr): void;
  // biome-ignore format: the C argument order
  kw_layer_norm_backward?(M: number, N: number, gy: Ptr, x: Ptr, w: Ptr, mean: Ptr, rstd: Ptr, gx: Ptr, gw: Ptr, gb: Ptr): void;
  kw_softmax?(M: number, N: number, x: Ptr, logForm: number, y: Ptr): void;
  kw_softmax_backward?(M: number, N: number, y: Ptr, gy: Ptr, logForm: number, gx: Ptr): void;
  // biome-ignore format: the C argument order
  kw_cross_entropy(rows: number, C: number, x: Ptr, target: Ptr, weight: Ptr, ignore: number, eps: number, loss: Ptr, rowWeight: Ptr, lse: Ptr): void;
  // biome-ignore format: the C argument order
  kw_cross_entropy_backward(rows: number, C: number, x: Ptr, target: Ptr, weight: Ptr, ignore: number, eps: number, lse: Ptr, g: Ptr, gStride: number, gx: Ptr): void;
  kw_linear(M: number, K: number, N: number, x: Ptr, w: Ptr, bias: Ptr, out: Ptr): void;
  // biome-ignore format: the C argument order
  kw_linear_backward(M: number, K: number, N: number, g: Ptr, x: Ptr, w: Ptr, gx: Ptr, gw: Ptr, gb: Ptr): void;
  kw_relu_backward(n: number, y: Ptr, g: Ptr, gx: Ptr): void;
  // biome-ignore format: the C argument order
  kw_lstm_cell?(B: number, H: number, xg: Ptr, hg: Ptr, cPrev: Ptr, h: Ptr, c: Ptr, act: Ptr, tc: Ptr): void;
  // biome-ignore format: the C argument order
  kw_lstm_cell_backward?(B: number, H: number, act: Ptr, tc: Ptr, cPrev: Ptr, gh: Ptr, gc: Ptr, ggates: Ptr, gcPrev: Ptr): void;
  // biome-ignore format: the C argument order
  kw_gru_cell?(B: number, H: number, xg: Ptr, hg: Ptr, hPrev: Ptr, h: Ptr, act: Ptr): void;
  // biome-ignore format: the C argument order
  kw_gru_cell_backward?(B: number, H: number, act: Ptr, hPrev: Ptr, gh: Ptr, gxg: Ptr, ghg: Ptr, ghPrev: Ptr): void;
  // biome-ignore format: the C argument order
  kw_sgd(n: number, p: Ptr, grad: Ptr, buf: Ptr, lr: number, momentum: number, dampening1: number, wd: number, nesterov: number, maximize: number, first: number): void;
  // biome-ignore format: the C argument order
  kw_adam(n: number, p: Ptr, grad: Ptr, m: Ptr, v: Ptr, vmax: Ptr, beta1: number, beta2: number, omb1: number, omb2: number, eps: number, wd: number, decayMul: number, bc2sqrt: number, negStep: number, decoupled: number, maximize: number): void;
}

/** The threaded build's extra exports (wasm/kiln_wasm.c with KILN_WASM_THREADS). */
export interface KilnWasmThreadExports {
  readonly __stack_pointer: { value: number };
  kw_generation(): number;
  kw_set_workers(n: number): void;
  kw_set_scratch(tid: number, a: Ptr, b: Ptr): void;
  kw_set_num_threads(n: number): number;
  kw_worker(tid: number, seen: number): void;
}

/** Kernel dtype codes (native/kiln.h KD_*); -1 for storage the kernels do not take. */
export function dtypeCode(a: TypedArray): number {
  if (a instanceof Float32Array) return 2;
  if (a instanceof Float64Array) return 3;
  if (a instanceof Int32Array) return 1;
  if (a instanceof Uint8Array) return 0;
  return -1;
}

/** wasm32's largest memory (the module's --max-memory): 65536 pages of 64 KiB. */
const MAX_PAGES = 65536;

type Ctor = { new (buffer: ArrayBuffer, byteOffset: number, length: number): TypedArray };

/**
 * A bump arena in linear memory above the module's heap base: each kernel call resets it, copies
 * its operands in and its results out. Memory grows on demand and is reused across calls.
 */
export class Arena {
  readonly ex: KilnWasmExports;
  private base: number;
  private top: number;
  private buffer: ArrayBuffer;
  /** The shared metadata (shapes, strides, scalars) the C wrappers read. */
  meta: Float64Array;
  private readonly metaPtr: number;
  private readonly metaLen: number;

  constructor(ex: KilnWasmExports) {
    this.ex = ex;
    this.base = (Number(ex.__heap_base.value) + 63) & ~63;
    this.top = this.base;
    this.metaPtr = ex.kw_meta();
    this.metaLen = ex.kw_meta_len();
    this.buffer = ex.memory.buffer as ArrayBuffer;
    this.meta = new Float64Array(this.buffer, this.metaPtr, this.metaLen);
  }

  /** Sets aside `bytes` for good (thread stacks and scratch), between kernel calls. */
  reserve(bytes: number): number {
    this.top = this.base;
    const p = this.alloc(bytes);
    this.base = this.top;
    return p;
  }

  /** Frees everything (the start of a kernel call). */
  reset(): void {
    this.top = this.base;
  }

  /** Refreshes the views after the memory grew (growth detaches the old buffer). */
  private refresh(): void {
    if (this.buffer !== this.ex.memory.buffer) {
      this.buffer = this.ex.memory.buffer as ArrayBuffer;
      this.meta = new Float64Array(this.buffer, this.metaPtr, this.metaLen);
    }
  }

  /** `bytes` bytes, 64-byte aligned; grows the memory when needed. */
  alloc(bytes: number): number {
    const p = this.top;
    const end = p + Math.ceil(bytes / 64) * 64; // arithmetic: sizes may pass 2^31
    const have = this.ex.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / 65536);
      const most = MAX_PAGES - have / 65536;
      if (pages > most) {
        throw new RangeError(
          `kiln wasm: a kernel's operands need ${end} bytes, more than WebAssembly's 4 GiB memory`,
        );
      }
      this.ex.memory.grow(Math.min(most, Math.max(pages, Math.ceil(have / 65536 / 4))));
    }
    this.refresh();
    this.top = end;
    return p;
  }

  /** A typed array of `src`'s kind over `n` elements at `ptr`. */
  view(src: TypedArray, ptr: number, n: number): TypedArray {
    this.refresh();
    return new (src.constructor as Ctor)(this.buffer, ptr, n);
  }

  /** Copies src[lo, hi) into the arena; returns its address. */
  copyIn(src: TypedArray, lo: number, hi: number): number {
    const p = this.alloc((hi - lo) * src.BYTES_PER_ELEMENT);
    if (hi > lo)
      (this.view(src, p, hi - lo) as Float32Array).set(src.subarray(lo, hi) as Float32Array);
    return p;
  }

  /** Room for `n` elements of `like`'s kind, uninitialised (for outputs the kernel fully writes). */
  room(like: TypedArray, n: number): number {
    return this.alloc(n * like.BYTES_PER_ELEMENT);
  }

  /** Copies n elements at ptr back into dst from dst[lo]. */
  copyOut(ptr: number, dst: TypedArray, lo: number, n: number): void {
    if (n > 0) (dst as Float32Array).set(this.view(dst, ptr, n) as Float32Array, lo);
  }

  /** The arena's current size in bytes (for reports). */
  get memoryBytes(): number {
    return this.ex.memory.buffer.byteLength;
  }
}

/** The op names of kind 0 (unary), 1 (binary) or 2 (reduce) in the module's opcode order. */
export function opNames(ex: KilnWasmExports, kind: number): string[] {
  const p = ex.kw_op_names(kind);
  const meta = new Float64Array(ex.memory.buffer, ex.kw_meta(), 2);
  // sizeof the C string: each name and its NUL, then the literal's own terminating NUL.
  // a copy: browsers refuse TextDecoder.decode on a view of shared (threaded) memory
  const bytes = new Uint8Array(ex.memory.buffer, p, meta[1]! - 2).slice();
  const names = new TextDecoder().decode(bytes).split("\0");
  if (names.length !== meta[0]) throw new Error("kiln wasm: bad op name table");
  return names;
}

const arenas = new WeakMap<KilnWasmExports, Arena>();

/** The one arena of an instance (the backend and the thread pool share it). */
export function arenaOf(ex: KilnWasmExports): Arena {
  let a = arenas.get(ex);
  if (a === undefined) {
    a = new Arena(ex);
    arenas.set(ex, a);
  }
  return a;
}

/** Instantiates the module synchronously from its bytes (Node; small modules in browsers). */
export function instantiateSync(bytes: Uint8Array): KilnWasmExports {
  const api = wasmApi();
  return new api.Instance(new api.Module(bytes), {}).exports as unknown as KilnWasmExports;
}

/** Instantiates the module asynchronously (browsers, where large synchronous compiles are refused). */
export async function instantiate(bytes: Uint8Array): Promise<KilnWasmExports> {
  const { instance } = await wasmApi().instantiate(bytes, {});
  return instance.exports as unknown as KilnWasmExports;
}
