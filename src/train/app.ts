// TrainingApp: the LunaTrainingApp of "Deep Learning with PyTorch" (chapters 11-14) as a class to
// subclass: initModel / initOptimizer / initTrainDl / initValDl, doTraining and doValidation
// filling a per-sample metrics tensor, logMetrics from masks, checkpoints, TensorBoard logs
// (per-epoch and per-step scalars, images, text, hparams), metrics.jsonl and report.html.
// Depends on tensor ops, nn, optim, data and io.

import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { checkArity } from "../core/args.ts";
import { FormatError, ValueError } from "../core/errors.ts";
import { defaultGenerator, Generator, type GeneratorState } from "../core/rng.ts";
import type * as data from "../data/index.ts";
import { removeStaleTemps } from "../io/atomic.ts";
import * as io from "../io/index.ts";
import type { MisclassifiedGallery } from "../io/metrics-jsonl.ts";
import * as nn from "../nn/index.ts";
import { zeros } from "../ops/creation.ts";
import { stack } from "../ops/movement.ts";
import * as optim from "../optim/index.ts";
import { noGrad } from "../tensor/graph.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { slice } from "../tensor/tensor.ts";
import { DEFAULT_ARGS, type TrainingArgs } from "./args.ts";
import {
  type CheckpointMeta,
  cleanCheckpointDir,
  joinTensors,
  openCheckpointSet,
  type PartialEpoch,
  pruneCheckpoints,
  splitTensors,
  writeCheckpointSet,
} from "./checkpoint.ts";
import {
  enumerateWithEstimate,
  enumerateWithEstimateAsync,
  type LogFn,
  type ProgressSink,
} from "./estimate.ts";
import {
  type ClassificationResult,
  classificationMetrics,
  formatMetricsLines,
  METRICS_LABEL_NDX,
  METRICS_LOSS_NDX,
  METRICS_PRED_NDX,
  METRICS_PRED_P_NDX,
  METRICS_SIZE,
} from "./metrics.ts";
import { type ProgressStream, TerminalProgress } from "./progress.ts";
import { confusionImage, imageGridPng, minMaxPerImage, mostConfidentMistakes } from "./visuals.ts";

export { DEFAULT_ARGS, type TrainingArgs } from "./args.ts";
export {
  type CheckpointMeta,
  type PartialEpoch,
  readCheckpointMeta,
} from "./checkpoint.ts";

/** A mini-batch as the default collate makes it: inputs and int32 labels. */
export type Batch = readonly [Tensor, Tensor];

/** The loaders a TrainingApp iterates, whatever their samples, collated to [inputs, labels]. */
export type Loader = data.DataLoader<unknown, Batch>;

function datasetLength(dl: Loader): number {
  const n = (dl.dataset as { length?: number }).length;
  if (n === undefined)
    throw new TypeError("TrainingApp: the data loader's dataset must have a length");
  return n;
}

function batchSizeOf(dl: Loader): number {
  if (dl.batchSize === null)
    throw new TypeError("TrainingApp: the data loader must batch (batchSize not null)");
  return dl.batchSize;
}

/** An image tensor [C, H, W] with 1 or 3 channels. */
function isImageTensor(x: unknown): x is Tensor {
  const t = x as Tensor;
  return (
    typeof x === "object" &&
    x !== null &&
    Array.isArray(t.shape) &&
    t.shape.length === 3 &&
    (t.shape[0] === 1 || t.shape[0] === 3)
  );
}

/** What logMetrics returns: the book's metrics dictionary plus the score used to pick the best model. */
export type MetricsDict = Record<string, number> & { score: number };

