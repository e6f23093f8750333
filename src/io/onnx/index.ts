// io.exportOnnx: traces one forward pass of a module (in eval mode) and writes it as an ONNX
// model, IR version 8, opset 13 to 17, optionally carrying the input normalisation (metadata and
// a Sub/Div preamble). Tracing lives in trace.ts, the op and layer mappings in
// tensor-ops.ts and layers.ts, the protobuf schema in schema.ts. Depends on src/nn and below.

import {
  arrayOf,
  bool,
  custom,
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
import { FUNCTIONAL_HANDLERS } from "./functional.ts";
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
  /**
   * The per-channel input normalisation the model was trained with, `(x - mean) / std` as
   * torchvision's `Normalize(mean, std)`: stored in the model's `metadata_props` (see
   * `ONNX_NORMALIZE_KEYS`). Not a torch.onnx.export option (Kiln's addition).
   */
  normalize?: OnnxNormalize;
  /**
   * With `normalize`, also prepend `Sub(mean)` and `Div(std)` to the graph, so the model takes raw
   * [0, 1] inputs (default false: the model takes normalised inputs, as the traced module does).
   */
  normalizeInGraph?: boolean;
}

/** Per-channel mean and standard deviation, as torchvision.transforms.Normalize(mean, std). */
export interface OnnxNormalize {
  mean: readonly number[];
  std: readonly number[];
}

/**
 * The `metadata_props` keys `exportOnnx` writes for `normalize`: mean and std as JSON arrays of
 * numbers (`"[0.1307]"`), and whether the graph applies them itself (`"true"`: feed raw [0, 1]
 * inputs; `"false"`: feed `(x - mean) / std`).
 */
export const ONNX_NORMALIZE_KEYS = {
  mean: "kiln.normalize.mean",
  std: "kiln.normalize.std",
  inGraph: "kiln.normalize.in_graph",
} as const;

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
  normalize: opt(
    custom(
      "{ mean: number[], std: number[] }",
      (v): v is OnnxNormalize =>
        typeof v === "object" &&
        v !== null &&
        Array.isArray((v as OnnxNormalize).mean) &&
        Array.isArray((v as OnnxNormalize).std) &&
        Object.keys(v).every((k) => k === "mean" || k === "std"),
    ),
  ),
  normalizeInGraph: opt(bool),
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

/**
 * A normalisation constant that broadcasts over `input` per channel (dim 1), as torchvision's
 * Normalize over [N, C, *]: shape [C, 1, ..., 1]. A 2-D input [N, F] is taken as flattened
 * channel-major items (F = C·H·W, as `kiln train` feeds its MLP), so each value repeats F / C times.
 * One value broadcasts to any shape.
 */
function channelConstant(values: readonly number[], input: Tensor): Tensor {
  const dtype = input.dtype === "float64" ? "float64" : "float32";
  const c = values.length;
  const make = (data: number[], shape: number[]) =>
    Tensor.fromData(
      dtype === "float64" ? Float64Array.from(data) : Float32Array.from(data),
      shape,
      dtype,
    );
  if (c === 1) return make([values[0]!], []);
  const channels = input.shape[1];
  if (input.ndim >= 3 && channels === c) {
    return make([...values], [c, ...Array<number>(input.ndim - 2).fill(1)]);
  }
  if (input.ndim === 2 && channels !== undefined && channels % c === 0) {
    const per = channels / c;
    return make(
      values.flatMap((v) => Array<number>(per).fill(v)),
      [channels],
    );
  }
  throw new ValueError(
    `exportOnnx: normalize has ${c} channels but the example input has shape [${input.shape.join(", ")}] (channels are dim 1)`,
  );
}

function checkOptions(o: ExportOnnxOptions): number {
  const opset = o.opsetVersion ?? MAX_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new ValueError(
      `exportOnnx: opsetVersion must be an integer from ${MIN_OPSET} to ${MAX_OPSET} (got ${opset})`,
    );
  }
  if (o.normalizeInGraph === true && o.normalize === undefined) {
    throw new ValueError("exportOnnx: normalizeInGraph needs the normalize option (mean and std)");
  }
  if (o.normalize !== undefined) {
    const { mean, std } = o.normalize;
    if (mean.length === 0 || mean.length !== std.length) {
      throw new ValueError(
        `exportOnnx: normalize needs mean and std of the same, non-zero length, got ${mean.length} and ${std.length}`,
      );
    }
    if (![...mean, ...std].every((v) => typeof v === "number" && Number.isFinite(v))) {
      throw new ValueError("exportOnnx: normalize.mean and normalize.std must be finite numbers");
    }
    if (std.some((v) => v === 0)) {
      // torchvision.transforms.functional.normalize raises the same way.
      throw new ValueError(`exportOnnx: normalize.std evaluated to zero ([${std.join(", ")}])`);
    }
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
  const norm = options.normalize;
  if (norm !== undefined && options.normalizeInGraph === true) {
    tr.g.reserve(inputName);
    const [mean, std] = [norm.mean, norm.std].map((v) => channelConstant(v, input));
    const centred = tr.g.op("Sub", [inputName, tr.g.tensor(mean!, "kiln_normalize_mean")]);
    tr.bind(input, tr.g.op("Div", [centred, tr.g.tensor(std!, "kiln_normalize_std")]));
  } else {
    tr.bind(input, tr.g.reserve(inputName));
  }

  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  let result: unknown;
  try {
    result = withTracing(tr, TENSOR_HANDLERS, LAYER_HANDLERS, FUNCTIONAL_HANDLERS, () =>
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
    ...(norm === undefined
      ? {}
      : {
          metadataProps: [
            { key: ONNX_NORMALIZE_KEYS.mean, value: JSON.stringify(norm.mean) },
            { key: ONNX_NORMALIZE_KEYS.std, value: JSON.stringify(norm.std) },
            { key: ONNX_NORMALIZE_KEYS.inGraph, value: String(options.normalizeInGraph === true) },
          ],
        }),
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
 * Supported: Linear, Conv1d/2d/3d (paddingMode "zeros"), ConvTranspose1d/2d/3d (also with a
 * forward outputSize), MaxPool1d/2d/3d and AvgPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d and
 * AdaptiveMaxPool1d/2d/3d (to all-1 sizes or exact divisors), BatchNorm1d/2d/3d,
 * InstanceNorm1d/2d/3d, LayerNorm, Upsample / UpsamplingNearest2d / UpsamplingBilinear2d (Resize;
 * "area" only for exact divisors), PixelShuffle, PixelUnshuffle, the ConstantPad / ZeroPad2d /
 * ReflectionPad / ReplicationPad layers, Dropout, Flatten, Embedding, the activation layers,
 * and the Tensor methods used in `forward` (arithmetic, matmul, reductions, reshape/view/flatten,
 * permute/transpose, squeeze/unsqueeze, ...) plus `cat`/`stack`. Anything else raises a
 * ValueError naming the op (`exportOnnx: no ONNX mapping for Tensor.cumsum`).
 *
 * With `normalize: { mean, std }` the model's `metadata_props` record the input normalisation
 * (keys in `ONNX_NORMALIZE_KEYS`, values JSON); with `normalizeInGraph: true` as well, the graph
 * starts with `Sub(mean)`, `Div(std)` (per channel, dim 1), so it takes raw [0, 1] inputs.
 *
 * @example
 * io.exportOnnx(model, randn(1, 784), "model.onnx", {
 *   dynamicAxes: { input: { 0: "batch" }, output: { 0: "batch" } },
 *   normalize: { mean: [0.1307], std: [0.3081] },
 *   normalizeInGraph: true,
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
