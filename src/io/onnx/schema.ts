// The subset of onnx.proto that exportOnnx writes, parsed once by protobufjs, and the encoder of a
// ModelProto. Depends only on protobufjs.
//
// Messages, field names and field numbers are copied by hand from the published onnx.proto of
// ONNX 1.12.0 (https://github.com/onnx/onnx/blob/v1.12.0/onnx/onnx.proto, IR version 8; the same
// file Debian ships as /usr/lib/python3/dist-packages/onnx/onnx.proto in python3-onnx 1.12.0).
// Fields Kiln never writes (sparse tensors, training info, functions, segments, ...) are left out:
// the numbers of the fields kept are unchanged, so the bytes are a valid full ModelProto.

import protobuf from "protobufjs";

const ONNX_PROTO_SUBSET = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10;
  }
  optional string name = 1;
  optional string doc_string = 13;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`;

/** TensorProto.DataType values (onnx.proto 1.12.0) for the dtypes Kiln exports. */
export const ONNX_DTYPE = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  BFLOAT16: 16,
} as const;

/** AttributeProto.AttributeType values used by the exporter. */
export const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** One AttributeProto, as protobufjs takes it (camelCase field names). */
export interface AttributeJson {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorJson;
  floats?: number[];
  ints?: number[];
}

export interface TensorJson {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

export interface NodeJson {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: AttributeJson[];
}

export interface DimJson {
  dimValue?: number;
  dimParam?: string;
}

export interface ValueInfoJson {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: DimJson[] } } };
}

export interface ModelJson {
  irVersion: number;
  opsetImport: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  metadataProps?: { key: string; value: string }[];
  graph: {
    name: string;
    node: NodeJson[];
    initializer: TensorJson[];
    input: ValueInfoJson[];
    output: ValueInfoJson[];
  };
}

let modelType: protobuf.Type | null = null;

/** The onnx.ModelProto message type, parsed on first use. */
function modelProto(): protobuf.Type {
  if (modelType === null) {
    const { root } = protobuf.parse(ONNX_PROTO_SUBSET, { keepCase: false });
    modelType = root.lookupType("onnx.ModelProto");
  }
  return modelType;
}

/** Serializes a ModelProto to its protobuf wire bytes. */
export function encodeModel(model: ModelJson): Uint8Array {
  const type = modelProto();
  const problem = type.verify(model);
  if (problem !== null) throw new Error(`exportOnnx: internal error, bad ModelProto: ${problem}`);
  return type.encode(type.fromObject(model as unknown as Record<string, unknown>)).finish();
}

/** Parses ModelProto bytes back to plain objects (int64 as numbers); used by tests and tools. */
export function decodeModel(bytes: Uint8Array): ModelJson {
  const type = modelProto();
  return type.toObject(type.decode(bytes), {
    longs: Number,
    bytes: Uint8Array,
    defaults: false,
    arrays: true,
  }) as ModelJson;
}
