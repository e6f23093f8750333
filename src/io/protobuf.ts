// The TensorBoard messages Kiln writes, as a protobufjs schema (the stack src/io/onnx uses), and
// their encoders. Depends only on protobufjs.
//
// Messages, field names and numbers follow TensorBoard's published .proto files (the
// tensorflow/tensorboard repository; the definitions in tools/tb-protos/ are ours, written from
// TensorBoard's published field numbers):
// tensorboard/compat/proto/{event,summary,histogram,tensor,tensor_shape,types}.proto,
// tensorboard/plugins/{pr_curve,text,hparams}/plugin_data.proto, tensorboard/plugins/hparams/api.proto,
// and google/protobuf/struct.proto. Fields Kiln never writes are left out; the numbers of those kept
// are unchanged, so the bytes are valid full messages (checked byte for byte against PyTorch's own
// torch.utils.tensorboard.summary by tools/io_tb_proto_golden.py).

import protobuf from "protobufjs";

const TENSORBOARD_PROTO_SUBSET = `
syntax = "proto3";
package tensorboard;

message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    Summary summary = 5;
  }
}

message SummaryMetadata {
  message PluginData {
    string plugin_name = 1;
    bytes content = 2;
  }
  PluginData plugin_data = 1;
  string display_name = 2;
  string summary_description = 3;
}

message Summary {
  message Image {
    int32 height = 1;
    int32 width = 2;
    int32 colorspace = 3;
    bytes encoded_image_string = 4;
  }
  message Value {
    string node_name = 7;
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value {
      float simple_value = 2;
      Image image = 4;
      HistogramProto histo = 5;
      TensorProto tensor = 8;
    }
  }
  repeated Value value = 1;
}

message HistogramProto {
  double min = 1;
  double max = 2;
  double num = 3;
  double sum = 4;
  double sum_squares = 5;
  repeated double bucket_limit = 6 [packed = true];
  repeated double bucket = 7 [packed = true];
}

message TensorShapeProto {
  message Dim {
    int64 size = 1;
    string name = 2;
  }
  repeated Dim dim = 2;
  bool unknown_rank = 3;
}

message TensorProto {
  int32 dtype = 1;
  TensorShapeProto tensor_shape = 2;
  repeated float float_val = 5 [packed = true];
  repeated double double_val = 6 [packed = true];
  repeated bytes string_val = 8;
}

message PrCurvePluginData {
  int32 version = 1;
  uint32 num_thresholds = 2;
}

message TextPluginData {
  int32 version = 1;
}
`;

const HPARAMS_PROTO_SUBSET = `
syntax = "proto3";
package tensorboard.hparams;

message HParamsPluginData {
  int32 version = 1;
  oneof data {
    Experiment experiment = 2;
    SessionStartInfo session_start_info = 3;
    SessionEndInfo session_end_info = 4;
  }
}

message Experiment {
  string name = 6;
  string description = 1;
  string user = 2;
  double time_created_secs = 3;
  repeated HParamInfo hparam_infos = 4;
  repeated MetricInfo metric_infos = 5;
}

message HParamInfo {
  string name = 1;
  string display_name = 2;
  string description = 3;
  int32 type = 4;
  oneof domain {
    google.protobuf.ListValue domain_discrete = 5;
  }
}

message MetricName {
  string group = 1;
  string tag = 2;
}

message MetricInfo {
  MetricName name = 1;
  string display_name = 3;
  string description = 4;
}

message SessionStartInfo {
  map<string, google.protobuf.Value> hparams = 1;
  string model_uri = 2;
  string monitor_url = 3;
  string group_name = 4;
  double start_time_secs = 5;
}

message SessionEndInfo {
  int32 status = 1;
  double end_time_secs = 2;
}
`;

// google/protobuf/struct.proto's Value and ListValue (Struct and NullValue left out).
const STRUCT_PROTO_SUBSET = `
syntax = "proto3";
package google.protobuf;

message Value {
  oneof kind {
    double number_value = 2;
    string string_value = 3;
    bool bool_value = 4;
    ListValue list_value = 6;
  }
}

message ListValue {
  repeated Value values = 1;
}
`;

/** tensorflow.DataType values (types.proto) Kiln writes. */
export const TB_DTYPE = { DT_FLOAT: 1, DT_STRING: 7 } as const;

