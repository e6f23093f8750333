// ONNX forms of nn.LSTM, nn.GRU and nn.RNN (opset 13 to 17): one ONNX LSTM / GRU / RNN node per
// layer, chained, with PyTorch's weights reordered to ONNX's gate order and both directions of a
// bidirectional layer in one node. Time-major inside; batchFirst input and output are transposed
// (the `layout` attribute needs opset 14). Depends on src/nn, src/ops and the tracer; the nn
// layers must not depend on it.

import { ValueError } from "../../core/errors.ts";
import { GRU, LSTM, RNN, type RNNBase } from "../../nn/index.ts";
import type { AnyModule } from "../../nn/module.ts";
import { PackedSequence } from "../../nn/rnn-utils.ts";
import { cat, stack } from "../../ops/movement.ts";
import { noGrad } from "../../tensor/graph.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { attr } from "./graph.ts";
import type { AttributeJson } from "./schema.ts";
import type { LayerEntry, Tracer } from "./trace.ts";

type Recurrent = RNNBase<unknown>;

/**
 * PyTorch's gate blocks in ONNX's order: LSTM i,f,g,o → i,o,f,c; GRU r,z,n → z,r,h (ONNX
 * LSTM/GRU operator specs, "W: ... concatenation of W[iofc]" and "W[zrh]").
 */
const ONNX_GATE_ORDER = {
  LSTM: [0, 3, 1, 2],
  GRU: [1, 0, 2],
  RNN_TANH: [0],
  RNN_RELU: [0],
} as const;

/** The W, R and B initializers of one layer (both directions stacked on dim 0). */
interface LayerConsts {
  w: string;
  r: string;
  b: string | null;
}

/** Initializers already written, per trace and module (a layer called twice shares them). */
const written = new WeakMap<Tracer, Map<AnyModule, LayerConsts[]>>();

function param(m: Recurrent, name: string): Tensor {
  return (m as unknown as Record<string, Tensor>)[name]!;
}

/** The rows of `w` ([gates·H, ·]) with its gate blocks in ONNX's order. */
function reorder(w: Tensor, order: readonly number[], H: number): Tensor {
  return order.length === 1 ? w : cat(order.map((k) => w.narrow(0, k * H, H)));
}

/** W [D, G·H, in], R [D, G·H, H], B [D, 2·G·H] of each layer, as initializers. */
function layerConsts(tr: Tracer, m: Recurrent): LayerConsts[] {
  let perModule = written.get(tr);
  if (perModule === undefined) {
    perModule = new Map();
    written.set(tr, perModule);
  }
  const known = perModule.get(m);
  if (known !== undefined) return known;
  const order = ONNX_GATE_ORDER[m.mode];
  const H = m.hiddenSize;
  const D = m.bidirectional ? 2 : 1;
  const consts = noGrad(() =>
    Array.from({ length: m.numLayers }, (_, l): LayerConsts => {
      const sfx = (d: number) => `_l${l}${d === 1 ? "_reverse" : ""}`;
      const dirs = Array.from({ length: D }, (_, d) => d);
      const put = (t: Tensor, what: string) =>
        tr.g.tensor(t, tr.g.fresh(`${m.mode}_${what}_l${l}`));
      const w = stack(dirs.map((d) => reorder(param(m, `weight_ih${sfx(d)}`), order, H)));
      const r = stack(dirs.map((d) => reorder(param(m, `weight_hh${sfx(d)}`), order, H)));
      const b = m.bias
        ? stack(
            dirs.map((d) =>
              cat([
                reorder(param(m, `bias_ih${sfx(d)}`), order, H),
                reorder(param(m, `bias_hh${sfx(d)}`), order, H),
              ]),
            ),
          )
        : null;
      return { w: put(w, "W"), r: put(r, "R"), b: b === null ? null : put(b, "B") };
    }),
  );
  perModule.set(m, consts);
  return consts;
}

/** The initial states given to forward: `hx` (RNN, GRU) or `[h0, c0]` (LSTM), else null. */
function initialStates(m: Recurrent, hx: unknown): [Tensor | null, Tensor | null] {
  if (hx === undefined || hx === null) return [null, null];
  if (m.mode === "LSTM") {
    const [h0, c0] = hx as readonly [Tensor, Tensor];
    return [h0, c0];
  }
  return [hx as Tensor, null];
}

/** A state `[L·D, B, ·]` (unbatched `[L·D, ·]`) as one `[D, B, ·]` value per layer. */
function statePerLayer(tr: Tracer, t: Tensor | null, batched: boolean, L: number, D: number) {
  if (t === null) return null;
  let v = tr.name(t);
  if (!batched) v = tr.g.op("Unsqueeze", [v, tr.g.int64([1])]);
  if (L === 1) return [v];
  return tr.g.node(
    "Split",
    [v, tr.g.int64(new Array<number>(L).fill(D))],
    [attr.int("axis", 0)],
    L,
  );
}

