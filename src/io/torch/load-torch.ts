// loadTorch: reads files written by torch.save (the zip format of PyTorch >= 1.6) without running
// any code: the pickle goes through the restricted unpickler with an allow-list of the globals a
// state dict needs, storages are read from `<archive>/data/<key>` and shared between the tensors
// that view them. Depends on core, tensor, nn/parameter and the zip and pickle modules beside it.

import * as fs from "node:fs";
import {
  either,
  instanceOf,
  oneOf,
  opt,
  parseArgs,
  signature,
  str,
  type WithOptions,
} from "../../core/args.ts";
import type { DType } from "../../core/dtype.ts";
import { FormatError } from "../../core/errors.ts";
import { Parameter } from "../../nn/parameter.ts";
import { MAX_ELEMENTS } from "../../ops/dispatch.ts";
import { Storage, Tensor } from "../../tensor/tensor.ts";
import { clip, isTuple, MAX_PICKLE_DIMS, type PyCallable, PyDict, unpickle } from "./pickle.ts";
import { decodeStorage, STORAGE_TYPES, type TorchStorageDType } from "./storage-dtypes.ts";
import { type ZipArchive as Archive, ZipArchive } from "./zip.ts";

/** A value loadTorch returns: tensors, Python scalars and containers (tuples as frozen arrays). */
export type TorchValue =
  | Tensor
  | number
  | bigint
  | string
  | boolean
  | null
  | Uint8Array
  | TorchValue[]
  | readonly TorchValue[]
  | TorchDict
  | Map<TorchValue, TorchValue>;

/** A Python dict with string keys (a state dict), in the file's key order. */
export interface TorchDict {
  [key: string]: TorchValue;
}

class StorageType implements PyCallable {
  constructor(
    readonly qualname: string,
    readonly torchDtype: TorchStorageDType,
    readonly itemSize: number,
    readonly dtype: DType,
  ) {}
  call(): never {
    throw new FormatError(`${this.qualname} cannot be called while loading`);
  }
}

/** A storage read from the archive, shared by every tensor that names its key. */
class LoadedStorage {
  constructor(
    readonly key: string,
    readonly type: StorageType,
    readonly storage: Storage,
    readonly numel: number,
  ) {}
}

const isCount = (v: unknown): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

function countTuple(where: string, what: string, v: unknown): number[] {
  if (!isTuple(v)) {
    throw new FormatError(`${where}: tensor ${what} must be a tuple of non-negative integers`);
  }
  if (v.length > MAX_PICKLE_DIMS) {
    throw new FormatError(
      `${where}: tensor ${what} has ${v.length} dims; Kiln reads at most ${MAX_PICKLE_DIMS}`,
    );
  }
  if (!v.every(isCount)) {
    throw new FormatError(`${where}: tensor ${what} must be a tuple of non-negative integers`);
  }
  return [...v] as number[];
}

/** The deepest nesting of containers loadTorch returns (Python's default recursion limit). */
export const MAX_NESTING = 1000;
/** The largest `byteorder` record: "little" or "big", perhaps with a newline. */
const MAX_BYTEORDER_BYTES = 16;
/** The largest `data.pkl` record read (the pickle holds structure; tensor data lives in storages). */
export const MAX_PICKLE_BYTES = 256 * 1024 * 1024;

