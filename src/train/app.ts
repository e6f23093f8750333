// TrainingApp: the LunaTrainingApp of "Deep Learning with PyTorch" (chapters 11-14) as a class to
// subclass: initModel / initOptimizer / initTrainDl / initValDl, doTraining and doValidation
// filling a per-sample metrics tensor, logMetrics from masks, checkpoints, TensorBoard logs,
// metrics.jsonl and report.html. Depends on tensor ops, nn, optim, data and io.

import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { checkArity } from "../core/args.ts";
import { FormatError, ValueError } from "../core/errors.ts";
import { defaultGenerator, Generator, type GeneratorState } from "../core/rng.ts";
import type * as data from "../data/index.ts";
import { removeStaleTemps } from "../io/atomic.ts";
import * as io from "../io/index.ts";
import * as nn from "../nn/index.ts";
import { zeros } from "../ops/creation.ts";
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
import { TerminalProgress } from "./progress.ts";

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
  readonly args: TrainingArgs;
  readonly timeStr: string;
  /** The step axis of every log: samples trained on so far. */
  totalTrainingSamples_count = 0;
  model!: nn.Module;
  optimizer!: optim.Optimizer;
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
  #progress: TerminalProgress | null;
  #runSummary: io.RunSummary;
  /** Per-sample losses (the metrics keep one per sample; backward uses their mean). */
  readonly #lossFn = new nn.CrossEntropyLoss({ reduction: "none" });

  /** Number of classes the model predicts. */
  abstract readonly numClasses: number;
  /** Names of the classes, for log lines and the report. */
  classNames(): string[] {
    return Array.from({ length: this.numClasses }, (_, c) => String(c));
  }

  abstract initModel(): nn.Module;
  abstract initTrainDl(): Loader;
  abstract initValDl(): Loader;

  constructor(args: Partial<TrainingArgs> = {}, log: LogFn = (line) => console.log(line)) {
    checkArity("TrainingApp", arguments, 2);
    this.args = { ...DEFAULT_ARGS, ...args };
    this.log = log;
    this.timeStr = timeString();
    this.shuffleGenerator = new Generator(this.args.seed);
    this.#progress = this.args.progressBar ? new TerminalProgress() : null;
    this.#runSummary = {
      title: `Kiln run ${this.args.tbPrefix}/${this.args.comment}`,
      created: new Date().toISOString(),
      args: { ...this.args } as unknown as Record<string, unknown>,
      epochs: [],
    };
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

  async #main(): Promise<void> {
    if (!this.#prepared) this.prepare();
    await yieldToEventLoop();
    if (this.interrupted) {
      this.log("Interrupted while loading the data, before the first epoch: nothing was saved");
      process.exitCode = 130;
      return;
    }
    io.writeFileAtomic(
      join(this.runDir, "run.json"),
      `${JSON.stringify({ title: this.#runSummary.title, created: this.#runSummary.created, args: this.#runSummary.args }, null, 2)}\n`,
    );
    const trainDl = this.initTrainDl();
    const valDl = this.initValDl();
    let lastSaved: string | null = null;
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
        if (stop) break;
        await yieldToEventLoop();
        if (this.interrupted && epochNdx < this.args.epochs) {
          const path = lastSaved ?? this.saveModel(this.checkpointType(), epochNdx, false, true);
          this.#interruptedExit(`Interrupted after epoch ${epochNdx}`, path);
          return;
        }
      }
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
        this.estimateOptions(valDl),
      );
      for (const [batchNdx, batch] of batchIter)
        this.computeBatchLoss(batchNdx, batch, batchSizeOf(valDl), metrics);
      return metrics;
    });
  }

  async doValidationAsync(epochNdx: number, valDl: Loader): Promise<Tensor> {
    checkArity("TrainingApp.doValidationAsync", arguments, 2);
    if (valDl.numWorkers === 0) return this.doValidation(epochNdx, valDl);
    const metrics = this.beginEpoch(valDl, false);
    const batchIter = enumerateWithEstimateAsync(
      valDl,
      `E${epochNdx} Validation `,
      this.estimateOptions(valDl),
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

  private estimateOptions(dl: Loader) {
    return {
      startNdx: dl.numWorkers,
      log: this.log,
      ...(this.#progress ? { progress: this.#progress as ProgressSink } : {}),
    };
  }

  private trainStep(batchNdx: number, batch: Batch, batchSize: number, metrics: Tensor): void {
    this.optimizer.zeroGrad();
    const loss = this.computeBatchLoss(batchNdx, batch, batchSize, metrics);
    loss.backward();
    if (this.args.clipGradNorm > 0)
      nn.utils.clipGradNorm_(this.model.parameters(), this.args.clipGradNorm);
    this.optimizer.step();
    if (this.scheduler !== null && this.schedulerPerBatch()) this.scheduler.step();
    this.#progress?.setLoss(Number(loss.item()));
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
    this.#runSummary.epochs.push({ epoch: epochNdx, mode, metrics: { ...result.metrics, score } });
    if (mode === "val") this.recordValidation(result);
    io.appendMetricsJsonl(join(this.runDir, "metrics.jsonl"), {
      epoch: epochNdx,
      mode,
      step,
      metrics: result.metrics,
      confusion: result.confusion,
      perClass: result.perClass,
      classNames: this.classNames(),
      time: new Date().toISOString(),
      ...(result.roc ? { roc: result.roc } : {}),
    });
    return { ...result.metrics, score };
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

  private recordValidation(r: ClassificationResult): void {
    this.#runSummary.confusion = r.confusion;
    this.#runSummary.classNames = this.classNames();
    this.#runSummary.perClass = r.perClass.map((s) => ({
      precision: s.precision,
      recall: s.recall,
      f1: s.f1,
      support: s.count,
    }));
    if (r.roc) this.#runSummary.curve = { kind: "roc", x: r.roc.fpr, y: r.roc.tpr, auc: r.roc.auc };
  }

  /** Rewrites report.html in the run directory. */
  writeReport(): void {
    checkArity("TrainingApp.writeReport", arguments, 0);
    io.writeReport(this.runDir, this.#runSummary);
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
    this.log(
      `Resumed from ${weightsPath}: epoch ${meta.epoch}${part} done, ${meta.totalTrainingSamples_count} samples seen`,
    );
  }
}
