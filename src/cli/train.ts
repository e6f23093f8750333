// `kiln train`: builds a ClassifierApp from the flags and runs it. Imports only the public entry.

import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Command, Option } from "commander";
import { setBackend, train } from "../index.ts";
import { checkWritable, intAtLeast, numberIn, type SystemError, UsageError } from "./args.ts";

const D = train.CLASSIFIER_DEFAULTS;

/** The flags of `kiln train`, with their parsers and defaults. */
export function trainOptions(): Option[] {
  return [
    new Option(
      "--model <name>",
      "mlp (the seed's NeuralNet), cnn (two conv blocks with BatchNorm) or luna (the book's LunaModel on synthetic 3-D nodules)",
    )
      .choices(["mlp", "cnn", "luna"])
      .default(D.model),
    new Option(
      "--dataset <spec>",
      "mnist | fashion-mnist:<dir> | kmnist:<dir> | cifar10:<dir> | csv:<file>; with --model luna: nodules[:<count>[:<positive fraction>[:<data seed>]]] (default nodules = 300 candidates, 10% nodules)",
    ).default(D.dataset),
    new Option("--binary <class>", "one-vs-rest: this class positive, the rest negative").argParser(
      intAtLeast(0),
    ),
    new Option("--epochs <n>", "epochs to train").argParser(intAtLeast(1)).default(D.epochs),
    new Option("--batch-size <n>", "samples per batch")
      .argParser(intAtLeast(1))
      .default(D.batchSize),
    new Option("--lr <x>", "learning rate")
      .argParser(numberIn(0, Number.POSITIVE_INFINITY, true))
      .default(D.lr),
    new Option("--momentum <x>", "SGD momentum").argParser(numberIn(0, 1)).default(D.momentum),
    new Option("--optimizer <name>", "sgd | adam | adamw")
      .choices(["sgd", "adam", "adamw"])
      .default(D.optimizer),
    new Option("--weight-decay <x>", "L2 penalty (decoupled for adamw)")
      .argParser(numberIn(0, Number.POSITIVE_INFINITY))
      .default(D.weightDecay),
    new Option("--scheduler <name>", "none | step (x0.7 per epoch) | cosine | onecycle")
      .choices(["none", "step", "cosine", "onecycle"])
      .default(D.scheduler),
    new Option("--scheduler-step <when>", "step the scheduler per epoch or per batch")
      .choices(["epoch", "batch"])
      .default(D.schedulerStep),
    new Option("--seed <n>", "random seed (weights, shuffling, augmentation)")
      .argParser(intAtLeast(0))
      .default(D.seed),
    new Option("--num-workers <n>", "worker threads loading batches")
      .argParser(intAtLeast(0))
      .default(D.numWorkers),
    new Option(
      "--balanced",
      "binary (or --model luna): every second training sample positive (the book's --balanced)",
    ).default(false),
    new Option(
      "--augmented",
      "random affine augmentation of training images (--model luna: the book's 3-D flip, offset, scale, rotation and noise)",
    ).default(false),
    new Option("--val-cadence <n>", "validate on epoch 1 and every n epochs")
      .argParser(intAtLeast(1))
      .default(D.valCadence),
    new Option("--patience <n>", "early stopping after n validations without improvement (0: off)")
      .argParser(intAtLeast(0))
      .default(D.patience),
    new Option("--clip-grad-norm <x>", "clip the gradient norm before each step (0: off)")
      .argParser(numberIn(0, Number.POSITIVE_INFINITY))
      .default(D.clipGradNorm),
    new Option("--score-by <metric>", "multi-class best-model score: accuracy or f1 (macro)")
      .choices(["accuracy", "f1"])
      .default(D.scoreBy),
    new Option("--limit <n>", "train on the first n samples only (0: all)")
      .argParser(intAtLeast(0))
      .default(D.limit),
    new Option("--val-limit <n>", "validate on the first n samples only (0: all)")
      .argParser(intAtLeast(0))
      .default(D.valLimit),
    new Option("--tb-prefix <name>", "directory under runs/ and models/").default(D.tbPrefix),
    new Option("--out <dir>", "where runs/ and models/ are written").default(D.out),
    new Option(
      "--keep-last <n>",
      "checkpoint retention: keep the last n checkpoints and the best (default: the latest and the best)",
    ).argParser(intAtLeast(1)),
    new Option(
      "--resume <checkpoint>",
      "continue from a checkpoint (.safetensors) written by kiln train",
    ),
    new Option(
      "--log-every <n>",
      "log the training loss and learning rate every n optimizer steps to TensorBoard and metrics.jsonl (0: off)",
    )
      .argParser(intAtLeast(0))
      .default(D.logEvery),
    new Option("--backend <name>", "reference | native | wasm").choices([
      "reference",
      "native",
      "wasm",
    ]),
    new Option("--no-progress", "plain log lines even on a terminal"),
  ];
}

/** The parsed flags: ClassifierArgs' fields under their camelCase names, plus CLI-only ones. */
type TrainFlags = Omit<
  train.ClassifierArgs,
  "model" | "binary" | "resume" | "comment" | "progressBar"
> & {
  model: train.ClassifierArgs["model"] | "luna";
  binary?: number;
  resume?: string;
  backend?: "reference" | "native" | "wasm";
  progress: boolean;
};

