// Public namespace `io`: re-exports only.

export {
  type AtomicData,
  appendFileWhole,
  copyFileAtomic,
  sha1File,
  writeFileAtomic,
} from "./atomic.ts";
export { crc32c, maskedCrc32c } from "./crc32c.ts";
export {
  appendMetricsJsonl,
  type ClassStats,
  type CurveData,
  type EpochRecord,
  formatMetricsLine,
  type MisclassifiedGallery,
  parseMetricsJsonl,
  readMetricsJsonl,
  type StepRecord,
} from "./metrics-jsonl.ts";
export {
  type DynamicAxes,
  type ExportOnnxOptions,
  exportOnnx,
  ONNX_NORMALIZE_KEYS,
  type OnnxNormalize,
} from "./onnx/index.ts";
export {
  type GalleryItem,
  type RunSummary,
  rebuildReport,
  renderReport,
  summaryFromRecords,
  writeReport,
} from "./report.ts";
export {
  loadSafetensors,
  MAX_HEADER_SIZE,
  parseSafetensors,
  readSafetensors,
  type SafetensorsContents,
  type SafetensorsDType,
  type SaveSafetensorsOptions,
  saveSafetensors,
  serializeSafetensors,
  serializeSafetensorsChunks,
} from "./safetensors.ts";
export {
  type HistogramOptions,
  type HparamsOptions,
  type ImageOptions,
  type ImagesOptions,
  type PrCurveOptions,
  type ScalarOptions,
  SummaryWriter,
  type SummaryWriterOptions,
  type TextOptions,
  type Values,
} from "./summary-writer.ts";
export {
  computePrCurve,
  type HistogramBins,
  type HistogramData,
  makeHistogram,
} from "./tb-summaries.ts";
export { encodeTfRecord } from "./tfrecord.ts";
export {
  loadTorch,
  type SaveTorchOptions,
  saveTorch,
  type TorchDict,
  type TorchValue,
} from "./torch/index.ts";