/** Lets the event loop turn, so that a SIGINT handler can run between two synchronous batches. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Python's time string of the book: "2026-11-27_14.03.11". */
function timeString(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}_${p(d.getHours())}.${p(d.getMinutes())}.${p(d.getSeconds())}`;
}

/**
 * The training application. Subclass it and implement `initModel`, `initTrainDl` and
 * `initValDl` (and `numClasses`); everything else has the book's behaviour.
 *
 * @example class MyApp extends TrainingApp { initModel() { return new NeuralNet(); } ... }
 *          await new MyApp({ epochs: 3 }).main();
 */
export abstract class TrainingApp {
  /** The run's settings: the constructor's `args` over `DEFAULT_ARGS`. */
  readonly args: TrainingArgs;
  /** When the app was made, as "2026-11-27_14.03.11": names the run's directories. */
  readonly timeStr: string;
  /** The step axis of every log: samples trained on so far. */
  totalTrainingSamples_count = 0;
  /** The model being trained, from `initModel` (set by `setup`). */
  model!: nn.Module;
  /** The optimizer over the model's parameters, from `initOptimizer` (set by `setup`). */
  optimizer!: optim.Optimizer;
  /**
   * The learning-rate scheduler from `initScheduler` (set by `setup`), or null for a constant lr.
   */
  scheduler: optim.lrScheduler.LRScheduler | null = null;
  /** Shuffles the training data; saved in checkpoints so a resumed run sees the same order. */
  readonly shuffleGenerator: Generator;
  /** Set by SIGINT: the current batch finishes, then a checkpoint is written. */
  interrupted = false;

  /**
   * The generators, besides the default one, that checkpoints save and --resume restores: the
   * shuffle generator, plus any a subclass adds (ClassifierApp's augmentation generator). A
   * generator left out here makes a resumed run diverge from an uninterrupted one.
   */
  generators(): Record<string, Generator> {
    return { shuffle: this.shuffleGenerator };
  }

  #rngStates(): CheckpointMeta["rng"] {
    const states: Record<string, GeneratorState> = {};
    for (const [name, g] of Object.entries(this.generators())) states[name] = g.getState();
    return {
      ...states,
      default: defaultGenerator.getState(),
      shuffle: this.shuffleGenerator.getState(),
    };
  }

  #setRngStates(rng: CheckpointMeta["rng"]): void {
    defaultGenerator.setState(rng.default);
    for (const [name, g] of Object.entries(this.generators())) {
      const state = rng[name];
      if (state !== undefined) g.setState(state);
    }
  }
  /**
   * Writes one line of the run's log: the constructor's `log`, kept above any live progress bar.
   */
  readonly log: LogFn;
  #writers = new Map<string, io.SummaryWriter>();
  #bestScore = Number.NEGATIVE_INFINITY;
  #sinceBest = 0;
  #startEpoch = 1;
  /** Batches done when SIGINT stopped the current epoch (null: not stopped). */
  #stoppedAfter: number | null = null;
  /** Written into the next checkpoint: the epoch SIGINT stopped part-way. */
  #partialToSave: {
    epoch: number;
    metrics_t: Tensor;
    rngAtEpochStart: CheckpointMeta["rng"];
  } | null = null;
  /** From --resume of a mid-epoch checkpoint: what the first epoch replays and restores. */
  #resumePartial: {
    epoch: number;
    batchesDone: number;
    metrics_t: Tensor;
    rngNow: CheckpointMeta["rng"];
  } | null = null;
  /** The training loop's bar (leaves one summary line per epoch) and the validation loop's. */
  #trainBar: TerminalProgress | null;
  #valBar: TerminalProgress | null;
  /** What run.json holds: the report's title, the start time and the arguments. */
  readonly #runInfo: { title: string; created: string; args: Record<string, unknown> };
  /** Training losses since the last step record (`--log-every`), and the learning rates used. */
  #stepWindow = { sum: 0, count: 0, lrs: [] as number[] };
  /** The gallery of the validation being logged, for its metrics.jsonl record. */
  #pendingGallery: MisclassifiedGallery | null = null;
  /** The metrics of the last validation, for the hparams of the run. */
  #lastValMetrics: MetricsDict | null = null;
  /** Per-sample losses (the metrics keep one per sample; backward uses their mean). */
  readonly #lossFn = new nn.CrossEntropyLoss({ reduction: "none" });

  /** Number of classes the model predicts. */
  abstract readonly numClasses: number;
  /** Names of the classes, for log lines and the report. */
  classNames(): string[] {
    return Array.from({ length: this.numClasses }, (_, c) => String(c));
  }

  /** A new model to train, called once by `setup` after seeding the default generator. */
  abstract initModel(): nn.Module;
  /** A new training DataLoader of `[input, label]` batches; `main` iterates it every epoch. */
  abstract initTrainDl(): Loader;
  /** A new validation DataLoader of `[input, label]` batches, for `doValidation`. */
  abstract initValDl(): Loader;

  /**
   * An app with `args` over `DEFAULT_ARGS`, logging through `log` (default `console.log`);
   * seeds the shuffle generator, makes the progress bars and logs the book's "Starting ..." line. Call
   * `main()` to train.
   */
  constructor(args: Partial<TrainingArgs> = {}, log: LogFn = (line) => console.log(line)) {
    checkArity("TrainingApp", arguments, 2);
    this.args = { ...DEFAULT_ARGS, ...args };
    this.timeStr = timeString();
    this.shuffleGenerator = new Generator(this.args.seed);
    const stream = this.args.progressBar ? this.progressStream() : null;
    this.#trainBar = stream ? new TerminalProgress(stream) : null;
    this.#valBar = stream ? new TerminalProgress(stream, { summary: false }) : null;
    const bars = [this.#trainBar, this.#valBar].filter((b): b is TerminalProgress => b !== null);
    // A message while a bar is drawn goes above it: the bar's line is cleared first, then redrawn.
    this.log =
      bars.length === 0
        ? log
        : (line) => {
            const live = bars.find((b) => b.live);
            live?.clear();
            log(line);
            live?.redraw();
          };
    // The book's first line ("Starting LunaTrainingApp, Namespace(...)"), printed before a subclass
    // loads its data, so a run says what it does at once.
    const settings = Object.entries(this.args)
      .filter(([, v]) => v !== null && typeof v !== "object")
      .map(([k, v]) => `${k}=${typeof v === "string" ? `'${v}'` : String(v)}`);
    this.log(`Starting ${this.constructor.name}, args(${settings.join(", ")})`);
    this.#runInfo = {
      title: `Kiln run ${this.args.tbPrefix}/${this.args.comment}`,
      created: new Date().toISOString(),
      args: { ...this.args } as unknown as Record<string, unknown>,
    };
  }

  /**
   * Where the progress bars draw (with `args.progressBar`): `process.stdout`. Called once, by the
   * constructor; a subclass may return another stream (the `log` function should write there too).
   */
  progressStream(): ProgressStream {
    return process.stdout;
  }

  /** Builds model and optimizer; call before training (main() does). Seeds the default generator. */
  setup(): void {
    defaultGenerator.manualSeed(this.args.seed);
    this.model = this.initModel();
    this.optimizer = this.initOptimizer();
    this.scheduler = this.initScheduler();
  }

  /** The optimizer named by `args.optimizer`: SGD (with momentum), Adam or AdamW. */
  initOptimizer(): optim.Optimizer {
    const { lr, momentum, weightDecay } = this.args;
    const params = this.model.parameters();
    switch (this.args.optimizer) {
      case "sgd":
        return new optim.SGD(params, { lr, momentum, weightDecay });
      case "adam":
        return new optim.Adam(params, { lr, weightDecay });
      case "adamw":
        return new optim.AdamW(params, { lr, weightDecay });
    }
  }

  /** The scheduler named by `args.scheduler`, or null. */
  initScheduler(): optim.lrScheduler.LRScheduler | null {
    const { epochs } = this.args;
    switch (this.args.scheduler) {
      case "none":
        return null;
      case "step":
        return new optim.lrScheduler.StepLR(this.optimizer, { stepSize: 1, gamma: 0.7 });
      case "cosine":
        return new optim.lrScheduler.CosineAnnealingLR(this.optimizer, {
          tMax: this.args.schedulerStep === "batch" ? epochs * this.batchesPerEpoch() : epochs,
        });
      case "onecycle":
        return new optim.lrScheduler.OneCycleLR(this.optimizer, {
          maxLr: this.args.lr,
          totalSteps: epochs * this.batchesPerEpoch(),
        });
    }
  }

  #batchesPerEpoch: number | null = null;
  private batchesPerEpoch(): number {
    if (this.#batchesPerEpoch === null) this.#batchesPerEpoch = this.initTrainDl().length;
    return this.#batchesPerEpoch;
  }

  private schedulerPerBatch(): boolean {
    return this.args.scheduler === "onecycle" || this.args.schedulerStep === "batch";
  }

  /** Directory of this run's metrics.jsonl and report.html. */
  get runDir(): string {
    return join(this.args.out, "runs", this.args.tbPrefix, `${this.timeStr}-${this.args.comment}`);
  }

  #prepared = false;

  /** Builds model, optimizer and scheduler and applies `args.resume`; main() calls it if needed. */
  prepare(): void {
    this.#cleanStaleFiles();
    this.setup();
    if (this.args.resume !== null) this.resumeFrom(this.args.resume);
    this.#prepared = true;
  }

  /** The `<type>` of checkpoint file names (`<type>_<time>_<comment>.<samples>`); the book uses "cls". */
  checkpointType(): string {
    return "model";
  }

  /** Extra JSON saved in each checkpoint's sidecar (for example input normalisation). */
  checkpointExtras(): Record<string, unknown> {
    return {};
  }

  /** Trains for `args.epochs` epochs, validating on the cadence, keeping the best model. */
  async main(): Promise<void> {
    checkArity("TrainingApp.main", arguments, 0);
    // The first Ctrl-C finishes the current batch (or validation, or write) and writes a
    // checkpoint; a second one quits at once, keeping the last complete checkpoint. Installed
    // before anything is loaded or written, so no moment of the run is left to the default
    // (silent) kill.
    const onSigint = () => {
      if (this.interrupted) {
        this.log("Interrupted again: quitting now; checkpoints already written are complete");
        process.exit(130);
      }
      this.interrupted = true;
    };
    process.on("SIGINT", onSigint);
    try {
      await this.#main();
    } finally {
      process.off("SIGINT", onSigint);
    }
  }

  /**
   * Epochs this run will train: `args.epochs` minus those done, counting an epoch a checkpoint
   * stopped part-way as still to do (0 when `--resume` names a checkpoint at or past `args.epochs`).
   */
  get epochsLeft(): number {
    return Math.max(0, this.args.epochs - this.#startEpoch + 1);
  }

  async #main(): Promise<void> {
    if (!this.#prepared) this.prepare();
    if (this.epochsLeft === 0) {
      // NOTE: checked before anything is written: a resumed run with nothing to do leaves no run
      // directory, no logs and no checkpoint behind.
      this.log(
        `Nothing to train: ${this.args.resume ?? "the checkpoint"} has finished epoch ${this.#startEpoch - 1} and epochs is ${this.args.epochs}; ask for more epochs (--epochs <n> with n > ${this.#startEpoch - 1}) to train further. Nothing was written.`,
      );
      return;
    }
    await yieldToEventLoop();
    if (this.interrupted) {
      this.log("Interrupted while loading the data, before the first epoch: nothing was saved");
      process.exitCode = 130;
      return;
    }
    io.writeFileAtomic(
      join(this.runDir, "run.json"),
      `${JSON.stringify(this.#runInfo, null, 2)}\n`,
    );
    const trainDl = this.initTrainDl();
    const valDl = this.initValDl();
    this.#stepWindow = { sum: 0, count: 0, lrs: [] };
    this.logModelText();
    let lastSaved: string | null = null;
    let finished = false;
    try {
      for (let epochNdx = this.#startEpoch; epochNdx <= this.args.epochs; epochNdx++) {
        this.log(
          `Epoch ${epochNdx} of ${this.args.epochs}, ${trainDl.length}/${valDl.length} batches of size ${this.args.batchSize}`,
        );
        const rngAtStart = this.#rngStates();
        const trnMetrics_t = await this.doTrainingAsync(epochNdx, trainDl);
        if (this.#stoppedAfter !== null) {
          // NOTE: the weights have seen part of this epoch, so the checkpoint records where it
          // stopped; resuming replays the loader to that batch instead of restarting the epoch.
          const batchesDone = this.#stoppedAfter;
          this.#partialToSave = {
            epoch: epochNdx,
            metrics_t: trnMetrics_t,
            rngAtEpochStart: rngAtStart,
          };
          const path = this.saveModel(this.checkpointType(), epochNdx - 1, false, true);
          this.#interruptedExit(
            `Interrupted during epoch ${epochNdx} after ${batchesDone} of ${trainDl.length} batches`,
            path,
          );
          return;
        }
        this.logMetrics(epochNdx, "trn", trnMetrics_t);
        if (
          this.scheduler !== null &&
          !this.schedulerPerBatch() &&
          this.args.scheduler !== "none"
        ) {
          this.scheduler.step();
        }
        const validate =
          epochNdx === 1 || epochNdx % this.args.valCadence === 0 || epochNdx === this.args.epochs;
        let stop = false;
        lastSaved = null;
        if (validate) {
          const valMetrics_t = await this.doValidationAsync(epochNdx, valDl);
          this.logMisclassified(epochNdx, valMetrics_t, valDl);
          const { score } = this.logMetrics(epochNdx, "val", valMetrics_t);
          const isBest = score > this.#bestScore;
          if (isBest) {
            this.#bestScore = score;
            this.#sinceBest = 0;
          } else this.#sinceBest++;
          lastSaved = this.saveModel(this.checkpointType(), epochNdx, isBest);
          stop = this.args.patience > 0 && this.#sinceBest >= this.args.patience;
          if (stop) this.log(`Early stopping: no improvement in ${this.#sinceBest} validations`);
        }
        this.writeReport();
        if (stop || epochNdx === this.args.epochs) finished = true;
        if (stop) break;
        await yieldToEventLoop();
        if (this.interrupted && epochNdx < this.args.epochs) {
          const path = lastSaved ?? this.saveModel(this.checkpointType(), epochNdx, false, true);
          this.#interruptedExit(`Interrupted after epoch ${epochNdx}`, path);
          return;
        }
      }
      if (finished) this.logHparams();
      if (this.interrupted) {
        // Ctrl-C during the last epoch's last batch or its validation: the run is complete.
        const saved = lastSaved === null ? "" : `; checkpoint written to ${lastSaved}`;
        this.log(`Interrupted at the end of the run, which completed${saved}`);
        process.exitCode = 130;
      }
    } finally {
      for (const w of this.#writers.values()) w.close();
    }
  }

  #interruptedExit(what: string, path: string): void {
    this.log(`${what}: checkpoint written to ${path}`);
    this.log(`Resume with: kiln train --resume ${path}`);
    process.exitCode = 130;
  }

  /**
   * One epoch of training (sync; use doTrainingAsync for loaders with worker threads). NOTE: a
   * synchronous loop never lets a SIGINT handler run; main() uses doTrainingAsync, which does.
   */
  doTraining(epochNdx: number, trainDl: Loader): Tensor {
    checkArity("TrainingApp.doTraining", arguments, 2);
    const epoch = this.#beginTrainingEpoch(epochNdx, trainDl);
    const batchIter = enumerateWithEstimate(
      trainDl,
      `E${epochNdx} Training`,
      this.estimateOptions(trainDl),
    );
    for (const [batchNdx, batch] of batchIter) {
      if (epoch.replay(batchNdx)) continue;
      this.trainStep(batchNdx, batch, batchSizeOf(trainDl), epoch.metrics);
      this.#logStep(epochNdx, batchNdx, trainDl);
      if (this.#stopAfter(batchNdx, trainDl)) return epoch.metrics;
    }
    this.totalTrainingSamples_count += datasetLength(trainDl);
    return epoch.metrics;
  }

  /**
   * One epoch of training that lets the event loop turn after each batch, so SIGINT can stop it
   * after the current batch (then `interrupted` is set and the epoch's partial metrics returned).
   */
  async doTrainingAsync(epochNdx: number, trainDl: Loader): Promise<Tensor> {
    checkArity("TrainingApp.doTrainingAsync", arguments, 2);
    const epoch = this.#beginTrainingEpoch(epochNdx, trainDl);
    const desc = `E${epochNdx} Training`;
    const batchIter =
      trainDl.numWorkers === 0
        ? enumerateWithEstimate(trainDl, desc, this.estimateOptions(trainDl))
        : enumerateWithEstimateAsync(trainDl, desc, this.estimateOptions(trainDl));
    for await (const [batchNdx, batch] of batchIter) {
      if (epoch.replay(batchNdx)) continue;
      this.trainStep(batchNdx, batch, batchSizeOf(trainDl), epoch.metrics);
      this.#logStep(epochNdx, batchNdx, trainDl);
      if (trainDl.numWorkers === 0) await yieldToEventLoop();
      if (this.#stopAfter(batchNdx, trainDl)) return epoch.metrics;
    }
    this.totalTrainingSamples_count += datasetLength(trainDl);
    return epoch.metrics;
  }

  // After SIGINT, stop once the current batch is done, unless it was the epoch's last.
  #stopAfter(batchNdx: number, dl: Loader): boolean {
    this.#stoppedAfter = null;
    if (!this.interrupted || batchNdx + 1 >= dl.length) return false;
    this.#stoppedAfter = batchNdx + 1;
    return true;
  }

  // Train mode and a zeroed metrics tensor; when resuming an epoch stopped part-way, the saved
  // metrics, and `replay` skips the done batches (the loader still draws them, so its random
  // state moves as it did) and then restores the generator states of the interruption.
  #beginTrainingEpoch(
    epochNdx: number,
    dl: Loader,
  ): { metrics: Tensor; replay: (batchNdx: number) => boolean } {
    const metrics = this.beginEpoch(dl, true);
    const r = this.#resumePartial;
    if (r === null || r.epoch !== epochNdx) return { metrics, replay: () => false };
    this.#resumePartial = null;
    if (r.metrics_t.shape.join() !== metrics.shape.join() || r.batchesDone > dl.length) {
      throw new ValueError(
        `resume: the checkpoint stopped epoch ${r.epoch} after ${r.batchesDone} batches of a dataset of ${r.metrics_t.shape[1]} samples, but this run has ${metrics.shape[1]} samples in ${dl.length} batches`,
      );
    }
    return {
      metrics: r.metrics_t,
      replay: (batchNdx) => {
        if (batchNdx >= r.batchesDone) return false;
        if (batchNdx === r.batchesDone - 1) this.#setRngStates(r.rngNow);
        return true;
      },
    };
  }

  /** One pass over the validation data in eval mode without gradients; returns valMetrics_t. */
  doValidation(epochNdx: number, valDl: Loader): Tensor {
    checkArity("TrainingApp.doValidation", arguments, 2);
    return noGrad(() => {
      const metrics = this.beginEpoch(valDl, false);
      const batchIter = enumerateWithEstimate(
        valDl,
        `E${epochNdx} Validation `,
        this.estimateOptions(valDl, false),
      );
      for (const [batchNdx, batch] of batchIter)
        this.computeBatchLoss(batchNdx, batch, batchSizeOf(valDl), metrics);
      return metrics;
    });
  }

  /**
   * `doValidation` that awaits batches from worker threads (the sync loop when `numWorkers` is 0);
   * returns valMetrics_t.
   */
  async doValidationAsync(epochNdx: number, valDl: Loader): Promise<Tensor> {
    checkArity("TrainingApp.doValidationAsync", arguments, 2);
    if (valDl.numWorkers === 0) return this.doValidation(epochNdx, valDl);
    const metrics = this.beginEpoch(valDl, false);
    const batchIter = enumerateWithEstimateAsync(
      valDl,
      `E${epochNdx} Validation `,
      this.estimateOptions(valDl, false),
    );
    for await (const [batchNdx, batch] of batchIter) {
      noGrad(() => this.computeBatchLoss(batchNdx, batch, batchSizeOf(valDl), metrics));
    }
    return metrics;
  }

  private beginEpoch(dl: Loader, training: boolean): Tensor {
    if (training) this.model.train();
    else this.model.eval();
    return zeros(METRICS_SIZE, datasetLength(dl));
  }

  private estimateOptions(dl: Loader, training = true) {
    const bar = training ? this.#trainBar : this.#valBar;
    return {
      startNdx: dl.numWorkers,
      log: this.log,
      ...(bar ? { progress: bar as ProgressSink } : {}),
    };
  }

  private trainStep(batchNdx: number, batch: Batch, batchSize: number, metrics: Tensor): void {
    this.optimizer.zeroGrad();
    const loss = this.computeBatchLoss(batchNdx, batch, batchSize, metrics);
    loss.backward();
    if (this.args.clipGradNorm > 0)
      nn.utils.clipGradNorm_(this.model.parameters(), this.args.clipGradNorm);
    // The learning rates this step uses (a per-batch scheduler changes them right after).
    this.#stepWindow.lrs = this.optimizer.paramGroups.map((g) => g.lr);
    this.optimizer.step();
    if (this.scheduler !== null && this.schedulerPerBatch()) this.scheduler.step();
    const value = Number(loss.item());
    this.#stepWindow.sum += value;
    this.#stepWindow.count++;
    this.#trainBar?.setLoss(value);
  }

  /**
   * Every `args.logEvery` optimizer steps of the run: the mean training loss of the steps since
   * the last record and the learning rate, as TensorBoard scalars `loss/step` and `lr` (`lr/pg<i>`
   * for further param groups) beside the per-epoch ones, and a step record in metrics.jsonl; x =
   * samples seen.
   */
  #logStep(epochNdx: number, batchNdx: number, dl: Loader): void {
    const every = this.args.logEvery;
    if (!(every > 0)) return;
    const globalStep = (epochNdx - 1) * dl.length + batchNdx + 1;
    if (globalStep % every !== 0 || this.#stepWindow.count === 0) return;
    const samples =
      this.totalTrainingSamples_count +
      Math.min((batchNdx + 1) * batchSizeOf(dl), datasetLength(dl));
    const loss = this.#stepWindow.sum / this.#stepWindow.count;
    const metrics: Record<string, number> = { loss };
    this.#stepWindow.lrs.forEach((lr, i) => {
      metrics[i === 0 ? "lr" : `lr/pg${i}`] = lr;
    });
    this.#stepWindow.sum = 0;
    this.#stepWindow.count = 0;
    const writer = this.writer("trn");
    for (const [key, value] of Object.entries(metrics))
      writer.addScalar(key === "loss" ? "loss/step" : key, value, samples);
    io.appendMetricsJsonl(join(this.runDir, "metrics.jsonl"), {
      kind: "step",
      epoch: epochNdx,
      batch: batchNdx + 1,
      step: samples,
      metrics,
      time: new Date().toISOString(),
    });
  }

  /**
   * Forward pass and per-sample cross-entropy of one batch. Writes label, predicted label,
   * predicted probability and loss (detached) into columns [batchNdx·batchSize, … + n) of
   * `metrics_g`, and returns the mean loss for backward.
   */
  computeBatchLoss(batchNdx: number, batch: Batch, batchSize: number, metrics_g: Tensor): Tensor {
    checkArity("TrainingApp.computeBatchLoss", arguments, 4);
    const [input_t, label_t] = batch;
    const logits_g = this.model.forward(input_t);
    const loss_g = this.#lossFn.forward(logits_g, label_t);
    const startNdx = batchNdx * batchSize;
    const cols = slice(startNdx, startNdx + label_t.shape[0]!);
    noGrad(() => {
      const probability_g = nn.functional.softmax(logits_g.detach(), 1);
      const { values, indices } = probability_g.max(1);
      metrics_g.indexPut_([METRICS_LABEL_NDX, cols], label_t);
      metrics_g.indexPut_([METRICS_PRED_NDX, cols], indices);
      const predP = this.numClasses === 2 ? probability_g.index(slice(), 1) : values;
      metrics_g.indexPut_([METRICS_PRED_P_NDX, cols], predP);
      metrics_g.indexPut_([METRICS_LOSS_NDX, cols], loss_g.detach());
    });
    return loss_g.mean();
  }

  /** The SummaryWriter of a mode, made on first use: runs/<tbPrefix>/<time>-<mode>_cls-<comment>. */
  writer(mode: string): io.SummaryWriter {
    checkArity("TrainingApp.writer", arguments, 1);
    let w = this.#writers.get(mode);
    if (w === undefined) {
      const dir = join(
        this.args.out,
        "runs",
        this.args.tbPrefix,
        `${this.timeStr}-${mode}_cls-${this.args.comment}`,
      );
      w = new io.SummaryWriter(dir);
      this.#writers.set(mode, w);
    }
    return w;
  }

  /** Metrics of one epoch: log lines, TensorBoard scalars, PR curve and histograms, metrics.jsonl. */
  logMetrics(
    epochNdx: number,
    mode: "trn" | "val",
    metrics_t: Tensor,
    classificationThreshold = 0.5,
  ): MetricsDict {
    checkArity("TrainingApp.logMetrics", arguments, 4);
    const result = classificationMetrics(metrics_t, {
      numClasses: this.numClasses,
      threshold: classificationThreshold,
      classNames: this.classNames(),
    });
    for (const line of formatMetricsLines(epochNdx, mode, result)) this.log(line);
    const step = this.totalTrainingSamples_count;
    const writer = this.writer(mode);
    for (const [key, value] of Object.entries(result.metrics)) writer.addScalar(key, value, step);
    if (result.binary) this.logBinaryCurves(writer, metrics_t, step);
    writer.flush();
    const score = this.score(result);
    const gallery = mode === "val" ? this.#pendingGallery : null;
    this.#pendingGallery = null;
    if (mode === "val") {
      writer.addImage("confusion_matrix", confusionImage(result.confusion), step);
      writer.flush();
    }
    // The record holds what the report shows, the score included, so a rebuilt report equals
    // the live one.
    io.appendMetricsJsonl(join(this.runDir, "metrics.jsonl"), {
      epoch: epochNdx,
      mode,
      step,
      metrics: { ...result.metrics, score },
      confusion: result.confusion,
      perClass: result.perClass,
      classNames: this.classNames(),
      time: new Date().toISOString(),
      ...(result.roc ? { roc: result.roc } : {}),
      ...(gallery !== null ? { misclassified: gallery } : {}),
    });
    const dict = { ...result.metrics, score };
    if (mode === "val") this.#lastValMetrics = dict;
    return dict;
  }

  /**
   * The validation samples of `indices` as images [N, C, H, W] in [0, 1] for TensorBoard and the
   * report, or null when the inputs are not images. This default takes the inputs from the
   * loader's dataset (`get(i)`) and rescales each to [0, 1] by its minimum and maximum; a subclass
   * that keeps the raw images (ClassifierApp) returns those.
   */
  imagesForDisplay(indices: readonly number[], valDl: Loader): Tensor | null {
    checkArity("TrainingApp.imagesForDisplay", arguments, 2);
    const ds = valDl.dataset as { get?: (i: number) => unknown };
    if (typeof ds.get !== "function" || indices.length === 0) return null;
    const items: Tensor[] = [];
    for (const i of indices) {
      const item = ds.get(i);
      const x = Array.isArray(item) ? item[0] : item;
      if (!isImageTensor(x)) return null;
      items.push(x);
    }
    if (items.some((t) => t.shape.join() !== items[0]!.shape.join())) return null;
    return minMaxPerImage(stack(items, 0));
  }

  /**
   * The most confident mistakes of a validation (at most 16): a grid of them in TensorBoard
   * (`misclassified`, with `addImages`), and one PNG in the run directory whose layout the
   * validation's metrics.jsonl record lists, for report.html's gallery.
   */
  private logMisclassified(epochNdx: number, valMetrics_t: Tensor, valDl: Loader): void {
    this.#pendingGallery = null;
    const mistakes = mostConfidentMistakes(valMetrics_t, this.numClasses, 16);
    if (mistakes.length === 0) return;
    const images = this.imagesForDisplay(
      mistakes.map((m) => m.index),
      valDl,
    );
    if (images === null) return;
    this.writer("val").addImages("misclassified", images, this.totalTrainingSamples_count);
    const grid = imageGridPng(images);
    const file = `misclassified_E${epochNdx}.png`;
    // The PNG is complete before the record that names it is appended.
    io.writeFileAtomic(join(this.runDir, file), grid.png);
    this.#pendingGallery = {
      file,
      width: grid.width,
      height: grid.height,
      items: mistakes.map((m, i) => ({ ...m, ...grid.positions[i]! })),
    };
  }

  /** The model's `toString()` and parameter count as TensorBoard text (`model`), once per run. */
  private logModelText(): void {
    const params = this.model.parameters();
    const total = params.reduce((a, p) => a + p.numel(), 0);
    const trainable = params.filter((p) => p.requiresGrad).reduce((a, p) => a + p.numel(), 0);
    const fmt = (n: number) => n.toLocaleString("en-US");
    // NOTE: TensorBoard renders text as Markdown; four spaces keep the repr a code block.
    const repr = this.model
      .toString()
      .split("\n")
      .map((l) => `    ${l}`)
      .join("\n");
    this.writer("trn").addText(
      "model",
      `${repr}\n\n${fmt(total)} parameters (${fmt(trainable)} trainable)`,
      this.totalTrainingSamples_count,
    );
  }

  /**
   * The run's hyperparameters (its scalar arguments, less output paths and display switches) and
   * final validation metrics (`hparam/loss`, `hparam/accuracy`, `hparam/precision`,
   * `hparam/recall`, `hparam/f1`, `hparam/score`, `hparam/auc` when binary) for TensorBoard's
   * HParams dashboard, in the validation writer's `hparams` run.
   */
  private logHparams(): void {
    const m = this.#lastValMetrics;
    if (m === null) return;
    const skip = new Set(["out", "resume", "progressBar"]);
    const hparams: Record<string, number | string | boolean> = {};
    for (const [k, v] of Object.entries(this.args)) {
      if (skip.has(k)) continue;
      if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") hparams[k] = v;
    }
    const names: [string, string][] = [
      ["loss/all", "loss"],
      ["correct/all", "accuracy"],
      ["pr/precision", "precision"],
      ["pr/recall", "recall"],
      ["pr/f1_score", "f1"],
      ["auc", "auc"],
      ["score", "score"],
    ];
    const metrics: Record<string, number> = {};
    for (const [key, name] of names) if (key in m) metrics[`hparam/${name}`] = m[key]!;
    const writer = this.writer("val");
    writer.addHparams(hparams, metrics, { runName: "hparams" });
    writer.flush();
  }

  private score(r: ClassificationResult): number {
    if (r.binary || this.args.scoreBy === "f1") return r.metrics["pr/f1_score"]!;
    return r.metrics["correct/all"]!;
  }

  // The book's PR curve and histograms of predicted probabilities, leaving out the confidently
  // right predictions (negatives below 0.01, positives above 0.99).
  private logBinaryCurves(writer: io.SummaryWriter, metrics_t: Tensor, step: number): void {
    const labels = metrics_t.index(METRICS_LABEL_NDX);
    const predP = metrics_t.index(METRICS_PRED_P_NDX);
    writer.addPrCurve("pr", labels, predP, step);
    const negHist = labels.eq(0).logicalAnd(predP.gt(0.01));
    const posHist = labels.eq(1).logicalAnd(predP.lt(0.99));
    // The book's fixed edges 0, 0.02, ..., 1.
    const bins = Array.from({ length: 51 }, (_, i) => i / 50);
    if (negHist.any().item()) writer.addHistogram("is_neg", predP.index(negHist), step, { bins });
    if (posHist.any().item()) writer.addHistogram("is_pos", predP.index(posHist), step, { bins });
  }

  /**
   * Rewrites report.html in the run directory from the files the run wrote (run.json,
   * metrics.jsonl, the misclassified samples' PNG), exactly as `kiln report` rebuilds it.
   */
  writeReport(): void {
    checkArity("TrainingApp.writeReport", arguments, 0);
    io.rebuildReport(this.runDir);
  }

  /** Checkpoint file stem: models/<tbPrefix>/<type>_<time>_<comment>.<samples>. */
  private checkpointStem(type: string, tag: string | number): string {
    return join(
      this.args.out,
      "models",
      this.args.tbPrefix,
      `${type}_${this.timeStr}_${this.args.comment}.${tag}`,
    );
  }

  /**
   * Writes the model weights (safetensors, PyTorch key names), the optimizer tensors, and a JSON
   * sidecar with everything needed to resume; when best, also a `.best` copy. Returns the
   * weights path.
   */
  saveModel(type: string, epochNdx: number, isBest: boolean, interrupted = false): string {
    checkArity("TrainingApp.saveModel", arguments, 4);
    const partial = this.#partialToSave;
    this.#partialToSave = null;
    // A checkpoint of an epoch stopped part-way is named by the samples actually seen, so it does
    // not overwrite the previous epoch's checkpoint.
    const seen =
      partial === null
        ? this.totalTrainingSamples_count
        : this.totalTrainingSamples_count +
          Math.min((this.#stoppedAfter ?? 0) * this.args.batchSize, partial.metrics_t.shape[1]!);
    const stem = this.checkpointStem(type, seen);
    const weightsFile = `${stem}.safetensors`;
    const optimizerFile = `${stem}.optim.safetensors`;
    // The set is written as a unit (writeCheckpointSet): every file, then the manifest of their
    // SHA-256s; the `.best` set is written the same way from the same bytes.
    const weights = io.serializeSafetensorsChunks(this.model.stateDict(), {
      metadata: { format: "pt", model: this.model.constructor.name, epoch: String(epochNdx) },
    });
    const { tensors, meta: optimizerState } = splitTensors(this.optimizer.stateDict());
    const optimizer = io.serializeSafetensorsChunks(tensors);
    const files: { suffix: string; data: Uint8Array[] }[] = [
      { suffix: ".safetensors", data: weights },
      { suffix: ".optim.safetensors", data: optimizer },
    ];
    let partialEpoch: PartialEpoch | null = null;
    if (partial !== null) {
      const metricsFile = `${stem}.epoch.safetensors`;
      files.push({
        suffix: ".epoch.safetensors",
        data: io.serializeSafetensorsChunks({ trnMetrics_t: partial.metrics_t }),
      });
      partialEpoch = {
        epoch: partial.epoch,
        batchesDone: this.#stoppedAfter ?? 0,
        metricsFile: basename(metricsFile),
        rngAtEpochStart: partial.rngAtEpochStart,
      };
    }
    const sha1 = createHash("sha1");
    for (const chunk of weights) sha1.update(chunk);
    const meta: CheckpointMeta = {
      format: "kiln-checkpoint",
      version: 1,
      modelClass: this.model.constructor.name,
      optimizerClass: this.optimizer.constructor.name,
      optimizerState,
      schedulerState: this.scheduler?.stateDict() ?? null,
      epoch: epochNdx,
      totalTrainingSamples_count: this.totalTrainingSamples_count,
      rng: this.#rngStates(),
      bestScore: this.#bestScore,
      sinceBest: this.#sinceBest,
      args: this.args,
      time: this.timeStr,
      weightsFile: basename(weightsFile),
      weightsSha1: sha1.digest("hex"),
      extras: this.checkpointExtras(),
      optimizerFile: basename(optimizerFile),
      interrupted,
      partialEpoch,
    };
    const sidecar = (m: CheckpointMeta) => ({
      suffix: ".json",
      data: [Buffer.from(`${JSON.stringify(m, null, 2)}\n`, "utf8")],
    });
    writeCheckpointSet(stem, [...files, sidecar(meta)]);
    this.log(`Saved model params to ${weightsFile}`);
    if (isBest) {
      const best = this.checkpointStem(type, "best");
      const bestMeta: CheckpointMeta = {
        ...meta,
        weightsFile: basename(`${best}.safetensors`),
        optimizerFile: basename(`${best}.optim.safetensors`),
        ...(partialEpoch !== null
          ? {
              partialEpoch: { ...partialEpoch, metricsFile: basename(`${best}.epoch.safetensors`) },
            }
          : {}),
      };
      writeCheckpointSet(best, [...files, sidecar(bestMeta)]);
      this.log(`Saved model params to ${best}.safetensors`);
      this.log(`SHA1: ${meta.weightsSha1}`);
    }
    pruneCheckpoints(
      dirname(stem),
      `${type}_${this.timeStr}_${this.args.comment}.`,
      this.#keepLast(),
    );
    return weightsFile;
  }

  /** `--keep-last N`: numbered checkpoint sets kept besides `.best` (default: the latest). */
  #keepLast(): number {
    const n = this.args.keepLast;
    return typeof n === "number" && Number.isInteger(n) && n >= 1 ? n : 1;
  }

  /**
   * What a killed run left: stray temporary files and half-written checkpoint sets of dead
   * processes, in this run's checkpoint directory and in the run directories beside this one's.
   */
  #cleanStaleFiles(): void {
    cleanCheckpointDir(join(this.args.out, "models", this.args.tbPrefix));
    const runs = join(this.args.out, "runs", this.args.tbPrefix);
    let dirs: string[] = [];
    try {
      dirs = readdirSync(runs, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => join(runs, d.name));
    } catch {
      dirs = [];
    }
    for (const d of dirs) removeStaleTemps(d);
  }

  /** Restores weights, optimizer, scheduler, counters and RNG states from a checkpoint. */
  resumeFrom(weightsPath: string): void {
    checkArity("TrainingApp.resumeFrom", arguments, 1);
    // Only a complete set whose every file matches its manifest's SHA-256 is resumed from; the
    // tensors are parsed from the very bytes that were verified.
    const set = openCheckpointSet(weightsPath);
    const meta = set.meta;
    if (meta.modelClass !== this.model.constructor.name) {
      throw new ValueError(
        `resume: checkpoint ${weightsPath} holds a ${meta.modelClass}, but this run builds a ${this.model.constructor.name}`,
      );
    }
    const stem = basename(weightsPath).replace(/\.safetensors$/, "");
    this.model.loadStateDict(io.loadSafetensors(set.file(`${stem}.safetensors`)));
    const optimTensors = io.loadSafetensors(set.file(meta.optimizerFile));
    this.optimizer.loadStateDict(joinTensors(meta.optimizerState, optimTensors) as never);
    if (this.scheduler !== null && meta.schedulerState !== null) {
      this.scheduler.loadStateDict(meta.schedulerState as never);
    }
    this.totalTrainingSamples_count = meta.totalTrainingSamples_count;
    this.#setRngStates(meta.rng);
    this.#bestScore = meta.bestScore ?? Number.NEGATIVE_INFINITY;
    this.#sinceBest = meta.sinceBest ?? 0;
    this.#startEpoch = meta.epoch + 1;
    const p = meta.partialEpoch ?? null;
    if (p !== null) {
      if (meta.args.batchSize !== this.args.batchSize) {
        throw new ValueError(
          `resume: checkpoint ${weightsPath} stopped epoch ${p.epoch} part-way with batch size ${meta.args.batchSize}, but this run uses ${this.args.batchSize}`,
        );
      }
      const metrics_t = io.loadSafetensors(set.file(p.metricsFile)).trnMetrics_t;
      if (metrics_t === undefined) {
        throw new FormatError(`checkpoint: ${p.metricsFile} lacks the tensor trnMetrics_t`);
      }
      const samples = datasetLength(this.initTrainDl());
      if (metrics_t.shape[1] !== samples) {
        throw new ValueError(
          `resume: checkpoint ${weightsPath} stopped epoch ${p.epoch} part-way on ${metrics_t.shape[1]} training samples, but this run has ${samples}`,
        );
      }
      this.#resumePartial = {
        epoch: p.epoch,
        batchesDone: p.batchesDone,
        metrics_t,
        rngNow: meta.rng,
      };
      this.#setRngStates(p.rngAtEpochStart);
      this.#startEpoch = p.epoch;
    }
    const part = p === null ? "" : ` and ${p.batchesDone} batches of epoch ${p.epoch}`;
    // NOTE: the sample counter stays at the start of an epoch stopped part-way (the epoch adds its
    // samples when it ends); the samples seen include the done batches, as the file name does.
    const seen =
      meta.totalTrainingSamples_count +
      (p === null
        ? 0
        : Math.min(p.batchesDone * meta.args.batchSize, this.#resumePartial!.metrics_t.shape[1]!));
    this.log(`Resumed from ${weightsPath}: epoch ${meta.epoch}${part} done, ${seen} samples seen`);
  }
}