/** Builds `storage[offset]` viewed with `size`/`stride`, checking it stays inside the storage. */
function rebuildTensor(where: string, args: readonly unknown[]): Tensor {
  const [storage, offset, sizeArg, strideArg] = args;
  if (!(storage instanceof LoadedStorage)) {
    throw new FormatError(`${where}: _rebuild_tensor_v2 expects a storage as its first argument`);
  }
  if (!isCount(offset))
    throw new FormatError(`${where}: tensor storage offset ${String(offset)} is invalid`);
  const size = countTuple(where, "size", sizeArg);
  const stride = countTuple(where, "stride", strideArg);
  if (size.length !== stride.length) {
    throw new FormatError(
      `${where}: tensor size has ${size.length} dims but stride has ${stride.length}`,
    );
  }
  let last = offset;
  let empty = false;
  for (let d = 0; d < size.length; d++) {
    if (size[d] === 0) empty = true;
    else last += (size[d]! - 1) * stride[d]!;
  }
  if (!empty && last >= storage.numel) {
    throw new FormatError(
      `${where}: a tensor of size [${size.join(", ")}], stride [${stride.join(", ")}] at offset ${offset} reaches element ${last} of storage "${clip(storage.key, 80)}", which has ${storage.numel}`,
    );
  }
  const n = size.reduce((a, b) => a * b, 1);
  if (n > MAX_ELEMENTS) {
    throw new FormatError(
      `${where}: a tensor of size [${size.join(", ")}] has ${n} elements; Kiln's tensors hold at most 2^32 (a larger view of a small storage, as a stride of 0 makes, is refused rather than computed on for hours)`,
    );
  }
  return new Tensor(storage.storage, size, stride, offset, storage.type.dtype);
}

function callable(
  qualname: string,
  call: (args: readonly unknown[], offset: number) => unknown,
): PyCallable {
  return { qualname, call };
}

/** The allow-list: what torch.save writes for (nested containers of) tensors, and nothing else. */
function allowList(where: string): Map<string, PyCallable> {
  const at = (offset: number): string => `${where} at byte ${offset}`;
  const list: PyCallable[] = [
    callable("collections.OrderedDict", (args, o) => {
      if (args.length !== 0) throw new FormatError(`${at(o)}: OrderedDict called with arguments`);
      return new PyDict();
    }),
    callable("torch._utils._rebuild_tensor_v2", (args, o) => {
      if (args.length < 6 || args.length > 7) {
        throw new FormatError(
          `${at(o)}: _rebuild_tensor_v2 takes 6 or 7 arguments, got ${args.length}`,
        );
      }
      return rebuildTensor(at(o), args);
    }),
    callable("torch._utils._rebuild_tensor", (args, o) => {
      if (args.length !== 4)
        throw new FormatError(`${at(o)}: _rebuild_tensor takes 4 arguments, got ${args.length}`);
      return rebuildTensor(at(o), args);
    }),
    callable("torch._utils._rebuild_parameter", (args, o) => rebuildParameter(at(o), args, 3)),
    callable("torch._utils._rebuild_parameter_with_state", (args, o) =>
      rebuildParameter(at(o), args, 4),
    ),
    callable("torch.Size", (args, o) => {
      const [dims] = args;
      return Object.freeze(countTuple(at(o), "torch.Size", dims));
    }),
  ];
  const out = new Map(list.map((c) => [c.qualname, c]));
  for (const [name, [torchDtype, itemSize, dtype]] of Object.entries(STORAGE_TYPES)) {
    out.set(`torch.${name}`, new StorageType(`torch.${name}`, torchDtype, itemSize, dtype));
  }
  return out;
}

function rebuildParameter(where: string, args: readonly unknown[], arity: number): Tensor {
  const [data, requiresGrad] = args;
  if (args.length !== arity || !(data instanceof Tensor) || typeof requiresGrad !== "boolean") {
    throw new FormatError(
      `${where}: _rebuild_parameter expects (tensor, requires_grad, hooks${arity === 4 ? ", state" : ""})`,
    );
  }
  return new Parameter(
    data,
    requiresGrad && (data.dtype === "float32" || data.dtype === "float64"),
  );
}

/**
 * Converts the unpickler's PyDicts and tuples to plain JS values, keeping shared identity. The
 * recursion is bounded: nesting beyond `MAX_NESTING` levels is a FormatError (a state dict is a
 * few levels deep; PyTorch itself stops at Python's recursion limit of 1000).
 */
