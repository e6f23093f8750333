// The safetensors format (huggingface/safetensors), written by hand: an 8-byte little-endian u64
// header length N, N bytes of JSON header padded with spaces to a multiple of 8, then the raw
// little-endian tensor bytes. Loading validates every field before touching the data. Depends on
// core (dtype, errors), tensor and io/atomic; nothing here runs code from the file.

import * as fs from "node:fs";
import {
  checkArity,
  either,
  instanceOf,
  oneOf,
  opt,
  parseArgs,
  record,
  signature,
  str,
  type WithOptions,
} from "../core/args.ts";
import { type DType, type TypedArray, Uint8Values } from "../core/dtype.ts";
import { FormatError, ValueError } from "../core/errors.ts";
import { BFloat16Bits, Float16Bits } from "../core/half.ts";
import { Tensor } from "../tensor/tensor.ts";
import { writeFileAtomic } from "./atomic.ts";

/**
 * The dtypes of the format, in the reference crate's `Dtype` enum order (increasing alignment),
 * which is also the order its writer sorts by (descending), from safetensors/src/tensor.rs.
 */
const FILE_DTYPES = [
  "BOOL",
  "U8",
  "I8",
  "F8_E5M2",
  "F8_E4M3",
  "I16",
  "U16",
  "F16",
  "BF16",
  "I32",
  "U32",
  "F32",
  "F64",
  "I64",
  "U64",
] as const;
/** A dtype name as it appears in a safetensors header. */
export type SafetensorsDType = (typeof FILE_DTYPES)[number];

const ITEM_SIZE: Record<SafetensorsDType, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

const SAVE_DTYPE: Record<DType, SafetensorsDType> = {
  float32: "F32",
  float64: "F64",
  int32: "I32",
  int64: "I64",
  int16: "I16",
  int8: "I8",
  uint8: "U8",
  bool: "BOOL",
  float16: "F16",
  bfloat16: "BF16",
};

/** The reference reader's cap on the header (MAX_HEADER_SIZE in safetensors/src/tensor.rs). */
export const MAX_HEADER_SIZE = 100_000_000;
/**
 * The deepest JSON nesting of a header: serde_json's default recursion limit, which the reference
 * reader parses with (a valid header nests 3 levels: object, tensor entry, shape).
 */
export const MAX_HEADER_NESTING = 128;

/** Options of `saveSafetensors` / `serializeSafetensors`. */
export interface SaveSafetensorsOptions {
  /** Free-form string pairs stored under `__metadata__` (e.g. `{ format: "pt" }`). */
  metadata?: Record<string, string>;
}

/** A parsed file: the tensors in file order and the `__metadata__` map (empty when absent). */
export interface SafetensorsContents {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

const tensorRecord = record<Record<string, Tensor>>(
  "a record of named Tensors",
  (v) => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Tensor),
);
const metadataRecord = record<Record<string, string>>(
  "a record of strings",
  (v) => typeof v === "object" && v !== null && !Array.isArray(v),
);
// Kiln's order is path first (safetensors.torch.save_file(tensors, filename, metadata) takes the
// tensors first); `metadata` is keyword-only here, since a record in its slot would be ambiguous.
const SAVE = signature(
  "io.saveSafetensors",
  { file: str, tensors: tensorRecord },
  { metadata: opt(metadataRecord) },
);
const SERIALIZE = signature(
  "io.serializeSafetensors",
  { tensors: tensorRecord },
  { metadata: opt(metadataRecord) },
);
const source = either(
  str,
  instanceOf(Uint8Array, "a Uint8Array"),
  instanceOf(ArrayBuffer, "an ArrayBuffer"),
);
// safetensors.torch.load_file(filename, device="cpu"): Kiln's tensors live on the CPU.
const LOAD = signature("io.loadSafetensors", { source, device: opt(oneOf("cpu")) });
const READ = signature("io.readSafetensors", { source });

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const utf8 = new TextEncoder();