/**
 * Runs `kiln train`. With --resume, every flag not given on the command line (and the comment)
 * comes from the checkpoint's arguments, so `kiln train --resume <checkpoint>` continues the run
 * it was written by.
 */
export async function trainCommand(
  comment: string,
  flags: TrainFlags,
  command?: Command,
): Promise<void> {
  if (flags.backend) setBackend(flags.backend);
  const { binary, resume, backend: _backend, progress, ...settings } = flags;
  const args: Partial<Omit<train.ClassifierArgs, "model">> & { model?: TrainFlags["model"] } = {
    ...settings,
    binary: binary ?? null,
    comment,
    resume: resume ?? null,
    progressBar: progress && process.stdout.isTTY === true,
  };
  let nothingLeft = "";
  const restored = new Set<string>();
  if (flags.resume !== undefined) {
    if (!existsSync(flags.resume)) {
      throw new UsageError(`--resume: checkpoint '${flags.resume}' does not exist`);
    }
    const meta = train.readCheckpointMeta(flags.resume);
    const saved = meta.args as Partial<train.ClassifierArgs>;
    const target = args as Record<string, unknown>;
    // Flags not given on the command line take the checkpoint's value.
    for (const key of [...Object.keys(settings), "binary"] as (keyof train.ClassifierArgs)[]) {
      if (command?.getOptionValueSource(key) !== "cli" && saved[key] !== undefined) {
        target[key] = saved[key];
        restored.add(key);
      }
    }
    if (command !== undefined && command.args.length === 0 && saved.comment !== undefined) {
      args.comment = saved.comment;
    }
    // An epoch stopped part-way is still to do.
    const done = meta.partialEpoch ? meta.partialEpoch.epoch - 1 : meta.epoch;
    const fromCheckpoint = command?.getOptionValueSource("epochs") !== "cli";
    nothingLeft = `--resume: nothing to train: checkpoint '${flags.resume}' has finished epoch ${done}, and --epochs is ${args.epochs}${fromCheckpoint ? " (the checkpoint's own)" : ""}; pass --epochs <n> with n > ${done} to train further (nothing was written)`;
  }
  if (!/^[\w.-]+$/.test(args.comment!) || args.comment!.length > 100) {
    throw new UsageError(
      `comment '${String(args.comment).slice(0, 100)}' may only hold letters, digits, '.', '_' and '-' (at most 100)`,
    );
  }
  checkTbPrefix(args.tbPrefix!);
  checkWritable(args.out!, "--out", "directory");
  if (args.model === "luna") {
    // --model luna trains on the synthetic nodules; flags not given (on the command line or by
    // the checkpoint resumed) take LUNA_DEFAULTS.
    const target = args as Record<string, unknown>;
    for (const [key, value] of Object.entries(train.LUNA_DEFAULTS)) {
      const given = command?.getOptionValueSource(key) !== "default" || restored.has(key);
      if (key in settings && !given) target[key] = value;
    }
    if (command === undefined && args.dataset === D.dataset) {
      args.dataset = train.LUNA_DEFAULTS.dataset;
    }
  }
  checkDatasetFile(args.dataset!);
  const app =
    args.model === "luna"
      ? new train.LunaApp(args as Partial<train.LunaArgs>)
      : new train.ClassifierApp(args as Partial<train.ClassifierArgs>);
  app.prepare();
  // NOTE: after prepare(), so a checkpoint that does not fit this run's model or data says that
  // first; prepare() has read the checkpoint and written nothing.
  if (app.epochsLeft === 0) throw new UsageError(nothingLeft);
  // A Ctrl-C while the data loaded is handled here (by the entry point's handler: nothing was
  // written yet); from now on, TrainingApp.main's handler finishes the batch and saves.
  await new Promise((done) => setImmediate(done));
  await app.main();
  // NOTE: a run interrupted before its first epoch has written nothing, and one interrupted in
  // its first epoch no metrics or report: only the files that exist are named.
  const files = ["metrics.jsonl", "report.html", "run.json"].filter((f) =>
    existsSync(join(app.runDir, f)),
  );
  if (files.length > 0) console.log(`Run directory: ${app.runDir} (${files.join(", ")})`);
}

/**
 * --tb-prefix names directories under <out>/runs and <out>/models: a relative path whose parts
 * are names (letters, digits, '.', '_', '-'), never '.' or '..', so nothing lands outside --out.
 */
function checkTbPrefix(prefix: string): void {
  const parts = prefix.split("/");
  if (prefix.length > 200 || parts.some((p) => !/^[\w.-]+$/.test(p) || p === "." || p === "..")) {
    throw new UsageError(
      `--tb-prefix '${prefix.slice(0, 200)}' must be a relative path of names (letters, digits, '.', '_', '-'; no '..'), as it is joined under --out`,
    );
  }
}

/** `--dataset csv:<file>`: the file must exist and be a regular file (checked before loading). */
function checkDatasetFile(spec: string): void {
  if (!spec.startsWith("csv:")) return;
  const file = spec.slice(4);
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (e) {
    const code = (e as SystemError).code;
    const why =
      code === "ENOENT" || code === "ENOTDIR" ? "does not exist" : `cannot be read (${code})`;
    throw new UsageError(`--dataset csv: '${file}' ${why}`);
  }
  if (!isFile) throw new UsageError(`--dataset csv: '${file}' is a directory, expected a CSV file`);
}
