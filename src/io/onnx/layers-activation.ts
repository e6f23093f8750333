// ONNX forms of the activation layers added in issue 18 (PReLU → PRelu, SELU → Selu, CELU → Celu,
// Hardswish → HardSwish, Hardsigmoid → HardSigmoid, Softsign, Shrink for Softshrink/Hardshrink,
// Threshold, RReLU in eval, Mish, LogSigmoid, Tanhshrink, Softmin, Softmax2d, GLU, ReLU6),
// recorded whole as layers.ts records the others. Depends on src/nn and the tracer.

import {
  CELU,
  GLU,
  Hardshrink,
  Hardsigmoid,
  Hardswish,
  LogSigmoid,
  Mish,
  PReLU,
  ReLU6,
  RReLU,
  SELU,
  Softmax2d,
  Softmin,
  Softshrink,
  Softsign,
  Tanhshrink,
  Threshold,
} from "../../nn/index.ts";
import type { AnyModule } from "../../nn/module.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { attr } from "./graph.ts";
import type { LayerEntry, LayerHandler, Tracer } from "./trace.ts";

/** An elementwise layer: `make(tr, x, module, input)` gives the output value. */
function act<M extends AnyModule>(make: (tr: Tracer, x: string, m: M, t: Tensor) => string) {
  return ((tr, m, x, out) => tr.bind(out, make(tr, tr.name(x), m as M, x))) as LayerHandler;
}

const wrap = (d: number, n: number) => (d < 0 ? d + n : d);

/** relu6(x + 3)/6 as ONNX's HardSigmoid (alpha 1/6, beta 1/2). */
const hardSigmoid = (tr: Tracer, x: string) =>
  tr.g.op("HardSigmoid", [x], [attr.float("alpha", 1 / 6), attr.float("beta", 0.5)]);

/** The softmax axis PyTorch's legacy implicit dim picks (see F.softmax). */
function softminAxis(m: Softmin, t: Tensor): number {
  const implicit = t.ndim === 0 || t.ndim === 1 || t.ndim === 3 ? 0 : 1;
  return wrap(m.dim ?? implicit, t.ndim);
}

/** The activation layer classes of issue 18, with their handlers (spread into LAYER_HANDLERS). */
export const ACTIVATION_HANDLERS: readonly LayerEntry[] = [
  [
    PReLU,
    act<PReLU>((tr, x, m, t) => {
      let slope = tr.name(m.weight);
      // ONNX PRelu broadcasts the slope from the right: per-channel slopes become [C, 1, ..., 1].
      if (m.numParameters > 1 && t.ndim > 2) {
        const shape = [m.numParameters, ...new Array<number>(t.ndim - 2).fill(1)];
        slope = tr.g.op("Reshape", [slope, tr.g.int64(shape)]);
      }
      return tr.g.op("PRelu", [x, slope]);
    }),
  ],
  [
    // NOTE: exported in eval form (slope (lower + upper)/2), as Dropout exports as identity.
    RReLU,
    act<RReLU>((tr, x, m) =>
      tr.g.op("LeakyRelu", [x], [attr.float("alpha", (m.lower + m.upper) / 2)]),
    ),
  ],
  [
    SELU,
    act((tr, x) =>
      tr.g.op(
        "Selu",
        [x],
        [attr.float("alpha", 1.6732632423543772), attr.float("gamma", 1.0507009873554805)],
      ),
    ),
  ],
  [CELU, act<CELU>((tr, x, m) => tr.g.op("Celu", [x], [attr.float("alpha", m.alpha)]))],
  [
    ReLU6,
    act((tr, x, _m, t) => tr.g.op("Clip", [x, tr.g.scalar(0, t.dtype), tr.g.scalar(6, t.dtype)])),
  ],
  [
    Threshold,
    act<Threshold>((tr, x, m, t) => {
      if (m.value === 0) return tr.g.op("ThresholdedRelu", [x], [attr.float("alpha", m.threshold)]);
      const above = tr.g.op("Greater", [x, tr.g.scalar(m.threshold, t.dtype)]);
      return tr.g.op("Where", [above, x, tr.g.scalar(m.value, t.dtype)]);
    }),
  ],
  [
    Hardswish,
    act((tr, x) =>
      tr.opset >= 14 ? tr.g.op("HardSwish", [x]) : tr.g.op("Mul", [x, hardSigmoid(tr, x)]),
    ),
  ],
  [Hardsigmoid, act(hardSigmoid)],
  [Softsign, act((tr, x) => tr.g.op("Softsign", [x]))],
  [
    Softshrink,
    act<Softshrink>((tr, x, m) =>
      tr.g.op("Shrink", [x], [attr.float("lambd", m.lambd), attr.float("bias", m.lambd)]),
    ),
  ],
  [
    Hardshrink,
    act<Hardshrink>((tr, x, m) =>
      tr.g.op("Shrink", [x], [attr.float("lambd", m.lambd), attr.float("bias", 0)]),
    ),
  ],
  [Mish, act((tr, x) => tr.g.op("Mul", [x, tr.g.op("Tanh", [tr.g.op("Softplus", [x])])]))],
  [LogSigmoid, act((tr, x) => tr.g.op("Neg", [tr.g.op("Softplus", [tr.g.op("Neg", [x])])]))],
  [Tanhshrink, act((tr, x) => tr.g.op("Sub", [x, tr.g.op("Tanh", [x])]))],
  [
    Softmin,
    act<Softmin>((tr, x, m, t) =>
      tr.g.op("Softmax", [tr.g.op("Neg", [x])], [attr.int("axis", softminAxis(m, t))]),
    ),
  ],
  [Softmax2d, act((tr, x, _m, t) => tr.g.op("Softmax", [x], [attr.int("axis", t.ndim - 3)]))],
  [
    GLU,
    act<GLU>((tr, x, m, t) => {
      const d = wrap(m.dim, t.ndim);
      const h = t.shape[d]! / 2;
      const [a, b] = tr.g.node("Split", [x, tr.g.int64([h, h])], [attr.int("axis", d)], 2);
      return tr.g.op("Mul", [a!, tr.g.op("Sigmoid", [b!])]);
    }),
  ],
];
