// saveTorch: writes a state dict (or nested containers of tensors and Python scalars) in the zip
// format of torch.save, so that PyTorch's torch.load (1.6 and later, weights_only too) reads it:
// `archive/data.pkl` (protocol 2), one `archive/data/<key>` record per storage, `archive/byteorder`
// and `archive/version`. Depends on core, tensor, nn/parameter, optim/torch-state (optimizer state
// dicts are written in PyTorch's form), io/atomic and the modules beside it.

import { oneOf, opt, parseArgs, signature, str, unchecked } from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import { Parameter } from "../../nn/parameter.ts";
import type { OptimizerStateDict } from "../../optim/optimizer.ts";
import { isOptimizerStateDict, toTorchStateDict } from "../../optim/torch-state.ts";
import { type Storage, Tensor } from "../../tensor/tensor.ts";
import { writeFileAtomic } from "../atomic.ts";
import type { TorchValue } from "./load-torch.ts";
import { OP, PickleWriter } from "./pickle-writer.ts";
import { writeZip } from "./zip.ts";

/**
 * What can be saved: the values loadTorch returns, optimizer state dicts (written as PyTorch's),
 * and objects and arrays of them, e.g. `{ model: m.stateDict(), optimizer: opt.stateDict(), epoch }`.
 */
export type Savable =
  | TorchValue
  | OptimizerStateDict
  | { readonly [key: string]: Savable }
  | readonly Savable[];

/** Options of `saveTorch` / `serializeTorch`. */
export interface SaveTorchOptions {
  /**
   * The torch dtype Kiln's int32 tensors are written as: "int64" (default, torch.long, what
   * PyTorch uses for indices, labels and `num_batches_tracked`) or "int32".
   */
  intDtype?: "int64" | "int32";
  /** The directory name inside the zip (PyTorch uses the file's stem); default "archive". */
  archiveName?: string;
}

// torch.save(obj, f): Kiln's order is file first (API.md); `obj` may be a record (a state dict),
// so the options are keyword-only.
const saveOptions = {
  intDtype: opt(oneOf("int64", "int32")),
  archiveName: opt(str),
};
const SAVE = signature("io.saveTorch", { file: str, value: unchecked }, saveOptions);
const SERIALIZE = signature("io.serializeTorch", { value: unchecked }, saveOptions);

/** What the PyTorch serialization format version record says (torch/serialization.py). */
const FORMAT_VERSION = "3\n";
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface StorageRecord {
  key: string;
  storageType: string;
  bytes: Uint8Array;
}

function storageBytes(
  t: Tensor,
  intDtype: "int64" | "int32",
): { storageType: string; bytes: Uint8Array } {
  const data = t.storage.data;
  const n = data.length;
  const out = (itemSize: number, fill: (v: DataView, i: number) => void): Uint8Array => {
    const b = new Uint8Array(n * itemSize);
    const v = new DataView(b.buffer);
    for (let i = 0; i < n; i++) fill(v, i);
    return b;
  };
  const raw = () => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  switch (t.dtype) {
    case "float32":
      return {
        storageType: "FloatStorage",
        bytes: LITTLE_ENDIAN ? raw() : out(4, (v, i) => v.setFloat32(i * 4, data[i]!, true)),
      };
    case "float64":
      return {
        storageType: "DoubleStorage",
        bytes: LITTLE_ENDIAN ? raw() : out(8, (v, i) => v.setFloat64(i * 8, data[i]!, true)),
      };
    case "bool":
      return { storageType: "BoolStorage", bytes: Uint8Array.from(data, (x) => (x !== 0 ? 1 : 0)) };
    case "float16":
    case "bfloat16":
      return {
        storageType: t.dtype === "float16" ? "HalfStorage" : "BFloat16Storage",
        bytes: LITTLE_ENDIAN ? raw() : out(2, (v, i) => v.setUint16(i * 2, data[i]!, true)),
      };
    case "int32":
      if (intDtype === "int32") {
        return {
          storageType: "IntStorage",
          bytes: LITTLE_ENDIAN ? raw() : out(4, (v, i) => v.setInt32(i * 4, data[i]!, true)),
        };
      }
      return {
        storageType: "LongStorage",
        bytes: out(8, (v, i) => {
          v.setInt32(i * 8, data[i]!, true);
          v.setInt32(i * 8 + 4, data[i]! < 0 ? -1 : 0, true);
        }),
      };
    case "int64": {
      // NOTE: int64 storage is a BigInt64Array (see TypedArray in core/dtype.ts): exact.
      const big = data as unknown as BigInt64Array;
      return {
        storageType: "LongStorage",
        bytes: LITTLE_ENDIAN ? raw() : out(8, (v, i) => v.setBigInt64(i * 8, big[i]!, true)),
      };
    }
    case "int16":
      return {
        storageType: "ShortStorage",
        bytes: LITTLE_ENDIAN ? raw() : out(2, (v, i) => v.setInt16(i * 2, data[i]!, true)),
      };
    case "int8":
      return { storageType: "CharStorage", bytes: raw().slice() };
    case "uint8":
      return { storageType: "ByteStorage", bytes: raw().slice() };
  }
}

