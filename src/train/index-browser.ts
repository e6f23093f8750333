// The train namespace of the browser entry (kiln-torch/browser): the classification metrics
// (positive/negative masks, confusion matrix, per-class stats), their log lines and the small
// models. The training apps (checkpoints, run directories) need Node and are left out; the bundle
// links this in place of index.ts. No Node API.

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