/** tensorboard.hparams.DataType values (hparams/api.proto). */
export const HPARAM_TYPE = {
  DATA_TYPE_STRING: 1,
  DATA_TYPE_BOOL: 2,
  DATA_TYPE_FLOAT64: 3,
} as const;

/** tensorboard.hparams.Status values (hparams/api.proto). */
export const HPARAM_STATUS = { STATUS_SUCCESS: 1 } as const;

/** google.protobuf.Value: one of its kinds (protobufjs field names, camelCase). */
export type StructValueJson =
  | { numberValue: number }
  | { stringValue: string }
  | { boolValue: boolean }
  | { listValue: { values: StructValueJson[] } };

/** tensorflow.HistogramProto. */
export interface HistogramJson {
  min?: number;
  max?: number;
  num?: number;
  sum?: number;
  sumSquares?: number;
  bucketLimit?: number[];
  bucket?: number[];
}

/** tensorflow.TensorProto, the fields Kiln writes. */
export interface TensorJson {
  dtype: number;
  tensorShape: { dim: { size: number }[] };
  floatVal?: number[];
  stringVal?: Uint8Array[];
}

/** tensorflow.Summary.Value: a tag, optional plugin metadata and at most one value. */
export interface SummaryValueJson {
  tag: string;
  metadata?: { pluginData: { pluginName: string; content?: Uint8Array } };
  simpleValue?: number;
  image?: { height: number; width: number; colorspace: number; encodedImageString: Uint8Array };
  histo?: HistogramJson;
  tensor?: TensorJson;
}

/** tensorflow.Event with either a file version or a summary. */
export interface EventJson {
  wallTime: number;
  step?: number;
  fileVersion?: string;
  summary?: { value: SummaryValueJson[] };
}

/** tensorboard.hparams.HParamsPluginData, with exactly one of its data fields. */
export interface HParamsPluginDataJson {
  version?: number;
  experiment?: {
    hparamInfos: { name: string; type: number; domainDiscrete?: { values: StructValueJson[] } }[];
    metricInfos: { name: { tag: string } }[];
  };
  sessionStartInfo?: { hparams: Record<string, StructValueJson> };
  sessionEndInfo?: { status: number };
}

let root: protobuf.Root | null = null;

function lookup(name: string): protobuf.Type {
  if (root === null) {
    const r = new protobuf.Root();
    for (const src of [STRUCT_PROTO_SUBSET, TENSORBOARD_PROTO_SUBSET, HPARAMS_PROTO_SUBSET]) {
      protobuf.parse(src, r, { keepCase: false });
    }
    r.resolveAll();
    root = r;
  }
  return root.lookupType(name);
}

function encode(typeName: string, message: object): Uint8Array {
  const type = lookup(typeName);
  const problem = type.verify(message);
  if (problem !== null)
    throw new Error(`SummaryWriter: internal error, bad ${typeName}: ${problem}`);
  return type.encode(type.fromObject(message as Record<string, unknown>)).finish();
}

/**
 * The wire bytes of a tensorflow.Event. proto3 leaves zero scalars out and protobufjs does the
 * same for fields it is not given, so callers omit `step` 0 as torch's writer does.
 */
export function encodeEventMessage(event: EventJson): Uint8Array {
  return encode("tensorboard.Event", event);
}

/** The wire bytes of a tensorboard.PrCurvePluginData (PluginData.content of a PR curve). */
export function encodePrCurvePluginDataMessage(data: {
  version?: number;
  numThresholds: number;
}): Uint8Array {
  return encode("tensorboard.PrCurvePluginData", data);
}

/** The wire bytes of a tensorboard.TextPluginData (version 0 encodes to no bytes). */
export function encodeTextPluginDataMessage(data: { version?: number }): Uint8Array {
  return encode("tensorboard.TextPluginData", data);
}

/** The wire bytes of a tensorboard.hparams.HParamsPluginData. */
export function encodeHParamsPluginDataMessage(data: HParamsPluginDataJson): Uint8Array {
  return encode("tensorboard.hparams.HParamsPluginData", data);
}

/** The wire bytes of a tensorflow.Summary holding `values`. */
export function encodeSummaryMessage(values: SummaryValueJson[]): Uint8Array {
  return encode("tensorboard.Summary", { value: values });
}
