// A minimal protocol-buffers encoder (wire format: https://protobuf.dev/programming-guides/encoding/),
// enough for TensorBoard's Event and Summary messages. Fields are written in the order they are
// called, as the reference encoders emit them by field number. Depends on nothing.

/** Wire types: 0 varint, 1 fixed 64-bit, 2 length-delimited, 5 fixed 32-bit. */
type WireType = 0 | 1 | 2 | 5;

/** Appends fields to a growing buffer; `finish()` returns the encoded message. */
export class ProtoWriter {
  #buf = new Uint8Array(64);
  #len = 0;
  #scratch = new DataView(new ArrayBuffer(8));

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  #raw(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  /** A base-128 varint; negative int64 values take ten bytes (two's complement), as protobuf. */
  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    this.#reserve(10);
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      this.#buf[this.#len++] = byte;
    } while (v !== 0n);
    return this;
  }

  #key(field: number, wire: WireType): void {
    this.varint((field << 3) | wire);
  }

  /** An int32/int64/uint32/uint64/enum/bool field. */
  uint(field: number, value: number | bigint): this {
    this.#key(field, 0);
    return this.varint(value);
  }

  double(field: number, value: number): this {
    this.#key(field, 1);
    this.#scratch.setFloat64(0, value, true);
    this.#raw(new Uint8Array(this.#scratch.buffer, 0, 8));
    return this;
  }

  float(field: number, value: number): this {
    this.#key(field, 5);
    this.#scratch.setFloat32(0, value, true);
    this.#raw(new Uint8Array(this.#scratch.buffer, 0, 4));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.#key(field, 2);
    this.varint(value.length);
    this.#raw(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** A nested message, built by `build` on a fresh writer. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** A packed `repeated double` (omitted when empty, as proto3 does). */
  packedDoubles(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const body = new DataView(new ArrayBuffer(values.length * 8));
    for (let i = 0; i < values.length; i++) body.setFloat64(i * 8, values[i]!, true);
    return this.bytes(field, new Uint8Array(body.buffer));
  }

  /** A packed `repeated float` (omitted when empty). */
  packedFloats(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const body = new DataView(new ArrayBuffer(values.length * 4));
    for (let i = 0; i < values.length; i++) body.setFloat32(i * 4, values[i]!, true);
    return this.bytes(field, new Uint8Array(body.buffer));
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}
