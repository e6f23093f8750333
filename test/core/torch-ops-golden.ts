// Shared runner of the torch-function goldens (test/golden/core/torch_ops_<group>.json, written
// by tools/golden/torch_ops.py): each case's outputs must match PyTorch 1.13 in dtype, shape and
// values, and the gradient of each floating input for the recorded upstream gradient must too.
// Also a float64 finite-difference gradcheck helper over the same cases.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { gradcheck } from "./gradcheck.ts";
import { assertTensor, dec, type Enc } from "./helpers.ts";
import { randn, type Tensor } from "./kiln.ts";

/** An input of a case: an encoded tensor, or a plain number (an int argument such as k). */
export type RawArg = Enc | number;
/** A decoded argument: a tensor or a number. */
export type Arg = Tensor | number;
/** One fixture case. */
export interface Case {
  op: string;
  inputs: RawArg[];
  kwargs: Record<string, unknown>;
  grad: boolean;
  out: Enc | Enc[];
  gradFn: string | null;
  gradOutputs?: (Enc | null)[];
  grads?: (Enc | { none: true } | null)[];
}
/**
 * A case's keyword arguments (Kiln's option names), typed loosely: each op entry knows what its
 * keys hold, and `never` fits any parameter.
 */
export type Kw = { readonly [K in KwKey]: never };
type KwKey =
  | "dim"
  | "keepDim"
  | "eq"
  | "dims"
  | "beta"
  | "alpha"
  | "diagonal"
  | "offset"
  | "dim1"
  | "dim2"
  | "k"
  | "descending"
  | "stable"
  | "largest"
  | "sorted"
  | "returnInverse"
  | "returnCounts"
  | "right"
  | "side"
  | "value"
  | "source"
  | "destination"
  | "axis0"
  | "axis1"
  | "shifts"
  | "repeats"
  | "indexing"
  | "n"
  | "q"
  | "interpolation"
  | "bins"
  | "min"
  | "max"
  | "minlength"
  | "ord"
  | "p";
/** The Kiln call of one op: the decoded inputs and PyTorch's keyword arguments. */
export type OpFn = (args: Arg[], kw: Kw) => Tensor | Tensor[];

/** The cases of test/golden/core/torch_ops_<group>.json. */
export function cases(group: string): Case[] {
  const url = new URL(`../golden/core/torch_ops_${group}.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { cases: Case[] }).cases;
}

function isEnc(a: RawArg): a is Enc {
  return typeof a === "object" && a !== null && "dtype" in a;
}

/** Decodes the inputs; floating tensors require grad when `grad`. */
export function buildArgs(c: Case, grad: boolean): Arg[] {
  return c.inputs.map((a) => {
    if (!isEnc(a)) return a;
    const t = dec(a);
    if (grad && (t.dtype === "float32" || t.dtype === "float64")) t.requiresGrad_(true);
    return t;
  });
}

const F32 = { rtol: 1e-4, atol: 1e-5 };

/**
 * One `describe` block: every case of `group` through `ops`, forward and backward; for the ops
 * in `gradFnOps` the first output's `gradFn` name must be PyTorch's too.
 */
export function goldenSuite(
  group: string,
  ops: Record<string, OpFn>,
  gradFnOps: readonly string[] = [],
): void {
  const byOp = new Map<string, Case[]>();
  for (const c of cases(group)) byOp.set(c.op, [...(byOp.get(c.op) ?? []), c]);
  describe(`${group} goldens (forward and backward against PyTorch 1.13)`, () => {
    for (const [op, list] of byOp) {
      test(op, () => {
        const fn = ops[op];
        assert.ok(fn !== undefined, `no Kiln entry for op ${op}`);
        list.forEach((c, i) => {
          const name = `${op}#${i} ${JSON.stringify(c.kwargs)}`;
          const f32 = c.inputs.some((a) => isEnc(a) && a.dtype === "float32");
          const tol = f32 ? F32 : undefined;
          const args = buildArgs(c, c.grad);
          const out = fn(args, c.kwargs as unknown as Kw);
          const outs = Array.isArray(out) ? out : [out];
          const expected = Array.isArray(c.out) ? c.out : [c.out];
          assert.equal(outs.length, expected.length, `${name}: number of outputs`);
          outs.forEach((o, k) => {
            assertTensor(o, expected[k]!, `${name} out[${k}]`, tol);
          });
          if (gradFnOps.includes(op) && c.gradFn !== null) {
            assert.equal(outs[0]!.gradFn?.name, c.gradFn, `${name}: grad_fn`);
          }
          if (!c.grad || c.grads === undefined) return;
          let loss: Tensor | null = null;
          c.gradOutputs!.forEach((g, k) => {
            if (g === null) return;
            assert.ok(outs[k]!.requiresGrad, `${name}: out[${k}] should require grad`);
            const term = outs[k]!.mul(dec(g)).sum().double();
            loss = loss === null ? term : loss.add(term);
          });
          assert.ok(loss !== null, `${name}: no output requires grad`);
          (loss as Tensor).backward();
          const tensors = args.filter((a): a is Tensor => typeof a !== "number");
          c.grads.forEach((g, k) => {
            if (g === null) return;
            const t = tensors[k]!;
            if ("none" in g) {
              assert.equal(t.grad, null, `${name}: input ${k} gets no gradient`);
              return;
            }
            assert.ok(t.grad !== null, `${name}: input ${k} got no gradient`);
            assertTensor(t.grad, g, `${name} grad[${k}]`, tol);
          });
        });
      });
    }
  });
}

/**
 * Float64 finite-difference checks of the differentiable float64 cases of `group` (at most
 * `perOp` per op), each at the case's own inputs. `skip` names ops, or single cases as
 * `op#n` (the op's n-th case in the fixture), such as samples with ties on purpose.
 */
export function gradcheckSuite(
  group: string,
  ops: Record<string, OpFn>,
  perOp = 2,
  skip: readonly string[] = [],
): void {
  const seen = new Map<string, number>();
  const index = new Map<string, number>();
  describe(`${group} float64 gradchecks`, () => {
    for (const c of cases(group)) {
      const at = index.get(c.op) ?? 0;
      index.set(c.op, at + 1);
      const f64 = c.inputs.every((a) => !isEnc(a) || a.dtype !== "float32");
      if (!c.grad || !f64 || skip.includes(c.op) || skip.includes(`${c.op}#${at}`)) continue;
      const n = seen.get(c.op) ?? 0;
      if (n >= perOp) continue;
      seen.set(c.op, n + 1);
      test(`${c.op} ${JSON.stringify(c.kwargs)}`, () => {
        const args = buildArgs(c, true);
        const fn = ops[c.op]!;
        const first = fn(args, c.kwargs as unknown as Kw);
        const outs = Array.isArray(first) ? first : [first];
        const weights = outs.map((o) =>
          o.requiresGrad ? randn(o.shape, { dtype: "float64" }) : null,
        );
        const inputs = args.filter((a): a is Tensor => typeof a !== "number");
        const bad = gradcheck(() => fn(args, c.kwargs as unknown as Kw), inputs, weights);
        assert.deepEqual(bad, [], `${c.op}: analytic and numeric gradients differ`);
      });
    }
  });
}