/** Orders strings by their UTF-8 bytes (the reference writer's order; no Node Buffer, for browsers). */
function utf8Compare(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** The chunks joined into one array. */
function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function tensorBytes(t: Tensor): Uint8Array {
  const data: TypedArray = t.dataSync();
  if (LITTLE_ENDIAN || t.dtype === "bool") {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (t.dtype === "float32") view.setFloat32(i * 4, data[i]!, true);
    else if (t.dtype === "float64") view.setFloat64(i * 8, data[i]!, true);
    else if (t.dtype === "int64")
      view.setBigInt64(i * 8, (data as unknown as BigInt64Array)[i]!, true);
    else if (t.dtype === "int16") view.setInt16(i * 2, data[i]!, true);
    else if (t.dtype === "float16" || t.dtype === "bfloat16") view.setUint16(i * 2, data[i]!, true);
    else if (t.dtype === "int8" || t.dtype === "uint8") view.setUint8(i, data[i]! & 0xff);
    else view.setInt32(i * 4, data[i]!, true);
  }
  return out;
}

/**
 * Encodes tensors as a safetensors byte stream in the chunks it is made of (header, then each
 * tensor's bytes). Layout as the reference writer: tensors sorted by descending dtype alignment,
 * then by name (UTF-8 byte order); the header lists `__metadata__` first, then the tensors in data
 * order; the JSON is padded with spaces to a multiple of 8 bytes so every tensor starts aligned.
 */
export function serializeSafetensorsChunks(
  tensors: Record<string, Tensor>,
  options: SaveSafetensorsOptions = {},
): Uint8Array[] {
  parseArgs(SERIALIZE, arguments);
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    if (name === "__metadata__") {
      throw new ValueError(`saveSafetensors: "__metadata__" is reserved and cannot name a tensor`);
    }
    if (!(t instanceof Tensor)) {
      throw new ValueError(`saveSafetensors: entry "${name}" is not a Tensor`);
    }
  }
  entries.sort(([na, a], [nb, b]) => {
    const byDtype =
      FILE_DTYPES.indexOf(SAVE_DTYPE[b.dtype]) - FILE_DTYPES.indexOf(SAVE_DTYPE[a.dtype]);
    return byDtype !== 0 ? byDtype : utf8Compare(na, nb);
  });
  const header: Record<string, unknown> = {};
  if (options.metadata !== undefined) {
    const meta: Record<string, string> = {};
    for (const key of Object.keys(options.metadata).sort(utf8Compare)) {
      const v = options.metadata[key];
      if (typeof v !== "string") {
        throw new ValueError(
          `saveSafetensors: metadata "${key}" must be a string, got ${typeof v}`,
        );
      }
      meta[key] = v;
    }
    header.__metadata__ = meta;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    const bytes = tensorBytes(t);
    header[name] = {
      dtype: SAVE_DTYPE[t.dtype],
      shape: [...t.shape],
      data_offsets: [offset, offset + bytes.length],
    };
    offset += bytes.length;
    chunks.push(bytes);
  }
  const json = utf8.encode(JSON.stringify(header));
  const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  padded.set(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(padded.length), true);
  return [prefix, padded, ...chunks];
}

/** Encodes tensors as the bytes of a safetensors file (see `serializeSafetensorsChunks`). */
export function serializeSafetensors(
  tensors: Record<string, Tensor>,
  options: SaveSafetensorsOptions = {},
): Uint8Array {
  parseArgs(SERIALIZE, arguments);
  return concatBytes(serializeSafetensorsChunks(tensors, options));
}

/**
 * Saves tensors (a state dict) as a safetensors file, atomically (temporary file, fsync, rename).
 * Kiln's dtypes map to F32, F64, I64, I32, I16, I8, U8, BOOL, F16 and BF16; keys are kept as given (`fc1.weight`), so
 * `safetensors.torch.load_file` and `torch.nn.Module.load_state_dict` accept the file.
 *
 * @example io.saveSafetensors("model.safetensors", model.stateDict(), { metadata: { format: "pt" } });
 */
