// The io namespace of the browser entry (kiln-torch/browser): the formats to and from bytes
// (safetensors, torch .pt, ONNX export, TFRecord framing), the metrics records and the HTML
// report rendered as a string. Writing files (atomic writes, SummaryWriter, writeReport) needs
// Node and is left out; the bundle links this in place of index.ts. No Node API.

export { crc32c, maskedCrc32c } from "./crc32c.ts";
export {
  type ClassStats,
  type CurveData,
  type EpochRecord,
  formatMetricsLine,
  type MisclassifiedGallery,
  parseMetricsJsonl,
  type StepRecord,
} from "./metrics-jsonl.ts";
export {
  type DynamicAxes,
  decodeModel,
  type ExportOnnxOptions,
  exportOnnxBytes,
  ONNX_NORMALIZE_KEYS,
  type OnnxNormalize,
} from "./onnx/index.ts";
export {
  type GalleryItem,
  type RunSummary,
  renderReport,
  summaryFromRecords,
} from "./report.ts";
export {
  loadSafetensors,
  MAX_HEADER_SIZE,
  parseSafetensors,
  readSafetensors,
  type SafetensorsContents,
  type SafetensorsDType,
  type SaveSafetensorsOptions,
  serializeSafetensors,
  serializeSafetensorsChunks,
} from "./safetensors.ts";
export { lineChart, type Series } from "./svg-chart.ts";
export { encodeTfRecord } from "./tfrecord.ts";
export {
  parseTorch,
  type SaveTorchOptions,
  serializeTorch,
  type TorchDict,
  type TorchValue,
} from "./torch/index.ts";
