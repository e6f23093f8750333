#!/usr/bin/env node
// The `kiln` command line: train, eval, predict, info, report, export. Parsing lives here; each
// command is a function in its own file. Every failure ends with ONE line on stderr and exit code
// 2 (bad command line, bad input file) or 1 (a filesystem error, an internal error); `--debug`
// adds the stack trace. Imports only from the public entry.
//
// NOTE: the commands (and through them the whole library) are imported dynamically, after the
// SIGINT handler below is installed, so that Ctrl-C while the library loads says what happened
// instead of killing the process silently.

import type { Command as CommandType } from "commander";
import { Command, CommanderError, Option } from "commander";
import { describeError } from "./args.ts";

const COMMANDS = ["train", "eval", "predict", "info", "report", "export"] as const;
const debug = process.argv.slice(2).includes("--debug");

/** The command named on the command line ("" when none). */
function commandName(): string {
  const sub = process.argv.slice(2).find((a) => !a.startsWith("-")) ?? "";
  return (COMMANDS as readonly string[]).includes(sub) ? sub : "";
}

function prog(command: string): string {
  return command === "" ? "kiln" : `kiln ${command}`;
}

/** One line: messages spanning lines are joined, and long ones cut (they never embed a file). */
function oneLine(message: string): string {
  const text = message
    .replace(/^error: /, "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join(" ");
  return text.length > 1000 ? `${text.slice(0, 1000)}... (${text.length} characters)` : text;
}

/** Prints one line, `kiln <command>: error: <message> (see 'kiln <command> --help')`, and exits 2. */
function fail(command: string, message: string): never {
  process.stderr.write(
    `${prog(command)}: error: ${oneLine(message)} (see '${prog(command)} --help')\n`,
  );
  process.exit(2);
}

/**
 * Ends the process on any error with one line: Kiln's typed errors and usage errors exit 2 as
 * `fail`; filesystem errors (ENOENT, EACCES, EROFS, ENOSPC, ...) exit 1 naming the path and the
 * problem; anything else is a bug in Kiln and exits 1. `--debug` prints the stack trace first.
 */
function die(command: string, e: unknown): never {
  if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  const d = describeError(e);
  if (d.kind === "usage") fail(command, d.message);
  const hint = d.kind === "bug" && !debug ? "; rerun with --debug for the stack trace" : "";
  process.stderr.write(`${prog(command)}: error: ${oneLine(d.message)}${hint}\n`);
  process.exit(1);
}

// Ctrl-C before a command takes over SIGINT (kiln train installs its own handler once training
// starts): nothing has been written yet, so say so and exit 130.
let interruptedEarly = false;
process.on("SIGINT", () => {
  if (process.listenerCount("SIGINT") > 1) return; // a command's own handler deals with it
  if (interruptedEarly) process.exit(130);
  interruptedEarly = true;
  const command = commandName();
  const what = command === "train" ? "before training started; nothing was saved" : "";
  process.stderr.write(`${prog(command)}: interrupted${what === "" ? "" : ` ${what}`}\n`);
  process.exit(130);
});
process.on("uncaughtException", (e) => die(commandName(), e));
process.on("unhandledRejection", (e) => die(commandName(), e));

const [{ evalCommand }, { infoCommand }, { predictCommand }, { reportCommand }, trainModule] =
  await Promise.all([
    import("./eval.ts"),
    import("./info.ts"),
    import("./predict.ts"),
    import("./report.ts"),
    import("./train.ts"),
  ]);
const { trainCommand, trainOptions } = trainModule;

/** Runs an action; any error ends the process with one line (see `die`). */
function guarded<A extends unknown[]>(name: string, action: (...args: A) => Promise<void> | void) {
  return async (...args: A): Promise<void> => {
    try {
      await action(...args);
    } catch (e) {
      die(name, e);
    }
  };
}

export function buildProgram(): CommandType {
  const program = new Command();
  program
    .name("kiln")
    .description("Kiln: PyTorch for TypeScript. Train, evaluate, inspect and report on models.")
    .version("0.1.0")
    .option("--debug", "print the stack trace of an error (for bug reports)")
    .exitOverride()
    .configureOutput({ writeErr: () => {}, outputError: () => {} })
    .showHelpAfterError(false);

  const train = program
    .command("train")
    .description(
      "train a classifier (default: the seed's NeuralNet 784-128-10 on bundled MNIST, SGD lr 0.01 momentum 0.9, batch 64, 3 epochs, seed 0) and print per-epoch metrics",
    )
    .argument(
      "[comment]",
      "a name for the run, used in file names (the book's positional comment)",
      "kiln",
    );
  for (const o of trainOptions()) train.addOption(o);
  train.action(guarded("train", trainCommand));

  program
    .command("eval")
    .description("validation metrics of a checkpoint on its dataset")
    .argument("<checkpoint>", "a .safetensors file written by kiln train")
    .addOption(new Option("--batch-size <n>", "batch size").default("256"))
    .action(guarded("eval", evalCommand));

  const modelOption = () =>
    new Option(
      "--model <name>",
      "for weights without a Kiln sidecar (a PyTorch state_dict as .safetensors or .pt): the architecture, as kiln train --model: mlp (the seed's NeuralNet) or cnn",
    ).choices(["mlp", "cnn"]);
  const normalizeOption = () =>
    new Option(
      "--normalize <mean,std>",
      "input normalisation (x - mean) / std: two numbers for every channel, or C means then C stds; default: the checkpoint's training statistics, else for weights without a sidecar MNIST's 0.1307,0.3081 (1 channel) or CIFAR-10's 0.4914,0.4822,0.4465,0.2470,0.2435,0.2616 (3 channels); 0,1 turns it off",
    );

  program
    .command("predict")
    .description(
      "class probabilities for an image (PNG or JPEG) or the first images of an IDX file",
    )
    .argument(
      "<weights>",
      "a .safetensors checkpoint written by kiln train, or PyTorch weights with --model",
    )
    .argument(
      "<input>",
      "a PNG or JPEG image of any size, or an IDX image file (.gz accepted); the format is told by the file's first bytes",
    )
    .addOption(new Option("--count <n>", "IDX input: how many images to predict").default("10"))
    .addOption(modelOption())
    .addOption(normalizeOption())
    .option("--invert", "invert gray levels of every image (dark drawing on light paper)")
    .option("--no-invert", "never invert (turns off the light-background detection)")
    .addHelpText(
      "after",
      `
An image is converted to the model's channels (grayscale as ITU-R 601 luma, as PIL's convert("L");
transparent pixels over a background contrasting with the drawing), then resized to the model's
input size, aspect ratio not kept, with bilinear interpolation and antialiasing, as
torchvision.transforms.functional.resize(img, size, antialias=True) on a uint8 tensor (the
filter of PIL's BILINEAR resize). For a 1-channel model (MNIST-style: a light digit on a dark
background) a PNG or JPEG whose border (its outermost ring of pixels) has a mean gray level above
0.5 is inverted. With --model, the input size is inferred from the weights (mlp: fc1's features
as a square image, 784 -> 1x28x28; cnn: block1's channels and fc's features, 32*7*7 -> 28x28) and
the classes are named 0 to N-1. What was done (resize, conversion, inversion, normalisation) is
said on stderr; the probabilities are printed on stdout.`,
    )
    .action(guarded("predict", predictCommand));

  program
    .command("info")
    .description(
      "architecture, parameter count, normalisation and training state of a checkpoint (or of PyTorch weights with --model); --backend: the compute backend",
    )
    .argument(
      "[weights]",
      "a .safetensors checkpoint written by kiln train, or PyTorch weights with --model",
    )
    .addOption(modelOption())
    .addOption(normalizeOption())
    .option("--backend", "report the backend, the CPU path chosen and the thread count")
    .action(guarded("info", infoCommand));

  program
    .command("report")
    .description("rebuild report.html of a run directory from its metrics.jsonl")
    .argument("<run-dir>", "a run directory (runs/<tb-prefix>/<time>-<comment>)")
    .action(guarded("report", reportCommand));

  program
    .command("export")
    .description("export a checkpoint's model to ONNX (opset 13 to 17) for onnxruntime")
    .argument("<checkpoint>", "a .safetensors file written by kiln train")
    .argument("<out>", "the .onnx file to write")
    .addOption(new Option("--opset <n>", "ONNX opset version, 13 to 17").default("17"))
    .option("--dynamic-batch", "leave the batch dimension symbolic ('batch')")
    .option(
      "--normalize-in-graph",
      "prepend (x - mean) / std to the graph, so the model takes raw [0, 1] pixels (mean and std are always stored in metadata_props)",
    )
    .action(
      guarded(
        "export",
        async (
          checkpoint: string,
          out: string,
          flags: { opset: string; dynamicBatch?: boolean; normalizeInGraph?: boolean },
        ) => (await import("./export.ts")).exportCommand(checkpoint, out, flags),
      ),
    );

  return program;
}

async function run(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.exitCode === 0
      ) {
        process.exit(0);
      }
      if (e.code === "commander.help") {
        // `kiln` alone: commander would print the help to stderr.
        fail("", `missing command: expected one of ${COMMANDS.join(", ")}`);
      }
      fail(commandName(), e.message);
    }
    die(commandName(), e);
  }
}

await run();