export function saveSafetensors(
  file: string,
  tensors: Record<string, Tensor>,
  options: SaveSafetensorsOptions = {},
): void {
  parseArgs(SAVE, arguments);
  writeFileAtomic(file, serializeSafetensorsChunks(tensors, options));
}

// ---- reading ------------------------------------------------------------------------------

interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/** `s` for an error message: at most `max` characters (names come from the file). */
function clip(s: string, max = 120): string {
  return s.length <= max ? s : `${s.slice(0, max)}...(${s.length} characters)`;
}

/** A JSON value from the header, shown in a message: short, and never walked recursively. */
function show(v: unknown): string {
  if (Array.isArray(v)) {
    if (v.length <= 8 && v.every((x) => x === null || typeof x !== "object")) {
      return clip(JSON.stringify(v), 120);
    }
    return `a list of ${v.length} values`;
  }
  if (typeof v === "object" && v !== null) return "an object";
  return clip(JSON.stringify(v) ?? String(v), 120);
}

/**
 * The deepest nesting of `[` and `{` in JSON text, outside strings, in one linear pass; stops as
 * soon as it passes `limit`.
 */
function jsonNesting(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** The most JSON text one tensor entry may take: `{dtype, shape, data_offsets}` is under 1 KB. */
const MAX_ENTRY_JSON = 64 * 1024;

/**
 * Walks the fields of the JSON object in `text` in one linear pass, calling `onField` with each key
 * and its value's text, which the caller parses alone: a header of millions of fields never becomes
 * one huge object (which V8 builds and walks in superlinear time), and a bad field stops the walk.
 * Returns a string naming the problem when `text` is not such an object, else undefined.
 */
function jsonFields(
  text: string,
  onField: (key: string, value: string) => void,
): string | undefined {
  const n = text.length;
  const ws = (i: number): number => {
    let j = i;
    for (;;) {
      const c = text.charCodeAt(j);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) j++;
      else return j;
    }
  };
  const stringEnd = (i: number): number => {
    for (let j = i + 1; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c === 0x5c) j++;
      else if (c === 0x22) return j + 1;
    }
    return -1;
  };
  const valueEnd = (i: number): number => {
    const c = text.charCodeAt(i);
    if (c === 0x22) return stringEnd(i);
    if (c === 0x7b || c === 0x5b) {
      let depth = 0;
      for (let j = i; j < n; j++) {
        const d = text.charCodeAt(j);
        if (d === 0x22) {
          j = stringEnd(j) - 1;
          if (j < 0) return -1;
        } else if (d === 0x7b || d === 0x5b) depth++;
        else if (d === 0x7d || d === 0x5d) {
          depth--;
          if (depth === 0) return j + 1;
        }
      }
      return -1;
    }
    // A number, true, false or null: up to the next delimiter (JSON.parse checks it).
    let j = i;
    for (; j < n; j++) {
      const d = text.charCodeAt(j);
      if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || (d >= 0x09 && d <= 0x0d)) break;
    }
    return j === i ? -1 : j;
  };
  let i = ws(0);
  if (text[i] !== "{") return "not-object";
  i = ws(i + 1);
  if (text[i] === "}") i++;
  else {
    for (;;) {
      if (text[i] !== '"') return `expected a string key at character ${i}`;
      const keyEnd = stringEnd(i);
      if (keyEnd < 0) return `unterminated string at character ${i}`;
      let key: string;
      try {
        key = JSON.parse(text.slice(i, keyEnd)) as string;
      } catch {
        return `bad string at character ${i}`;
      }
      i = ws(keyEnd);
      if (text[i] !== ":") return `expected ':' at character ${i}`;
      i = ws(i + 1);
      const end = valueEnd(i);
      if (end < 0) return `bad or unterminated value at character ${i}`;
      onField(key, text.slice(i, end));
      i = ws(end);
      if (text[i] === ",") i = ws(i + 1);
      else if (text[i] === "}") {
        i++;
        break;
      } else return `expected ',' or '}' at character ${i}`;
    }
  }
  if (ws(i) !== n) return `unexpected text after the object at character ${ws(i)}`;
  return undefined;
}

