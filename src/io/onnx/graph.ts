// The ONNX graph under construction: nodes, initializers, unique value names and small helpers
// for constants and attributes. Knows nothing about tracing; depends on src/core and the schema.

import type { DType, TypedArray } from "../../core/dtype.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import {
  ATTR_TYPE,
  type AttributeJson,
  type NodeJson,
  ONNX_DTYPE,
  type TensorJson,
} from "./schema.ts";

/** The ONNX element type of a Kiln dtype. */
export function onnxDType(dtype: DType): number {
  switch (dtype) {
    case "float32":
      return ONNX_DTYPE.FLOAT;
    case "float64":
      return ONNX_DTYPE.DOUBLE;
    case "int32":
      return ONNX_DTYPE.INT32;
    case "int64":
      return ONNX_DTYPE.INT64;
    case "int16":
      return ONNX_DTYPE.INT16;
    case "int8":
      return ONNX_DTYPE.INT8;
    case "uint8":
      return ONNX_DTYPE.UINT8;
    case "bool":
      return ONNX_DTYPE.BOOL;
    case "float16":
      return ONNX_DTYPE.FLOAT16;
    case "bfloat16":
      return ONNX_DTYPE.BFLOAT16;
  }
}

/** Little-endian bytes of a typed array (raw_data is little-endian by the ONNX spec). */
function leBytes(data: TypedArray | BigInt64Array): Uint8Array {
  const out = new Uint8Array(data.byteLength);
  if (data instanceof Uint8Array) {
    out.set(data);
    return out;
  }
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(4 * i, data[i]!, true);
    else if (data instanceof Float64Array) view.setFloat64(8 * i, data[i]!, true);
    else if (data instanceof Int32Array) view.setInt32(4 * i, data[i]!, true);
    else if (data instanceof Uint16Array) view.setUint16(2 * i, data[i]!, true);
    else if (data instanceof Int16Array) view.setInt16(2 * i, data[i]!, true);
    else if (data instanceof Int8Array) view.setInt8(i, data[i]!);
    else view.setBigInt64(8 * i, (data as BigInt64Array)[i]!, true);
  }
  return out;
}

export const attr = {
  int: (name: string, i: number): AttributeJson => ({ name, type: ATTR_TYPE.INT, i }),
  float: (name: string, f: number): AttributeJson => ({ name, type: ATTR_TYPE.FLOAT, f }),
  ints: (name: string, ints: readonly number[]): AttributeJson => ({
    name,
    type: ATTR_TYPE.INTS,
    ints: [...ints],
  }),
  string: (name: string, s: string): AttributeJson => ({
    name,
    type: ATTR_TYPE.STRING,
    s: new TextEncoder().encode(s),
  }),
};

/** Nodes and initializers of one graph, with fresh value names. */
export class GraphBuilder {
  readonly nodes: NodeJson[] = [];
  readonly initializers: TensorJson[] = [];
  #used = new Set<string>();
  #counts = new Map<string, number>();

  /** Reserves `name` exactly (graph inputs and outputs, parameter names). */
  reserve(name: string): string {
    this.#used.add(name);
    return name;
  }

  /** A value name not used before, derived from `base`. */
  fresh(base: string): string {
    let n = this.#counts.get(base) ?? 0;
    let name = `${base}_${n}`;
    while (this.#used.has(name)) name = `${base}_${++n}`;
    this.#counts.set(base, n + 1);
    return this.reserve(name);
  }

  /** Appends a node and returns its output names (`outputs` of them). */
  node(opType: string, inputs: readonly string[], attrs: AttributeJson[] = [], outputs = 1) {
    const out = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({
      name: this.fresh(`${opType}_node`),
      opType,
      input: [...inputs],
      output: out,
      attribute: attrs,
    });
    return out;
  }

  /** Appends a node with one output and returns that output's name. */
  op(opType: string, inputs: readonly string[], attrs: AttributeJson[] = []): string {
    return this.node(opType, inputs, attrs, 1)[0]!;
  }

  /** Adds a tensor's current values as an initializer named `name` (fresh when omitted). */
  tensor(t: Tensor, name?: string): string {
    const n = name === undefined ? this.fresh("const") : this.reserve(name);
    const data = t.dataSync();
    this.initializers.push({
      name: n,
      dims: [...t.shape],
      dataType: onnxDType(t.dtype),
      rawData: leBytes(data),
    });
    return n;
  }

  /** An INT64 initializer (shapes, axes, indices), 1-D unless `scalar`. */
  int64(values: readonly number[], scalar = false): string {
    const n = this.fresh("const");
    this.initializers.push({
      name: n,
      dims: scalar ? [] : [values.length],
      dataType: ONNX_DTYPE.INT64,
      rawData: leBytes(BigInt64Array.from(values, (v) => BigInt(v))),
    });
    return n;
  }

  /** A 0-d initializer holding `value` as `dtype`. */
  scalar(value: number, dtype: DType): string {
    const n = this.fresh("const");
    const data =
      dtype === "float64"
        ? Float64Array.of(value)
        : dtype === "int32"
          ? Int32Array.of(value)
          : dtype === "bool"
            ? Uint8Array.of(value !== 0 ? 1 : 0)
            : Float32Array.of(value);
    this.initializers.push({
      name: n,
      dims: [],
      dataType: onnxDType(dtype),
      rawData: leBytes(data),
    });
    return n;
  }

  /** Renames a value everywhere it appears (node outputs and inputs). */
  rename(from: string, to: string): void {
    this.reserve(to);
    for (const node of this.nodes) {
      node.input = node.input.map((v) => (v === from ? to : v));
      node.output = node.output.map((v) => (v === from ? to : v));
    }
  }

  /** Whether `name` is produced by a node. */
  isNodeOutput(name: string): boolean {
    return this.nodes.some((n) => n.output.includes(name));
  }
}
