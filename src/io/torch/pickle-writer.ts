// A protocol-2 pickle writer for what saveTorch stores: dicts, lists, tuples, Python scalars and
// tensors (as torch._utils._rebuild_tensor_v2 over a persistent storage id, as torch.save writes
// them). It emits only opcodes and globals that loadTorch's restricted unpickler and PyTorch's
// weights_only loader accept. Depends on core/errors only.

import { ValueError } from "../../core/errors.ts";

/** Bytes of a pickle under construction, with helpers for each opcode family used. */
export class PickleWriter {
  #chunks: number[] = [];
  readonly #encoder = new TextEncoder();

  /** `PROTO 2`. */
  proto(): this {
    this.#chunks.push(0x80, 2);
    return this;
  }
  op(code: number): this {
    this.#chunks.push(code);
    return this;
  }
  mark(): this {
    return this.op(0x28);
  }
  global(module: string, name: string): this {
    this.op(0x63);
    for (const b of this.#encoder.encode(`${module}\n${name}\n`)) this.#chunks.push(b);
    return this;
  }
  none(): this {
    return this.op(0x4e);
  }
  bool(v: boolean): this {
    return this.op(v ? 0x88 : 0x89);
  }
  int(v: number | bigint): this {
    if (typeof v === "number" && !Number.isSafeInteger(v)) {
      throw new ValueError(`saveTorch: ${v} is not an integer that a JS number holds exactly`);
    }
    if (typeof v === "number" && v >= 0 && v < 256) return this.op(0x4b).op(v);
    if (typeof v === "number" && v >= 0 && v < 65536)
      return this.op(0x4d)
        .op(v & 0xff)
        .op(v >> 8);
    if (typeof v === "number" && v >= -0x80000000 && v <= 0x7fffffff) {
      this.op(0x4a);
      for (let i = 0; i < 4; i++) this.#chunks.push((v >> (8 * i)) & 0xff);
      return this;
    }
    // LONG1: little-endian two's complement, as short as the sign allows.
    let x = BigInt(v);
    const bytes: number[] = [];
    while (true) {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
      const sign = bytes[bytes.length - 1]! & 0x80;
      if ((x === 0n && !sign) || (x === -1n && sign)) break;
    }
    this.op(0x8a).op(bytes.length);
    for (const b of bytes) this.#chunks.push(b);
    return this;
  }
  float(v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, false);
    this.op(0x47);
    for (const x of b) this.#chunks.push(x);
    return this;
  }
  str(v: string): this {
    const b = this.#encoder.encode(v);
    this.op(0x58);
    for (let i = 0; i < 4; i++) this.#chunks.push((b.length >>> (8 * i)) & 0xff);
    for (const x of b) this.#chunks.push(x);
    return this;
  }
  /** A tuple of already-written items, from its MARK (any length) or with TUPLE1..3. */
  tuple(n: number): this {
    if (n === 0) return this.op(0x29);
    if (n <= 3) return this.op(0x84 + n);
    return this.op(0x74);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.#chunks);
  }
}

/** Opcodes the writer uses beyond its helpers. */
export const OP = {
  REDUCE: 0x52,
  BINPERSID: 0x51,
  EMPTY_DICT: 0x7d,
  SETITEMS: 0x75,
  EMPTY_LIST: 0x5d,
  APPENDS: 0x65,
  STOP: 0x2e,
} as const;