function isPlainObject(v: unknown): v is Record<string, TorchValue> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Encodes `value` as the bytes of a torch.save file. A top-level object becomes an OrderedDict (as
 * `module.state_dict()` is), nested objects and Maps dicts, frozen arrays tuples, other arrays
 * lists; integral numbers are Python ints, others floats. An optimizer's `stateDict()` is written
 * as PyTorch 1.13's `optimizer.state_dict()` (see optim/torch-state.ts). Tensors sharing a Kiln Storage share one
 * torch storage, with their offsets and strides kept.
 */
export function serializeTorch(value: Savable, options: SaveTorchOptions = {}): Uint8Array {
  parseArgs(SERIALIZE, arguments);
  const intDtype = options.intDtype ?? "int64";
  const archive = options.archiveName ?? "archive";
  if (!/^[A-Za-z0-9_.-]+$/.test(archive))
    throw new ValueError(`saveTorch: archiveName "${archive}" must be a plain name`);
  const w = new PickleWriter().proto();
  const storages = new Map<Storage, StorageRecord>();
  const active = new Set<object>();

  const orderedDict = (): void => {
    w.global("collections", "OrderedDict").tuple(0).op(OP.REDUCE);
  };
  const tuple = (items: readonly unknown[], path: string): void => {
    if (items.length > 3) w.mark();
    for (const [i, x] of items.entries()) write(x, `${path}[${i}]`);
    w.tuple(items.length);
  };
  const tensor = (t: Tensor): void => {
    let rec = storages.get(t.storage);
    if (rec === undefined) {
      rec = { key: String(storages.size), ...storageBytes(t, intDtype) };
      storages.set(t.storage, rec);
    }
    const param = t instanceof Parameter;
    if (param) w.global("torch._utils", "_rebuild_parameter");
    w.global("torch._utils", "_rebuild_tensor_v2").mark();
    w.mark()
      .str("storage")
      .global("torch", rec.storageType)
      .str(rec.key)
      .str("cpu")
      .int(t.storage.data.length);
    w.tuple(5).op(OP.BINPERSID);
    w.int(t.offset);
    tuple(t.shape, "");
    tuple(t.strides, "");
    w.bool(false);
    orderedDict();
    w.tuple(6).op(OP.REDUCE);
    if (param) {
      w.bool(t.requiresGrad);
      orderedDict();
      w.tuple(3).op(OP.REDUCE);
    }
  };
  const entries = (pairs: Iterable<readonly [unknown, unknown]>, path: string): void => {
    w.mark();
    for (const [k, v] of pairs) {
      write(k, `${path} key`);
      write(v, path === "" ? String(k) : `${path}.${String(k)}`);
    }
    w.op(OP.SETITEMS);
  };
  const write = (v: unknown, path: string): void => {
    if (v === null || v === undefined) w.none();
    else if (typeof v === "boolean") w.bool(v);
    else if (typeof v === "bigint") w.int(v);
    else if (typeof v === "number") {
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) w.int(v);
      else w.float(v);
    } else if (typeof v === "string") w.str(v);
    else if (v instanceof Tensor) tensor(v);
    else if (isOptimizerStateDict(v) && !(v.state instanceof Map)) {
      // An optimizer's stateDict(): written as PyTorch's own (int keys, step tensors, tuples).
      write(toTorchStateDict(v), path);
    } else if (typeof v === "object") {
      if (active.has(v)) throw new ValueError(`saveTorch: ${path || "value"} contains itself`);
      active.add(v);
      if (Array.isArray(v) && Object.isFrozen(v)) tuple(v, path);
      else if (Array.isArray(v)) {
        w.op(OP.EMPTY_LIST).mark();
        for (const [i, x] of v.entries()) write(x, `${path}[${i}]`);
        w.op(OP.APPENDS);
      } else if (v instanceof Map) {
        w.op(OP.EMPTY_DICT);
        entries(v, path);
      } else if (isPlainObject(v)) {
        if (path === "") orderedDict();
        else w.op(OP.EMPTY_DICT);
        entries(Object.entries(v), path);
      } else {
        throw new ValueError(
          `saveTorch: ${path || "value"} is a ${v.constructor?.name ?? "object"}, which torch.save files do not hold here`,
        );
      }
      active.delete(v);
    } else {
      throw new ValueError(`saveTorch: ${path || "value"} is a ${typeof v}, which cannot be saved`);
    }
  };
  write(value, "");
  w.op(OP.STOP);

  const records: [string, Uint8Array][] = [[`${archive}/data.pkl`, w.bytes()]];
  for (const rec of storages.values()) records.push([`${archive}/data/${rec.key}`, rec.bytes]);
  records.push([`${archive}/byteorder`, new TextEncoder().encode("little")]);
  records.push([`${archive}/version`, new TextEncoder().encode(FORMAT_VERSION)]);
  return writeZip(records);
}

/**
 * Saves a state dict (or nested containers of tensors) as a file `torch.load` reads, atomically
 * (temporary file, fsync, rename). int32 tensors are written as torch.long unless
 * `{ intDtype: "int32" }`.
 *
 * @example io.saveTorch("model.pt", model.stateDict()); // torch.load("model.pt") in PyTorch
 */
export function saveTorch(file: string, value: Savable, options: SaveTorchOptions = {}): void {
  parseArgs(SAVE, arguments);
  writeFileAtomic(file, serializeTorch(value, options));
}
