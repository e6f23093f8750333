// The options of a training run, shared by TrainingApp and the CLI. Plain data; depends on nothing.

/** The options of a training run; the CLI's flags map onto these one to one. */
export interface TrainingArgs {
  epochs: number;
  batchSize: number;
  numWorkers: number;
  lr: number;
  momentum: number;
  optimizer: "sgd" | "adam" | "adamw";
  weightDecay: number;
  /** LR schedule; "none" keeps lr constant. */
  scheduler: "none" | "step" | "cosine" | "onecycle";
  /** Step the scheduler once per epoch (default) or once per batch (onecycle always per batch). */
  schedulerStep: "epoch" | "batch";
  seed: number;
  /** Validate on epoch 1 and then every `valCadence` epochs. */
  valCadence: number;
  /** Stop when the validation score has not improved for this many validations (0: never). */
  patience: number;
  /** Clip the global gradient norm to this value before each step (0: off). */
  clipGradNorm: number;
  /** Which score picks the best model for multi-class tasks. */
  scoreBy: "f1" | "accuracy";
  tbPrefix: string;
  /** Root directory for runs/ and models/. */
  out: string;
  comment: string;
  /** A checkpoint (.safetensors written by saveModel) to continue from. */
  resume: string | null;
  /** Progress bar on a TTY (default: when stdout is a terminal). */
  progressBar: boolean;
  /**
   * Checkpoint retention: keep the last `keepLast` checkpoints (and the best); undefined keeps
   * the latest and the best.
   */
  keepLast?: number;
  /**
   * Log the training loss (mean over the window) and the learning rate every `logEvery` optimizer
   * steps, to TensorBoard (`loss/step`, `lr`) and metrics.jsonl (0: off). Default 50.
   */
  logEvery: number;
}

/** The book's defaults (chapters 11-12: SGD lr 0.001 momentum 0.99, batch 32, 1 epoch). */
export const DEFAULT_ARGS: TrainingArgs = {
  epochs: 1,
  batchSize: 32,
  numWorkers: 0,
  lr: 0.001,
  momentum: 0.99,
  optimizer: "sgd",
  weightDecay: 0,
  scheduler: "none",
  schedulerStep: "epoch",
  seed: 0,
  valCadence: 1,
  patience: 0,
  clipGradNorm: 0,
  scoreBy: "f1",
  tbPrefix: "kiln",
  out: ".",
  comment: "kiln",
  resume: null,
  progressBar: false,
  logEvery: 50,
};
