// Shared by the optim tests: the golden fixtures, the two test problems (built from the fixture's
// weights and data, with Kiln's tensor ops) and optimizer construction by name.

import { readFileSync } from "node:fs";
import { optim, type Tensor, tensor } from "../../src/index.ts";

export type Nested = number | Nested[];

export interface OptimizerCase {
  optimizer: OptimizerName;
  problem: ProblemName;
  options: Record<string, unknown>;
  groupLrs: number[];
  trajectory: Nested[][];
  stateDictAt10: {
    state: Record<string, Record<string, Nested | null>>;
    param_groups: Record<string, unknown>[];
  };
}

export interface OptimizerFixture {
  torch_version: string;
  steps: number;
  resumeAt: number;
  problems: Record<ProblemName, { params: Record<string, Nested>; data: Record<string, Nested> }>;
  cases: OptimizerCase[];
}

export type OptimizerName = "SGD" | "Adam" | "AdamW" | "RMSprop" | "Adagrad" | "Adadelta";
export type ProblemName = "quadratic" | "mlp";

const goldenDir = new URL("../golden/optim/", import.meta.url);

export function loadGolden<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, goldenDir), "utf8")) as T;
}

export const PARAM_ORDER: Record<ProblemName, string[]> = {
  quadratic: ["x", "y", "u"],
  mlp: ["w1", "b1", "u", "w2", "b2"],
};

export function f32(v: Nested): Tensor {
  return tensor(v, { dtype: "float32" });
}

/** Fresh leaf parameters for `problem`, from `values` (default: the fixture's initial weights). */
export function makeParams(
  fx: OptimizerFixture,
  problem: ProblemName,
  values?: readonly Nested[],
): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  PARAM_ORDER[problem].forEach((k, i) => {
    out[k] = tensor(values?.[i] ?? fx.problems[problem].params[k]!, {
      dtype: "float32",
      requiresGrad: true,
    });
  });
  return out;
}

/**
 * quadratic: sum(a (x - c)²) + sum(b (y - d)²); mlp: mean((relu(X W1ᵀ + b1) W2ᵀ + b2 - Y)²).
 * `u` never enters the loss, so its grad stays null and optimizers must skip it.
 */
export function lossOf(
  fx: OptimizerFixture,
  problem: ProblemName,
  p: Record<string, Tensor>,
): Tensor {
  const d = fx.problems[problem].data;
  if (problem === "quadratic") {
    const qx = f32(d.a!)
      .mul(p.x!.sub(f32(d.c!)).pow(2))
      .sum();
    return qx.add(
      f32(d.b!)
        .mul(p.y!.sub(f32(d.d!)).pow(2))
        .sum(),
    );
  }
  const h = f32(d.X!).matmul(p.w1!.t()).add(p.b1!).relu();
  return h.matmul(p.w2!.t()).add(p.b2!).sub(f32(d.Y!)).pow(2).mean();
}

/** The fixture's grouping: quadratic one group; mlp [w1, b1, u] and [w2, b2] at the second lr. */
export function groupsOf(
  problem: ProblemName,
  p: Record<string, Tensor>,
  groupLrs: readonly number[],
) {
  if (problem === "quadratic") return [{ params: [p.x!, p.y!, p.u!] }];
  return [{ params: [p.w1!, p.b1!, p.u!] }, { params: [p.w2!, p.b2!], lr: groupLrs[1]! }];
}

// biome-ignore lint/suspicious/noExplicitAny: test factory over heterogeneous option types
type AnyOptions = any;

export function makeOptimizer(
  name: OptimizerName,
  params: unknown,
  options: AnyOptions,
): optim.Optimizer {
  const p = params as AnyOptions;
  switch (name) {
    case "SGD":
      return new optim.SGD(p, options);
    case "Adam":
      return new optim.Adam(p, options);
    case "AdamW":
      return new optim.AdamW(p, options);
    case "RMSprop":
      return new optim.RMSprop(p, options);
    case "Adagrad":
      return new optim.Adagrad(p, options);
    case "Adadelta":
      return new optim.Adadelta(p, options);
  }
}

export function flat(v: Nested): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}

/** Largest |got - want| / (atol + rtol |want|); <= 1 means close. */
export function closeness(
  got: readonly number[],
  want: readonly number[],
  atol: number,
  rtol: number,
): number {
  if (got.length !== want.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const r = Math.abs(got[i]! - want[i]!) / (atol + rtol * Math.abs(want[i]!));
    if (!(r <= worst)) worst = Number.isNaN(r) ? Number.POSITIVE_INFINITY : r;
  }
  return worst;
}

export function describeCase(c: { optimizer: string; problem: string; options: unknown }): string {
  return `${c.optimizer} ${JSON.stringify(c.options)} on ${c.problem}`;
}
