// io.exportOnnx: traces one forward pass of a module (in eval mode) and writes it as an ONNX
// model, IR version 8, opset 13 to 17. Tracing lives in trace.ts, the op and layer mappings in
// tensor-ops.ts and layers.ts, the protobuf schema in schema.ts. Depends on src/nn and below.

import {
  arrayOf,
  instanceOf,
  num,
  opt,
  parseArgs,
  record,
  signature,
  str,
} from "../../core/args.ts";
import { isFloating } from "../../core/dtype.ts";
import { ValueError } from "../../core/errors.ts";
import { type AnyModule, Module } from "../../nn/module.ts";
import { enableGrad } from "../../tensor/graph.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { writeFileAtomic } from "../atomic.ts";
import { onnxDType } from "./graph.ts";
import { LAYER_HANDLERS } from "./layers.ts";
import { type DimJson, encodeModel, type ValueInfoJson } from "./schema.ts";
import { TENSOR_HANDLERS } from "./tensor-ops.ts";
import { Tracer, withTracing } from "./trace.ts";

/** The IR version written: 8 (ONNX 1.10 to 1.12), which every opset from 13 to 17 allows. */
export const ONNX_IR_VERSION = 8;
export const MIN_OPSET = 13;
export const MAX_OPSET = 17;

/** Symbolic dimensions per graph input/output name: `{ 0: "batch" }`, or `[0]` (auto-named). */
export type DynamicAxes = Record<string, Record<number, string> | readonly number[]>;

/** Options of `exportOnnx`, as torch.onnx.export's. */
export interface ExportOnnxOptions {
  /** ONNX opset, 13 to 17 (default 17). */
  opsetVersion?: number;
  /** Graph input name (default `["input"]`). */
  inputNames?: readonly string[];
  /** Graph output names (default `["output"]`, or `output_0`, `output_1`, ... for several). */
  outputNames?: readonly string[];
  /** Dimensions left symbolic: `{ input: { 0: "batch" }, output: { 0: "batch" } }`. */
  dynamicAxes?: DynamicAxes;
}

function valueInfo(
  name: string,
  t: Tensor,
  dynamic: DynamicAxes[string] | undefined,
): ValueInfoJson {
  const named: Record<number, string> = {};
  if (Array.isArray(dynamic)) for (const d of dynamic) named[d] = `${name}_dynamic_axes_${d}`;
  else if (dynamic !== undefined) Object.assign(named, dynamic);
  const dim: DimJson[] = t.shape.map((s, i) => {
    const param = named[i] ?? named[i - t.ndim];
    return param === undefined ? { dimValue: s } : { dimParam: param };
  });
  return { name, type: { tensorType: { elemType: onnxDType(t.dtype), shape: { dim } } } };
}

// torch.onnx.export(model, args, f, export_params=True, verbose=False, training=EVAL,
// input_names=None, output_names=None, operator_export_type=ONNX, opset_version=None,
// do_constant_folding=True, dynamic_axes=None, ...): the options Kiln implements, by name.
const exportOptions = {
  opsetVersion: opt(num), // an int from 13 to 17, checked with a message naming the range
  inputNames: opt(arrayOf(str)),
  outputNames: opt(arrayOf(str)),
  dynamicAxes: opt(
    record<DynamicAxes>(
      "a record of axis names or index arrays per input/output name",
      (v) => typeof v === "object" && v !== null && !Array.isArray(v),
    ),
  ),
};
const module = instanceOf(Module, "an nn.Module");
const example = instanceOf(Tensor, "a Tensor");
const EXPORT = signature(
  "io.exportOnnx",
  { model: module, exampleInput: example, path: str },
  exportOptions,
);
const EXPORT_BYTES = signature(
  "io.exportOnnxBytes",
  { model: module, exampleInput: example },
  exportOptions,
);

function checkOptions(o: ExportOnnxOptions): number {
  const opset = o.opsetVersion ?? MAX_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new ValueError(
      `exportOnnx: opsetVersion must be an integer from ${MIN_OPSET} to ${MAX_OPSET} (got ${opset})`,
    );
  }
  if (o.inputNames !== undefined && o.inputNames.length !== 1) {
    throw new ValueError(
      `exportOnnx: expected 1 input name, got ${o.inputNames.length} (one example input is traced)`,
    );
  }
  return opset;
}