/** Sets `o[key] = v` as an own property, whatever the key (`__proto__` included). */
function setOwn<T>(o: Record<string, T>, key: string, v: T): void {
  Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function checkEntry(where: string, name: string, raw: unknown): Entry {
  const fail = (what: string): never => {
    throw new FormatError(`${where}: tensor "${clip(name)}": ${what}`);
  };
  if (!isPlainObject(raw)) return fail(`expected an object {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== "string" || !(FILE_DTYPES as readonly string[]).includes(dtype)) {
    return fail(`unknown dtype ${show(dtype)}, expected one of ${FILE_DTYPES.join(", ")}`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    return fail(`shape ${show(shape)} is not a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    return fail(`data_offsets ${show(offsets)} is not a pair [begin, end] of integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) return fail(`data_offsets [${begin}, ${end}] end before they begin`);
  const t = dtype as SafetensorsDType;
  const dims = shape.length <= 8 ? `[${shape.join(", ")}]` : `of ${shape.length} dims`;
  // As the reference's checked product, in order: any partial product past 2^53 overflows.
  let elements = 1;
  for (const d of shape as number[]) {
    elements *= d;
    if (!Number.isSafeInteger(elements * ITEM_SIZE[t])) return fail(`shape ${dims} is too large`);
  }
  const want = elements * ITEM_SIZE[t];
  if (end - begin !== want) {
    return fail(
      `data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but shape ${dims} of ${t} needs ${want}`,
    );
  }
  return { name, dtype: t, shape: shape as number[], begin, end };
}

function decode(where: string, e: Entry, bytes: Uint8Array): Tensor {
  const n = e.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (e.dtype) {
    case "F32":
    case "F64":
    case "I32": {
      // NOTE: a Buffer's slice() shares memory and may be unaligned; new Uint8Array(x) copies.
      const copy = new Uint8Array(bytes);
      if (LITTLE_ENDIAN) {
        if (e.dtype === "F32")
          return Tensor.fromData(new Float32Array(copy.buffer), e.shape, "float32");
        if (e.dtype === "F64")
          return Tensor.fromData(new Float64Array(copy.buffer), e.shape, "float64");
        return Tensor.fromData(new Int32Array(copy.buffer), e.shape, "int32");
      }
      if (e.dtype === "F64") {
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
        return Tensor.fromData(out, e.shape, "float64");
      }
      const out = e.dtype === "F32" ? new Float32Array(n) : new Int32Array(n);
      for (let i = 0; i < n; i++) {
        out[i] = e.dtype === "F32" ? view.getFloat32(i * 4, true) : view.getInt32(i * 4, true);
      }
      return Tensor.fromData(out, e.shape, e.dtype === "F32" ? "float32" : "int32");
    }
    case "F16":
    case "BF16": {
      // Storage dtypes: the bit patterns are kept (convert with .float() to compute).
      const out = e.dtype === "F16" ? new Float16Bits(n) : new BFloat16Bits(n);
      for (let i = 0; i < n; i++) out[i] = view.getUint16(i * 2, true);
      return Tensor.fromData(out, e.shape, e.dtype === "F16" ? "float16" : "bfloat16");
    }
    case "BOOL": {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = bytes[i] !== 0 ? 1 : 0;
      return Tensor.fromData(out, e.shape, "bool");
    }
    case "U8":
      return Tensor.fromData(new Uint8Values(new Uint8Array(bytes).buffer), e.shape, "uint8");
    case "I8":
      return Tensor.fromData(new Int8Array(new Uint8Array(bytes).buffer), e.shape, "int8");
    case "I16": {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
      return Tensor.fromData(out, e.shape, "int16");
    }
    case "I64":
    case "U32":
    case "U64": {
      // int64 loads exactly (BigInt64Array storage, see core/dtype.ts); U32 widens to it, as
      // U64 does where its values fit (PyTorch 1.13 has no unsigned dtype above uint8).
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        if (e.dtype === "I64") out[i] = view.getBigInt64(i * 8, true);
        else if (e.dtype === "U32") out[i] = BigInt(view.getUint32(i * 4, true));
        else {
          const v = view.getBigUint64(i * 8, true);
          if (v > 0x7fffffffffffffffn) {
            throw new FormatError(
              `${where}: tensor "${clip(e.name)}": U64 value ${v} at flat index ${i} does not fit in int64, Kiln's widest integer dtype`,
            );
          }
          out[i] = v;
        }
      }
      return Tensor.fromData(out as unknown as TypedArray, e.shape, "int64");
    }
    case "U16": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getUint16(i * 2, true);
      return Tensor.fromData(out, e.shape, "int32");
    }
    case "F8_E5M2":
    case "F8_E4M3":
      throw new FormatError(
        `${where}: tensor "${clip(e.name)}": dtype ${e.dtype} is not supported by Kiln; convert it to F16, BF16 or F32 first`,
      );
  }
}

