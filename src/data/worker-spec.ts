// How a dataset reaches a worker thread: not as an object (functions and class instances do not
// survive postMessage) but as a recipe, "import this module and construct this export with these
// arguments". This file encodes such recipes and plain data (tensors included) to structured-
// clone values and back. Depends on core and the Tensor class only.

import type { DType, TypedArray } from "../core/dtype.ts";
import { ValueError } from "../core/errors.ts";
import { Generator, type GeneratorState } from "../core/rng.ts";
import { Tensor } from "../tensor/tensor.ts";

/**
 * A recipe that rebuilds an object in a worker thread: `new (await import(module))[exportName](...args)`.
 * `module` is a file URL or absolute path (usually `import.meta.url`). Arguments may be plain data,
 * typed arrays, tensors, generators, and objects that have a `workerSpec()` of their own.
 *
 * @example
 * class Scans extends data.Dataset<[Tensor, number]> {
 *   constructor(readonly dir: string) { super(); }
 *   workerSpec(): data.WorkerSpec { return { module: import.meta.url, exportName: "Scans", args: [this.dir] }; }
 *   ...
 * }
 */
export interface WorkerSpec {
  module: string;
  exportName: string;
  args: readonly unknown[];
}

/** Anything that knows how to be rebuilt in a worker. */
export interface WorkerConstructible {
  workerSpec(): WorkerSpec;
}

export function hasWorkerSpec(x: unknown): x is WorkerConstructible {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as Partial<WorkerConstructible>).workerSpec === "function"
  );
}

const TAG = "__kiln";

interface EncodedTensor {
  [TAG]: "tensor";
  dtype: DType;
  shape: number[];
  data: TypedArray;
}
interface EncodedGenerator {
  [TAG]: "generator";
  state: GeneratorState;
}
interface EncodedSpec {
  [TAG]: "spec";
  module: string;
  exportName: string;
  args: unknown[];
}

function isPlainObject(x: object): boolean {
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function tagOf(x: unknown): string | undefined {
  return typeof x === "object" && x !== null
    ? ((x as Record<string, unknown>)[TAG] as string | undefined)
    : undefined;
}

/**
 * Encodes a value for postMessage. Tensors become `{dtype, shape, data}` (their buffers appended
 * to `transfer` when given), generators their state, objects with `workerSpec()` their recipe.
 * `where` names the value in error messages.
 */
export function encode(x: unknown, where: string, transfer?: ArrayBuffer[]): unknown {
  if (x === null || x === undefined || typeof x !== "object") {
    if (typeof x === "function") {
      throw new ValueError(
        `DataLoader: ${where} is a function, which cannot be sent to a worker thread; give it a ` +
          "workerSpec() (see data.WorkerSpec) or use numWorkers: 0",
      );
    }
    if (typeof x === "symbol" || typeof x === "bigint") {
      throw new ValueError(
        `DataLoader: ${where} is a ${typeof x}, which cannot be sent to a worker thread`,
      );
    }
    return x;
  }
  if (x instanceof Tensor) {
    const data = x.dataSync();
    transfer?.push(data.buffer as ArrayBuffer);
    const t: EncodedTensor = { [TAG]: "tensor", dtype: x.dtype, shape: [...x.shape], data };
    return t;
  }
  if (x instanceof Generator) {
    const g: EncodedGenerator = { [TAG]: "generator", state: x.getState() };
    return g;
  }
  if (hasWorkerSpec(x)) {
    const spec = x.workerSpec();
    const s: EncodedSpec = {
      [TAG]: "spec",
      module: spec.module,
      exportName: spec.exportName,
      args: spec.args.map((a, i) =>
        encode(a, `${where} → ${spec.exportName} argument ${i}`, transfer),
      ),
    };
    return s;
  }
  if (ArrayBuffer.isView(x) || x instanceof ArrayBuffer) return x;
  if (Array.isArray(x)) return x.map((v, i) => encode(v, `${where}[${i}]`, transfer));
  if (isPlainObject(x)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) out[k] = encode(v, `${where}.${k}`, transfer);
    return out;
  }
  throw new ValueError(
    `DataLoader: ${where} is a ${x.constructor.name}, which cannot be sent to a worker thread; ` +
      "give its class a workerSpec() (see data.WorkerSpec) or use numWorkers: 0",
  );
}

/** Decodes plain data (tensors, generators, arrays, objects); recipes are left to `decodeAsync`. */
export function decode(x: unknown): unknown {
  if (x === null || typeof x !== "object" || ArrayBuffer.isView(x) || x instanceof ArrayBuffer)
    return x;
  const tag = tagOf(x);
  if (tag === "tensor") {
    const t = x as EncodedTensor;
    return Tensor.fromData(t.data, t.shape, t.dtype);
  }
  if (tag === "generator") return new Generator().setState((x as EncodedGenerator).state);
  if (Array.isArray(x)) return x.map(decode);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) out[k] = decode(v);
  return out;
}

/** Every module a value's recipes import (to decide whether the worker needs a TS loader). */
export function specModules(x: unknown, out: string[] = []): string[] {
  if (x === null || typeof x !== "object" || ArrayBuffer.isView(x)) return out;
  if (tagOf(x) === "spec") out.push((x as EncodedSpec).module);
  for (const v of Object.values(x)) specModules(v, out);
  return out;
}

/**
 * Rebuilds a value in the worker: recipes are imported and constructed (their arguments first),
 * and every generator goes through `reseed` so that workers do not repeat each other's draws.
 */
export async function decodeAsync(
  x: unknown,
  reseed: (g: Generator) => Generator,
): Promise<unknown> {
  if (x === null || typeof x !== "object" || ArrayBuffer.isView(x) || x instanceof ArrayBuffer)
    return x;
  const tag = tagOf(x);
  if (tag === "generator") return reseed(decode(x) as Generator);
  if (tag === "tensor") return decode(x);
  if (tag === "spec") {
    const s = x as EncodedSpec;
    const args: unknown[] = [];
    for (const a of s.args) args.push(await decodeAsync(a, reseed));
    const mod = (await import(s.module)) as Record<string, unknown>;
    const ctor = mod[s.exportName];
    if (typeof ctor !== "function") {
      throw new ValueError(`worker: module ${s.module} has no exported class ${s.exportName}`);
    }
    return new (ctor as new (...a: unknown[]) => unknown)(...args);
  }
  if (Array.isArray(x)) {
    const out: unknown[] = [];
    for (const v of x) out.push(await decodeAsync(v, reseed));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) out[k] = await decodeAsync(v, reseed);
  return out;
}
