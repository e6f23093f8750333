// An independent reader of TensorBoard event files for the tests: its own TFRecord parser, its own
// bit-at-a-time CRC-32C and a generic protobuf decoder, written apart from src/io so a shared
// misunderstanding of the format cannot hide. Not a test file itself.

/** CRC-32C computed bit by bit from the polynomial (no table), RFC 3720 B.4. */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

function masked(bytes: Uint8Array): number {
  const c = crc32cBitwise(bytes);
  const rotated = ((c >>> 15) | (c << 17)) >>> 0;
  return (rotated + 0xa282ead8) % 2 ** 32;
}

/** Splits a TFRecord stream into records, checking both CRCs of each; throws on any mismatch. */
export function readTfRecords(file: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let pos = 0;
  while (pos < file.length) {
    if (pos + 12 > file.length) throw new Error(`torn record header at ${pos}`);
    const len = Number(view.getBigUint64(pos, true));
    if (view.getUint32(pos + 8, true) !== masked(file.subarray(pos, pos + 8))) {
      throw new Error(`length CRC mismatch at ${pos}`);
    }
    const start = pos + 12;
    if (start + len + 4 > file.length) throw new Error(`torn record at ${pos}`);
    const data = file.subarray(start, start + len);
    if (view.getUint32(start + len, true) !== masked(data))
      throw new Error(`data CRC mismatch at ${pos}`);
    out.push(data);
    pos = start + len + 4;
  }
  return out;
}

/** One decoded field: varints as bigint, fixed64/fixed32 as their raw bytes, the rest as bytes. */
export interface Field {
  wire: number;
  varint?: bigint;
  bytes: Uint8Array;
}

/** Decodes a protobuf message into field number → occurrences, without a schema. */
export function decodeMessage(buf: Uint8Array): Map<number, Field[]> {
  const fields = new Map<number, Field[]>();
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error("truncated varint");
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(readVarint());
    const field = key >> 3;
    const wire = key & 7;
    let f: Field;
    if (wire === 0) {
      const v = readVarint();
      f = { wire, varint: v, bytes: new Uint8Array(0) };
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      f = { wire, bytes: buf.subarray(pos, pos + n) };
      pos += n;
    } else if (wire === 2) {
      const n = Number(readVarint());
      f = { wire, bytes: buf.subarray(pos, pos + n) };
      pos += n;
    } else {
      throw new Error(`unexpected wire type ${wire}`);
    }
    if (pos > buf.length) throw new Error("truncated field");
    const list = fields.get(field) ?? [];
    list.push(f);
    fields.set(field, list);
  }
  return fields;
}

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const one = (m: Map<number, Field[]>, n: number): Field | undefined => m.get(n)?.[0];
const f64 = (m: Map<number, Field[]>, n: number): number => {
  const f = one(m, n);
  return f === undefined ? 0 : dv(f.bytes).getFloat64(0, true);
};
const packedF64 = (f: Field | undefined): number[] =>
  f === undefined
    ? []
    : Array.from({ length: f.bytes.length / 8 }, (_, i) => dv(f.bytes).getFloat64(i * 8, true));
const packedF32 = (f: Field | undefined): number[] =>
  f === undefined
    ? []
    : Array.from({ length: f.bytes.length / 4 }, (_, i) => dv(f.bytes).getFloat32(i * 4, true));
const text = (f: Field | undefined): string =>
  f === undefined ? "" : new TextDecoder().decode(f.bytes);

/** A decoded tensorflow.Event, with just the parts Kiln writes. */
export interface ReadEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  tag?: string;
  simpleValue?: number;
  histo?: {
    min: number;
    max: number;
    num: number;
    sum: number;
    sumSquares: number;
    bucketLimit: number[];
    bucket: number[];
  };
  tensor?: { dtype: number; shape: number[]; floats: number[]; strings: string[] };
  image?: { height: number; width: number; colorspace: number; png: Uint8Array };
  pluginName?: string;
  pluginContent?: Map<number, Field[]>;
  /** The raw bytes of the plugin content (hparams content is decoded with `readHParams`). */
  pluginContentBytes?: Uint8Array;
  /** The raw bytes of Event.summary, to compare with golden Summary bytes. */
  summaryBytes?: Uint8Array;
}

