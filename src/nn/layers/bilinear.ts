// Bilinear: y = x1ᵀ A x2 + b, the layer and its function form (nn.functional re-exports
// `bilinear` from here). Composes Tensor ops (matmul, mul, sum); depends on nn's init and
// Module, never on other layers.

import { bool, int, opt, parseArgs, signature, type WithOptions } from "../../core/args.ts";
import { ShapeError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { empty } from "../../ops/dispatch.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { floatDtypeArg, optTensor, tensorArg } from "../functional/args.ts";
import { uniform_ } from "../init.ts";
import { Module } from "../module.ts";
import { Parameter } from "../parameter.ts";
import { pyBool } from "../repr.ts";

const BILINEAR_FN = signature("bilinear", {
  input1: tensorArg,
  input2: tensorArg,
  weight: tensorArg,
  bias: optTensor,
});

/**
 * y[..., k] = Σᵢⱼ input1[..., i] · weight[k, i, j] · input2[..., j] + bias[k], as
 * torch.nn.functional.bilinear(input1, input2, weight, bias=None).
 * `input1 [*, in1]`, `input2 [*, in2]` (same leading dims), `weight [out, in1, in2]`,
 * `bias [out]` → `[*, out]`.
 */
export function bilinear(
  input1: Tensor,
  input2: Tensor,
  weight: Tensor,
  ...rest: WithOptions<[bias: Tensor | null], { bias?: Tensor | null }>
): Tensor {
  const { bias } = parseArgs(BILINEAR_FN, [input1, input2, weight, ...rest]);
  const op = "bilinear";
  const lead = input1.shape.slice(0, -1);
  if (
    input1.ndim === 0 ||
    input1.ndim !== input2.ndim ||
    lead.join() !== input2.shape.slice(0, -1).join()
  ) {
    throw new ShapeError(
      `${op}: input batch dimensions do not match: got ${formatShape(input1.shape)} and ${formatShape(input2.shape)}`,
    );
  }
  if (weight.ndim !== 3) {
    throw new ShapeError(
      `${op}: expected a 3-D weight [out, in1, in2], got ${formatShape(weight.shape)}`,
    );
  }
  const [out, in1, in2] = weight.shape as [number, number, number];
  if (input1.shape.at(-1) !== in1) {
    throw new ShapeError(
      `${op}: input1 size does not match weight size: got ${input1.shape.at(-1)} but expected ${in1}`,
    );
  }
  if (input2.shape.at(-1) !== in2) {
    throw new ShapeError(
      `${op}: input2 size does not match weight size: got ${input2.shape.at(-1)} but expected ${in2}`,
    );
  }
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== out)) {
    throw new ShapeError(
      `${op}: bias size does not match weight size: got ${formatShape(bias.shape)} but expected [${out}]`,
    );
  }
  const x1 = input1.reshape([-1, in1]);
  const x2 = input2.reshape([-1, in2]);
  // [N, in1] @ [in1, out·in2] → [N, out, in2], then contract in2 against x2.
  const t = x1.matmul(weight.permute([1, 0, 2]).reshape([in1, out * in2])).reshape([-1, out, in2]);
  let y: Tensor = t.mul(x2.unsqueeze(1)).sum(-1);
  if (bias !== null) y = y.add(bias);
  return y.reshape([...lead, out]);
}

const BILINEAR = signature(
  "nn.Bilinear",
  { in1Features: int, in2Features: int, outFeatures: int, bias: opt(bool, true) },
  { dtype: floatDtypeArg },
);

/**
 * y = x1ᵀ A x2 + b: `forward(input1 [*, in1Features], input2 [*, in2Features])` →
 * `[*, outFeatures]`, as torch.nn.Bilinear(in1_features, in2_features, out_features, bias=True,
 * *, dtype). PyTorch parity: `weight [out, in1, in2]` and bias ~ U(−1/√in1, 1/√in1).
 *
 * @example const bl = new nn.Bilinear(20, 30, 40); bl.call(randn(128, 20), randn(128, 30)); // [128, 40]
 */
export class Bilinear extends Module {
  /** Size of each first input sample. */
  readonly in1Features: number;
  /** Size of each second input sample. */
  readonly in2Features: number;
  /** Size of each output sample. */
  readonly outFeatures: number;
  /** The weight A `[outFeatures, in1Features, in2Features]`. */
  weight: Parameter;
  /** The bias `[outFeatures]`, or null when created with `bias: false`. */
  bias: Parameter | null;

  /** Creates the layer from `(in1Features, in2Features, outFeatures, bias?)`. */
  constructor(
    in1Features: number,
    in2Features: number,
    outFeatures: number,
    ...rest: WithOptions<[bias: boolean], { bias?: boolean; dtype?: "float32" | "float64" }>
  ) {
    super();
    const a = parseArgs(BILINEAR, [in1Features, in2Features, outFeatures, ...rest]);
    this.in1Features = in1Features;
    this.in2Features = in2Features;
    this.outFeatures = outFeatures;
    this.weight = new Parameter(empty([outFeatures, in1Features, in2Features], a.dtype));
    if (a.bias) this.bias = new Parameter(empty([outFeatures], a.dtype));
    else {
      this.bias = null;
      this.registerParameter("bias", null);
    }
    this.resetParameters();
  }

  /** weight and bias ~ U(−1/√in1Features, 1/√in1Features), as PyTorch's reset_parameters. */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.weight.shape[1]!);
    uniform_(this.weight, -bound, bound);
    if (this.bias !== null) uniform_(this.bias, -bound, bound);
  }

  override forward(input1: Tensor, input2: Tensor): Tensor {
    return bilinear(input1, input2, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in1_features=${this.in1Features}, in2_features=${this.in2Features}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}