/**
 * Parses the bytes of a safetensors file. Every check happens before any tensor is built: the
 * header length (at most `MAX_HEADER_SIZE`, inside the buffer), the header (UTF-8 JSON object),
 * each entry (known dtype, integer shape, `end - begin == numel * itemsize`), and the data section
 * (offsets, sorted, start at 0, touch without gaps or overlaps and end exactly at the end of the
 * buffer), as the reference reader's `validate`. Violations raise `FormatError` naming `source`,
 * the tensor and what was expected.
 *
 * Dtypes: F32, F64, I64, I32, I16, I8, U8, BOOL load as themselves (I64 exactly, as a
 * BigInt64Array), F16 and BF16 as the storage dtypes float16 and bfloat16; U16 as int32; U32 as int64, U64 as int64 when every
 * value fits, else FormatError.
 */
export function parseSafetensors(bytes: Uint8Array, source = "<bytes>"): SafetensorsContents {
  checkArity("io.parseSafetensors", arguments, 2);
  const where = `loadSafetensors: ${source}`;
  if (bytes.length < 8) {
    throw new FormatError(
      `${where}: file is ${bytes.length} bytes, expected at least the 8-byte header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_SIZE)) {
    throw new FormatError(
      `${where}: header length ${n64} exceeds the ${MAX_HEADER_SIZE}-byte limit`,
    );
  }
  const n = Number(n64);
  if (8 + n > bytes.length) {
    throw new FormatError(
      `${where}: header length ${n} runs past the end of the file (${bytes.length} bytes, so at most ${bytes.length - 8})`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new FormatError(`${where}: header is not valid UTF-8`);
  }
  const nesting = jsonNesting(text, MAX_HEADER_NESTING);
  if (nesting > MAX_HEADER_NESTING) {
    throw new FormatError(
      `${where}: header nests JSON more than ${MAX_HEADER_NESTING} levels deep (the reference reader's limit); a valid header nests 3`,
    );
  }
  const parse = (json: string, what: string): unknown => {
    try {
      return JSON.parse(json);
    } catch (err) {
      throw new FormatError(
        `${where}: header is not valid JSON${what} (${clip((err as Error).message, 200)})`,
      );
    }
  };
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  // NOTE: a key given twice is refused (JSON.parse would keep the last): two readers of the file
  // must not see different tensors.
  const seen = new Set<string>();
  const problem = jsonFields(text, (key, json) => {
    if (seen.has(key))
      throw new FormatError(`${where}: tensor "${clip(key)}" appears twice in the header`);
    seen.add(key);
    if (key === "__metadata__") {
      const metaKeys = new Set<string>();
      const bad = jsonFields(json, (mk, mjson) => {
        if (metaKeys.has(mk))
          throw new FormatError(`${where}: __metadata__ "${clip(mk)}" appears twice`);
        metaKeys.add(mk);
        const mv = parse(mjson, ` in __metadata__ "${clip(mk)}"`);
        if (typeof mv !== "string") {
          throw new FormatError(
            `${where}: __metadata__ "${clip(mk)}" must be a string, got ${show(mv)}`,
          );
        }
        setOwn(metadata, mk, mv);
      });
      if (bad !== undefined) {
        parse(json, " in __metadata__");
        throw new FormatError(`${where}: __metadata__ must be an object of strings`);
      }
      return;
    }
    if (json.length > MAX_ENTRY_JSON) {
      throw new FormatError(
        `${where}: tensor "${clip(key)}": its entry takes ${json.length} characters of JSON; an entry {dtype, shape, data_offsets} takes well under ${MAX_ENTRY_JSON}`,
      );
    }
    entries.push(checkEntry(where, key, parse(json, ` in tensor "${clip(key)}"`)));
  });
  if (problem === "not-object") {
    throw new FormatError(
      `${where}: header must be a JSON object, got ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  if (problem !== undefined)
    throw new FormatError(`${where}: header is not valid JSON (${problem})`);
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataLength = bytes.length - 8 - n;
  let expected = 0;
  for (const e of entries) {
    if (e.begin !== expected) {
      const what = e.begin < expected ? "overlaps the tensor before it" : "leaves a gap before it";
      throw new FormatError(
        `${where}: tensor "${clip(e.name)}": data_offsets [${e.begin}, ${e.end}] ${what}; expected it to begin at ${expected}`,
      );
    }
    if (e.end > dataLength) {
      throw new FormatError(
        `${where}: tensor "${clip(e.name)}": data_offsets [${e.begin}, ${e.end}] run past the data section (${dataLength} bytes)`,
      );
    }
    expected = e.end;
  }
  if (expected !== dataLength) {
    throw new FormatError(
      `${where}: the tensors cover ${expected} bytes of a ${dataLength}-byte data section; expected them to end at the end of the file`,
    );
  }
  const tensors: Record<string, Tensor> = {};
  const base = 8 + n;
  for (const e of entries) {
    setOwn(tensors, e.name, decode(where, e, bytes.subarray(base + e.begin, base + e.end)));
  }
  return { tensors, metadata };
}

/**
 * Reads a safetensors file (or its bytes, a Uint8Array or ArrayBuffer as a browser's fetch gives)
 * with its metadata; see `parseSafetensors` for the checks.
 */
export function readSafetensors(source: string | Uint8Array | ArrayBuffer): SafetensorsContents {
  parseArgs(READ, arguments);
  if (source instanceof ArrayBuffer) return parseSafetensors(new Uint8Array(source));
  if (typeof source !== "string") return parseSafetensors(source);
  return parseSafetensors(fs.readFileSync(source), source);
}

/**
 * Loads the tensors of a safetensors file (or its bytes: Uint8Array or ArrayBuffer) into a record keyed by name, ready for
 * `model.loadStateDict`. Raises `FormatError` on any malformed or truncated file.
 *
 * @example model.loadStateDict(io.loadSafetensors("model.safetensors"));
 */
export function loadSafetensors(
  source: string | Uint8Array | ArrayBuffer,
  ...rest: WithOptions<[device: "cpu"], { device?: "cpu" }>
): Record<string, Tensor> {
  parseArgs(LOAD, [source, ...rest]);
  return readSafetensors(source).tensors;
}
