#!/usr/bin/env node
// The `kiln` command line: train, eval, predict, info, report. Parsing lives here; each command
// is a function in its own file. Bad input prints one line with a --help hint and exits 2.
// Imports only from the public entry.

import { Command, CommanderError, Option } from "commander";
import { KilnError } from "../index.ts";
import { UsageError } from "./args.ts";
import { evalCommand } from "./eval.ts";
import { infoCommand } from "./info.ts";
import { predictCommand } from "./predict.ts";
import { reportCommand } from "./report.ts";
import { trainCommand, trainOptions } from "./train.ts";

/** Prints one line, `kiln <command>: error: <message> (see 'kiln <command> --help')`, and exits 2. */
function fail(command: string, message: string): never {
  // NOTE: some messages span lines (a list of paths tried, one line per mismatched tensor); the
  // contract is one line, so they are joined.
  const text = message
    .replace(/^error: /, "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join(" ");
  const prog = command === "" ? "kiln" : `kiln ${command}`;
  process.stderr.write(`${prog}: error: ${text} (see '${prog} --help')\n`);
  process.exit(2);
}

/** Runs an action, turning Kiln's typed errors (bad files, bad values) into exit code 2. */
function guarded<A extends unknown[]>(name: string, action: (...args: A) => Promise<void> | void) {
  return async (...args: A): Promise<void> => {
    try {
      await action(...args);
    } catch (e) {
      if (e instanceof UsageError || e instanceof KilnError) fail(name, e.message);
      throw e;
    }
  };
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("kiln")
    .description("Kiln: PyTorch for TypeScript. Train, evaluate, inspect and report on models.")
    .version("0.1.0")
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

  program
    .command("predict")
    .description("class probabilities for an image (PNG) or the images of an IDX file")
    .argument("<checkpoint>", "a .safetensors file written by kiln train")
    .argument("<input>", "a PNG image or an IDX image file (.gz accepted)")
    .addOption(new Option("--count <n>", "IDX input: how many images to predict").default("10"))
    .option("--invert", "PNG input: invert gray levels (dark digit on light paper)")
    .action(guarded("predict", predictCommand));

  program
    .command("info")
    .description(
      "architecture, parameter count and training state of a checkpoint; --backend: the compute backend",
    )
    .argument("[checkpoint]", "a .safetensors file written by kiln train")
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
    .action(
      guarded("export", async (checkpoint: string, out: string, flags: { opset: string }) =>
        (await import("./export.ts")).exportCommand(checkpoint, out, flags),
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
      const sub = process.argv.slice(2).find((a) => !a.startsWith("-")) ?? "";
      const known = ["train", "eval", "predict", "info", "report", "export"];
      fail(known.includes(sub) ? sub : "", e.message);
    }
    throw e;
  }
}

await run();
