// `kiln export <checkpoint> <out.onnx>`: the checkpoint's model as an ONNX file (opset 13 to 17,
// default 17), optionally with a dynamic batch dimension; the training normalisation is always
// stored in the model's metadata_props and, with --normalize-in-graph, applied by the graph itself.
// Imports only the public entry.

import { io, zeros } from "../index.ts";
import { checkWritable, UsageError } from "./args.ts";
import { openCheckpoint } from "./checkpoint.ts";

const MIN_OPSET = 13;
const MAX_OPSET = 17;

function parseOpset(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < MIN_OPSET || n > MAX_OPSET) {
    throw new UsageError(
      `--opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got '${value}'`,
    );
  }
  return n;
}

/** Runs `kiln export`: writes the ONNX file and prints its input contract. */
export function exportCommand(
  checkpoint: string,
  out: string,
  flags: { opset: string; dynamicBatch?: boolean; normalizeInGraph?: boolean },
): void {
  const opsetVersion = parseOpset(flags.opset);
  checkWritable(out, "output", "file");
  const ck = openCheckpoint(checkpoint);
  // NOTE: the MLP takes flattened items ([N, C·H·W]), as `kiln train` feeds it.
  const item = ck.args.model === "mlp" ? [ck.itemShape.reduce((a, b) => a * b, 1)] : ck.itemShape;
  const example = zeros([1, ...item]);
  const dynamicAxes = flags.dynamicBatch
    ? { input: { 0: "batch" }, output: { 0: "batch" } }
    : undefined;
  const normalizeInGraph = flags.normalizeInGraph === true;
  io.exportOnnx(ck.model, example, out, {
    opsetVersion,
    dynamicAxes,
    normalize: { mean: ck.mean, std: ck.std },
    normalizeInGraph,
  });
  const batch = flags.dynamicBatch ? "batch" : "1";
  console.log(
    `wrote ${out}: opset ${opsetVersion}, input "input" float32 [${[batch, ...item].join(", ")}], ` +
      `output "output" float32 [${batch}, ${ck.classNames.length}] (logits)`,
  );
  const stats = `mean [${ck.mean.map((v) => v.toFixed(4)).join(", ")}], std [${ck.std.map((v) => v.toFixed(4)).join(", ")}]`;
  console.log(
    normalizeInGraph
      ? `inputs are raw pixels in [0, 1]: the graph normalizes them, (x - mean) / std per channel, ${stats}`
      : `inputs are normalized as in training: (x - mean) / std per channel, ${stats}`,
  );
  console.log(
    `the normalization is stored in the model's metadata_props: ${Object.values(io.ONNX_NORMALIZE_KEYS).join(", ")}`,
  );
}