function toPlain(where: string, v: unknown, seen: Map<unknown, TorchValue>, depth = 0): TorchValue {
  if (v === null || typeof v !== "object" || v instanceof Tensor || v instanceof Uint8Array) {
    return v as TorchValue;
  }
  const cached = seen.get(v);
  if (cached !== undefined) return cached;
  if (depth >= MAX_NESTING) {
    throw new FormatError(
      `${where}: containers nested more than ${MAX_NESTING} levels deep; a state dict is a few levels deep`,
    );
  }
  const d = depth + 1;
  if (v instanceof PyDict) {
    const stringKeys = [...v.map.keys()].every((k) => typeof k === "string");
    if (!stringKeys) {
      const m = new Map<TorchValue, TorchValue>();
      seen.set(v, m);
      for (const [k, x] of v.map) m.set(toPlain(where, k, seen, d), toPlain(where, x, seen, d));
      return m;
    }
    const o: TorchDict = {};
    seen.set(v, o);
    for (const [k, x] of v.map) {
      Object.defineProperty(o, k as string, {
        value: toPlain(where, x, seen, d),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    for (const [k, x] of v.attrs) {
      if (!Object.hasOwn(o, k)) {
        Object.defineProperty(o, k, {
          value: toPlain(where, x, seen, d),
          enumerable: false,
          writable: true,
          configurable: true,
        });
      }
    }
    return o;
  }
  if (Array.isArray(v)) {
    const out: TorchValue[] = [];
    seen.set(v, out);
    for (const x of v) out.push(toPlain(where, x, seen, d));
    return isTuple(v) ? Object.freeze(out) : out;
  }
  if (v instanceof LoadedStorage) {
    const t = new Tensor(v.storage, [v.numel], [1], 0, v.type.dtype);
    seen.set(v, t);
    return t;
  }
  const name = "qualname" in v ? (v as PyCallable).qualname : "an object";
  throw new FormatError(
    `${where}: the file holds ${clip(name, 80)} as a value, which loadTorch does not return`,
  );
}

function findPrefix(archive: Archive, where: string): string {
  const names = [...archive.entries.keys()];
  const pkl = names.filter((n) => /^[^/]*\/?data\.pkl$/.test(n));
  if (pkl.length === 1) return pkl[0]!.slice(0, -"data.pkl".length);
  if (pkl.length > 1)
    throw new FormatError(
      `${where}: several data.pkl records (${clip(pkl.slice(0, 3).join(", "), 200)}${pkl.length > 3 ? `, and ${pkl.length - 3} more` : ""})`,
    );
  if (names.some((n) => /(^|\/)constants\.pkl$/.test(n))) {
    throw new FormatError(
      `${where}: this is a TorchScript archive (torch.jit.save); loadTorch reads torch.save files`,
    );
  }
  throw new FormatError(
    `${where}: missing zip entry "<archive>/data.pkl" (found ${clip(names.slice(0, 5).join(", "), 200) || "no entries"}${names.length > 5 ? `, and ${names.length - 5} more` : ""})`,
  );
}

/**
 * Parses the bytes of a torch.save file. Errors are `FormatError`s naming `source`, the zip entry
 * or pickle byte offset, and what was expected.
 */
export function parseTorch(bytes: Uint8Array, source = "<bytes>"): TorchValue {
  const where = `loadTorch: ${source}`;
  // NOTE: a Buffer's slice() shares memory; viewing it as a plain Uint8Array makes slice() copy.
  const archive = new ZipArchive(
    new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    where,
  );
  const prefix = findPrefix(archive, where);
  // NOTE: the prefix comes from the file; messages show at most 80 characters of it.
  const shown = clip(prefix, 80);
  const record = (name: string, maxBytes: number): Uint8Array | undefined => {
    const e = archive.entries.get(prefix + name);
    return e === undefined ? undefined : archive.read(e, maxBytes);
  };
  const byteorder = record("byteorder", MAX_BYTEORDER_BYTES);
  const order = byteorder === undefined ? "little" : new TextDecoder().decode(byteorder).trim();
  if (order !== "little" && order !== "big") {
    throw new FormatError(
      `${where}: zip entry "${shown}byteorder" says ${JSON.stringify(order)}, expected "little" or "big"`,
    );
  }
  const storages = new Map<string, LoadedStorage>();
  const globals = allowList(`${where}: ${shown}data.pkl`);

  const persistentLoad = (pid: unknown, offset: number): LoadedStorage => {
    const at = `${where}: ${shown}data.pkl at byte ${offset}`;
    if (!isTuple(pid) || pid.length !== 5 || pid[0] !== "storage") {
      throw new FormatError(`${at}: persistent id must be ("storage", type, key, location, numel)`);
    }
    const [, type, key, , numel] = pid;
    if (!(type instanceof StorageType))
      throw new FormatError(`${at}: persistent id names no storage type`);
    if (typeof key !== "string" || !isCount(numel))
      throw new FormatError(`${at}: persistent id has a bad key or size`);
    const name = clip(key, 80);
    const cached = storages.get(key);
    if (cached !== undefined) {
      if (cached.type !== type || cached.numel !== numel) {
        throw new FormatError(
          `${at}: storage "${name}" is named as ${type.qualname}[${numel}] and as ${cached.type.qualname}[${cached.numel}]`,
        );
      }
      return cached;
    }
    const entryName = `${prefix}data/${key}`;
    const entry = archive.entries.get(entryName);
    if (entry === undefined)
      throw new FormatError(
        `${at}: missing zip entry "${clip(entryName, 120)}" for storage "${name}"`,
      );
    const want = numel * type.itemSize;
    if (entry.size !== want) {
      throw new FormatError(
        `${where}: zip entry "${clip(entryName, 120)}" at byte ${entry.headerOffset} holds ${entry.size} bytes, but storage "${name}" declares ${numel} × ${type.torchDtype} = ${want} bytes`,
      );
    }
    const data = decodeStorage(
      `${where}: zip entry "${clip(entryName, 120)}"`,
      type,
      archive.read(entry, want),
      order === "little",
    );
    const loaded = new LoadedStorage(key, type, new Storage(data), numel);
    storages.set(key, loaded);
    return loaded;
  };

  const pklEntry = archive.entries.get(`${prefix}data.pkl`)!;
  const result = unpickle(
    archive.read(pklEntry, MAX_PICKLE_BYTES),
    { findGlobal: (module, name) => globals.get(`${module}.${name}`), persistentLoad },
    `${where}: ${shown}data.pkl`,
  );
  return toPlain(where, result, new Map());
}

// torch.load(f, map_location): Kiln's tensors live on the CPU, so "cpu" is the one location.
const LOAD_TORCH = signature("io.loadTorch", {
  source: either(str, instanceOf(Uint8Array, "a Uint8Array")),
  mapLocation: opt(oneOf("cpu")),
});

/**
 * Reads a file written by `torch.save` (PyTorch >= 1.6 zip format), typically a state dict,
 * without running any code from it, as `torch.load(path, weights_only=True)`.
 *
 * Returns plain JS values: (Ordered)dicts with string keys as objects in the file's key order
 * (a state dict's `_metadata` kept as a non-enumerable property), other dicts as Maps, lists as
 * arrays, tuples as frozen arrays, ints as numbers (bigint beyond 2^53), None as null, and tensors
 * as Tensors that share storage exactly when PyTorch's did. Every storage dtype loads as itself
 * (int64 exactly, float16 and bfloat16 as the storage dtypes). nn.Parameter loads as Parameter.
 *
 * `T` is the structure the caller expects (unchecked, as with JSON.parse); it defaults to
 * `TorchValue`, and is inferred as a state dict in `model.loadStateDict(io.loadTorch(p))`.
 *
 * @example model.loadStateDict(io.loadTorch("model.pt"));
 */
export function loadTorch<T = TorchValue>(
  source: string | Uint8Array,
  ...rest: WithOptions<[mapLocation: "cpu"], { mapLocation?: "cpu" }>
): T {
  parseArgs(LOAD_TORCH, [source, ...rest]);
  if (typeof source !== "string") return parseTorch(source) as T;
  return parseTorch(fs.readFileSync(source), source) as T;
}
