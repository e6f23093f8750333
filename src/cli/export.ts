// `kiln export <checkpoint> <out.onnx>`: the checkpoint's model as an ONNX file (opset 13 to 17,
// default 17), optionally with a dynamic batch dimension. Imports only the public entry.

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

export function exportCommand(
  checkpoint: string,
  out: string,
  flags: { opset: string; dynamicBatch?: boolean },
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
  io.exportOnnx(ck.model, example, out, { opsetVersion, dynamicAxes });
  const batch = flags.dynamicBatch ? "batch" : "1";
  console.log(
    `wrote ${out}: opset ${opsetVersion}, input "input" float32 [${[batch, ...item].join(", ")}], ` +
      `output "output" float32 [${batch}, ${ck.classNames.length}] (logits)`,
  );
  console.log(
    `inputs are normalized as in training: (x - mean) / std per channel, mean [${ck.mean.map((v) => v.toFixed(4)).join(", ")}], std [${ck.std.map((v) => v.toFixed(4)).join(", ")}]`,
  );
}