/**
 * The ONNX model bytes of `model` traced on `exampleInput` (see `exportOnnx`), without writing
 * them anywhere.
 */
export function exportOnnxBytes(
  model: AnyModule,
  exampleInput: Tensor,
  options: ExportOnnxOptions = {},
): Uint8Array {
  parseArgs(EXPORT_BYTES, arguments);
  const opset = checkOptions(options);
  if (!(exampleInput instanceof Tensor)) {
    throw new ValueError("exportOnnx: exampleInput must be a Tensor");
  }
  const params = new Map<Tensor, string>();
  for (const [n, p] of model.namedParameters()) params.set(p, n);
  for (const [n, b] of model.namedBuffers()) params.set(b, n);
  const tr = new Tracer(opset, params);

  const inputName = options.inputNames?.[0] ?? "input";
  const input = exampleInput.detach();
  if (isFloating(input.dtype)) input.requiresGrad_(true);
  tr.bind(input, tr.g.reserve(inputName));

  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  let result: unknown;
  try {
    result = withTracing(tr, TENSOR_HANDLERS, LAYER_HANDLERS, () =>
      enableGrad(() => (model.call as (x: Tensor) => unknown)(input)),
    );
  } finally {
    for (const [m, training] of modes) m.training = training;
  }

  const outputs = result instanceof Tensor ? [result] : Array.isArray(result) ? result : [];
  if (outputs.length === 0 || !outputs.every((o) => o instanceof Tensor)) {
    throw new ValueError("exportOnnx: forward must return a Tensor or an array of Tensors");
  }
  const outputNames = outputs.map(
    (_, i) => options.outputNames?.[i] ?? (outputs.length === 1 ? "output" : `output_${i}`),
  );
  const taken = new Set<string>([inputName]);
  (outputs as Tensor[]).forEach((o, i) => {
    const value = tr.name(o);
    const want = outputNames[i]!;
    if (!taken.has(value) && tr.g.isNodeOutput(value)) tr.g.rename(value, want);
    else
      tr.g.nodes.push({
        name: `${want}_identity`,
        opType: "Identity",
        input: [value],
        output: [want],
        attribute: [],
      });
    taken.add(want);
  });

  const dyn = options.dynamicAxes ?? {};
  return encodeModel({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: "", version: opset }],
    producerName: "kiln",
    producerVersion: "0.1.0",
    graph: {
      name: model.constructor.name,
      node: tr.g.nodes,
      initializer: tr.g.initializers,
      input: [valueInfo(inputName, exampleInput, dyn[inputName])],
      output: (outputs as Tensor[]).map((o, i) =>
        valueInfo(outputNames[i]!, o, dyn[outputNames[i]!]),
      ),
    },
  });
}

/**
 * Exports `model` to an ONNX file by tracing one forward pass on `exampleInput`, as
 * torch.onnx.export. The model runs in eval mode (its previous modes are restored afterwards);
 * parameters and buffers become initializers named by their state-dict keys. The file is written
 * atomically.
 *
 * Supported: Linear, Conv1d/Conv2d, MaxPool1d/2d, AvgPool2d, AdaptiveAvgPool2d (to 1x1 or an
 * exact divisor), BatchNorm1d/2d, LayerNorm, Dropout, Flatten, Embedding, the activation layers,
 * and the Tensor methods used in `forward` (arithmetic, matmul, reductions, reshape/view/flatten,
 * permute/transpose, squeeze/unsqueeze, ...) plus `cat`/`stack`. Anything else raises a
 * ValueError naming the op (`exportOnnx: no ONNX mapping for Tensor.cumsum`).
 *
 * @example
 * io.exportOnnx(model, randn(1, 784), "model.onnx", {
 *   dynamicAxes: { input: { 0: "batch" }, output: { 0: "batch" } },
 * });
 *
 * PyTorch parity: torch.onnx.export(model, x, path, opset_version, input_names, output_names,
 * dynamic_axes); the default opset here is 17 (PyTorch 1.13's is 14), IR version 8.
 */
export function exportOnnx(
  model: AnyModule,
  exampleInput: Tensor,
  path: string,
  options: ExportOnnxOptions = {},
): void {
  parseArgs(EXPORT, arguments);
  writeFileAtomic(path, exportOnnxBytes(model, exampleInput, options));
}

export { decodeModel } from "./schema.ts";