/** Decodes Event (event.proto) → Summary → Value (summary.proto) → Histogram/TensorProto. */
export function readEvent(data: Uint8Array): ReadEvent {
  const e = decodeMessage(data);
  const out: ReadEvent = { wallTime: f64(e, 1), step: Number(one(e, 2)?.varint ?? 0n) };
  if (e.has(3)) out.fileVersion = text(one(e, 3));
  const summary = one(e, 5);
  if (summary === undefined) return out;
  out.summaryBytes = summary.bytes;
  const values = decodeMessage(summary.bytes).get(1) ?? [];
  if (values.length !== 1) throw new Error(`expected one Summary.Value, got ${values.length}`);
  const v = decodeMessage(values[0]!.bytes);
  out.tag = text(one(v, 1));
  const simple = one(v, 2);
  if (simple !== undefined) out.simpleValue = dv(simple.bytes).getFloat32(0, true);
  const histo = one(v, 5);
  if (histo !== undefined) {
    const h = decodeMessage(histo.bytes);
    out.histo = {
      min: f64(h, 1),
      max: f64(h, 2),
      num: f64(h, 3),
      sum: f64(h, 4),
      sumSquares: f64(h, 5),
      bucketLimit: packedF64(one(h, 6)),
      bucket: packedF64(one(h, 7)),
    };
  }
  const tensor = one(v, 8);
  if (tensor !== undefined) {
    const t = decodeMessage(tensor.bytes);
    const shape = decodeMessage(one(t, 2)?.bytes ?? new Uint8Array(0));
    out.tensor = {
      dtype: Number(one(t, 1)?.varint ?? 0n),
      shape: (shape.get(2) ?? []).map((d) => Number(one(decodeMessage(d.bytes), 1)?.varint ?? 0n)),
      floats: packedF32(one(t, 5)),
      strings: (t.get(8) ?? []).map((s) => text(s)),
    };
  }
  const image = one(v, 4);
  if (image !== undefined) {
    // Summary.Image: height 1, width 2, colorspace 3 (int32 varints), encoded_image_string 4.
    const im = decodeMessage(image.bytes);
    out.image = {
      height: Number(one(im, 1)?.varint ?? 0n),
      width: Number(one(im, 2)?.varint ?? 0n),
      colorspace: Number(one(im, 3)?.varint ?? 0n),
      png: one(im, 4)?.bytes ?? new Uint8Array(0),
    };
  }
  const meta = one(v, 9);
  if (meta !== undefined) {
    const plugin = decodeMessage(one(decodeMessage(meta.bytes), 1)?.bytes ?? new Uint8Array(0));
    out.pluginName = text(one(plugin, 1));
    out.pluginContentBytes = one(plugin, 2)?.bytes ?? new Uint8Array(0);
    out.pluginContent = decodeMessage(out.pluginContentBytes);
  }
  return out;
}

/** A google.protobuf.Value (struct.proto): number_value 2 (double), string_value 3, bool_value 4, list_value 6. */
export type StructValue = number | string | boolean | StructValue[] | null;

function readStructValue(bytes: Uint8Array): StructValue {
  const m = decodeMessage(bytes);
  if (m.has(2)) return f64(m, 2);
  if (m.has(3)) return text(one(m, 3));
  if (m.has(4)) return one(m, 4)!.varint !== 0n;
  if (m.has(6))
    return (decodeMessage(one(m, 6)!.bytes).get(1) ?? []).map((f) => readStructValue(f.bytes));
  return null;
}

/** The decoded tensorboard.hparams.HParamsPluginData (hparams/plugin_data.proto, api.proto). */
export interface ReadHParams {
  version: number;
  experiment?: {
    hparamInfos: { name: string; type: number; domainDiscrete?: StructValue[] }[];
    metricInfos: { group: string; tag: string }[];
  };
  sessionStartInfo?: { hparams: Record<string, StructValue> };
  sessionEndInfo?: { status: number };
}

/**
 * Decodes HParamsPluginData { version 1, experiment 2 | session_start_info 3 | session_end_info 4 }:
 * Experiment { hparam_infos 4, metric_infos 5 }, HParamInfo { name 1, type 4, domain_discrete 5 },
 * MetricInfo { name 1 → MetricName { group 1, tag 2 } }, SessionStartInfo { hparams 1: map entries
 * { key 1, value 2 } }, SessionEndInfo { status 1 }.
 */
export function readHParams(content: Uint8Array): ReadHParams {
  const m = decodeMessage(content);
  const out: ReadHParams = { version: Number(one(m, 1)?.varint ?? 0n) };
  const exp = one(m, 2);
  if (exp !== undefined) {
    const e = decodeMessage(exp.bytes);
    out.experiment = {
      hparamInfos: (e.get(4) ?? []).map((f) => {
        const h = decodeMessage(f.bytes);
        const domain = one(h, 5);
        return {
          name: text(one(h, 1)),
          type: Number(one(h, 4)?.varint ?? 0n),
          ...(domain === undefined
            ? {}
            : {
                domainDiscrete: (decodeMessage(domain.bytes).get(1) ?? []).map((v) =>
                  readStructValue(v.bytes),
                ),
              }),
        };
      }),
      metricInfos: (e.get(5) ?? []).map((f) => {
        const name = decodeMessage(one(decodeMessage(f.bytes), 1)?.bytes ?? new Uint8Array(0));
        return { group: text(one(name, 1)), tag: text(one(name, 2)) };
      }),
    };
  }
  const ssi = one(m, 3);
  if (ssi !== undefined) {
    const hparams: Record<string, StructValue> = {};
    for (const entry of decodeMessage(ssi.bytes).get(1) ?? []) {
      const kv = decodeMessage(entry.bytes);
      hparams[text(one(kv, 1))] = readStructValue(one(kv, 2)?.bytes ?? new Uint8Array(0));
    }
    out.sessionStartInfo = { hparams };
  }
  const sei = one(m, 4);
  if (sei !== undefined) {
    out.sessionEndInfo = { status: Number(one(decodeMessage(sei.bytes), 1)?.varint ?? 0n) };
  }
  return out;
}