function stringsAttr(name: string, values: readonly string[]): AttributeJson {
  const strings = values.map((s) => new TextEncoder().encode(s));
  // NOTE: STRINGS = 8 in onnx.proto's AttributeType; schema.ts's ATTR_TYPE and AttributeJson list
  // only the kinds the other handlers write, and protobufjs encodes the `strings` field anyway.
  return { name, type: 8, strings } as AttributeJson;
}

/** The ONNX op of a mode and the attributes every node of the layer shares. */
function nodeSpec(m: Recurrent): [string, AttributeJson[]] {
  const D = m.bidirectional ? 2 : 1;
  const attrs = [attr.int("hidden_size", m.hiddenSize)];
  if (D === 2) attrs.push(attr.string("direction", "bidirectional"));
  if (m.mode === "LSTM") return ["LSTM", attrs];
  // NOTE: PyTorch's n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) applies r after the recurrent
  // product: linear_before_reset=1 in ONNX (0, the default, would apply it before).
  if (m.mode === "GRU") return ["GRU", [...attrs, attr.int("linear_before_reset", 1)]];
  const act = m.mode === "RNN_RELU" ? "Relu" : "Tanh";
  return ["RNN", [...attrs, stringsAttr("activations", new Array<string>(D).fill(act))]];
}

/**
 * Records `forward(x, hx?)` of RNN, LSTM and GRU: per layer a node on `[T, B, in]` giving
 * Y `[T, D, B, H]` (→ `[T, B, D·H]` for the next layer), Y_h `[D, B, H]` (and Y_c); the final
 * states are the per-layer ones concatenated on dim 0, as PyTorch's `[L·D, B, H]`.
 */
function recurrent(
  tr: Tracer,
  module: AnyModule,
  x: Tensor,
  out: Tensor,
  args?: readonly unknown[],
): void {
  const m = module as Recurrent;
  const name = m.constructor.name;
  if ((x as unknown) instanceof PackedSequence) {
    throw new ValueError(
      `exportOnnx: no ONNX mapping for ${name} on a PackedSequence (packed sequences are not exported; pass the padded [T, B, *] tensor)`,
    );
  }
  if (m.projSize > 0) {
    throw new ValueError(
      `exportOnnx: no ONNX mapping for LSTM with projSize=${m.projSize} (ONNX LSTM has no projection; export with projSize 0)`,
    );
  }
  if (args === undefined) {
    throw new ValueError(
      `exportOnnx: internal error, the tracer did not pass ${name}.forward's arguments (initial states)`,
    );
  }
  const lstm = m.mode === "LSTM";
  const L = m.numLayers;
  const D = m.bidirectional ? 2 : 1;
  const batched = x.ndim === 3;
  const [h0, c0] = initialStates(m, args[1]);
  const hs = statePerLayer(tr, h0, batched, L, D);
  const cs = statePerLayer(tr, c0, batched, L, D);
  const consts = layerConsts(tr, m);
  const [op, attrs] = nodeSpec(m);

  let seq = tr.name(x);
  if (!batched) seq = tr.g.op("Unsqueeze", [seq, tr.g.int64([1])]);
  else if (m.batchFirst) seq = tr.g.op("Transpose", [seq], [attr.ints("perm", [1, 0, 2])]);
  const lastH: string[] = [];
  const lastC: string[] = [];
  for (let l = 0; l < L; l++) {
    const k = consts[l]!;
    const inputs = [seq, k.w, k.r, k.b ?? "", "", hs?.[l] ?? ""];
    if (lstm) inputs.push(cs?.[l] ?? "");
    while (inputs[inputs.length - 1] === "") inputs.pop();
    const [y, yh, yc] = tr.g.node(op, inputs, attrs, lstm ? 3 : 2) as [string, string, string?];
    // Y [T, D, B, H] → [T, B, D, H] → [T, B, D·H]
    const yt = tr.g.op("Transpose", [y], [attr.ints("perm", [0, 2, 1, 3])]);
    seq = tr.g.op("Reshape", [yt, tr.g.int64([0, 0, -1])]);
    lastH.push(yh);
    if (yc !== undefined) lastC.push(yc);
  }
  const finalState = (parts: string[]) => {
    const v = parts.length === 1 ? parts[0]! : tr.g.op("Concat", parts, [attr.int("axis", 0)]);
    return batched ? v : tr.g.op("Squeeze", [v, tr.g.int64([1])]);
  };
  let output = seq;
  if (!batched) output = tr.g.op("Squeeze", [seq, tr.g.int64([1])]);
  else if (m.batchFirst) output = tr.g.op("Transpose", [seq], [attr.ints("perm", [1, 0, 2])]);
  const result = out as unknown as [Tensor, Tensor | readonly [Tensor, Tensor]];
  tr.bind(result[0], output);
  if (lstm) {
    const [hN, cN] = result[1] as readonly [Tensor, Tensor];
    tr.bind(hN, finalState(lastH));
    tr.bind(cN, finalState(lastC));
  } else tr.bind(result[1] as Tensor, finalState(lastH));
}

/** The recurrent layer classes exported whole. */
export const RNN_HANDLERS: readonly LayerEntry[] = [
  [LSTM, recurrent],
  [GRU, recurrent],
  [RNN, recurrent],
];
