// Public namespace `train`: re-exports only.

export {
  type Batch,
  type CheckpointMeta,
  DEFAULT_ARGS,
  type Loader,
  type MetricsDict,
  type PartialEpoch,
  readCheckpointMeta,
  TrainingApp,
  type TrainingArgs,
} from "./app.ts";
export {
  CHECKPOINT_LIMITS,
  openCheckpointSet,
  type VerifiedCheckpoint,
} from "./checkpoint.ts";
export {
  AugmentedImages,
  buildClassifierModel,
  CLASSIFIER_DEFAULTS,
  ClassifierApp,
  type ClassifierArgs,
  type LoadedData,
  loadClassifierData,
  type Split,
} from "./classifier-app.ts";
export {
  defaultBackoff,
  type EstimateArgs,
  type EstimateOptions,
  enumerateWithEstimate,
  enumerateWithEstimateAsync,
  estimateIndices,
  formatDateTime,
  formatDuration,
  type LogFn,
  type ProgressSink,
} from "./estimate.ts";
export { LUNA_DEFAULTS, LunaApp, type LunaArgs, parseNoduleSpec } from "./luna-app.ts";
export {
  type ClassificationOptions,
  type ClassificationResult,
  type ClassStats,
  classificationMetrics,
  confusionMatrix,
  formatMetricsLines,
  METRICS_LABEL_NDX,
  METRICS_LOSS_NDX,
  METRICS_PRED_NDX,
  METRICS_PRED_P_NDX,
  METRICS_SIZE,
} from "./metrics.ts";
export { ConvNet, NeuralNet } from "./models.ts";
export {
  layoutProgressLine,
  type ProgressLineParts,
  type ProgressStream,
  TerminalProgress,
  type TerminalProgressOptions,
} from "./progress.ts";
