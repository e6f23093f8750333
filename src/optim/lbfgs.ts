// L-BFGS, as torch.optim.LBFGS of PyTorch 1.13: a closure-driven quasi-Newton method over one
// parameter group, with an optional strong-Wolfe line search (lbfgs-line-search.ts). Its state
// lives on the first parameter, under PyTorch's names. Depends on tensor ops and the optimizer base.

import {
  int,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  unchecked,
  type WithOptions,
} from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import { zeros } from "../ops/creation.ts";
import { cat } from "../ops/movement.ts";
import { noGrad } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor.ts";
import { strongWolfe } from "./lbfgs-line-search.ts";
import { Optimizer, type Params, type StateValue, type TorchForm } from "./optimizer.ts";
import { checkTorchLr } from "./torch-checks.ts";

/**
 * Options of LBFGS; defaults lr 1, maxIter 20, maxEval maxIter·5/4, toleranceGrad 1e-7,
 * toleranceChange 1e-9, historySize 100, lineSearchFn null, as torch.optim.LBFGS.
 */
export interface LBFGSOptions {
  lr?: number;
  maxIter?: number;
  maxEval?: number | null;
  toleranceGrad?: number;
  toleranceChange?: number;
  historySize?: number;
  lineSearchFn?: "strong_wolfe" | null;
}

/** The options the LBFGS param group keeps (maxEval filled in). */
export type LBFGSDefaults = Required<Omit<LBFGSOptions, "maxEval">> & { maxEval: number };

const LBFGS_SIG = signature("LBFGS", {
  params: unchecked,
  lr: opt(num, 1),
  maxIter: opt(int, 20),
  maxEval: opt(nullable(int), null),
  toleranceGrad: opt(num, 1e-7),
  toleranceChange: opt(num, 1e-9),
  historySize: opt(int, 100),
  lineSearchFn: opt(nullable(oneOf("strong_wolfe")), null),
});

const num0 = (v: unknown): unknown => (v instanceof Tensor ? Number(v.item()) : v);

/**
 * L-BFGS, as torch.optim.LBFGS: `step(closure)` runs up to `maxIter` iterations, calling the
 * closure (which must zero the gradients, compute the loss, call backward and return the loss)
 * as often as needed, and returns the first loss. Arguments in PyTorch's order (lr, maxIter,
 * maxEval, toleranceGrad, toleranceChange, historySize, lineSearchFn), positional or as options.
 * One param group only, as PyTorch. State on the first parameter: `func_evals`, `n_iter`, `d`,
 * `t`, `old_dirs`, `old_stps`, `ro`, `H_diag`, `prev_flat_grad`, `prev_loss`, `al`.
 *
 * @example
 * const opt = new optim.LBFGS(model.parameters(), { lineSearchFn: "strong_wolfe" });
 * opt.step(() => { opt.zeroGrad(); const l = lossFn(); l.backward(); return l; });
 */
export class LBFGS extends Optimizer<LBFGSDefaults> {
  /** Creates the optimizer over `params`; hyperparameters in PyTorch's order or as options. */
  constructor(
    params: Params<LBFGSDefaults>,
    ...rest: WithOptions<
      [
        lr: number,
        maxIter: number,
        maxEval: number | null,
        toleranceGrad: number,
        toleranceChange: number,
        historySize: number,
        lineSearchFn: "strong_wolfe" | null,
      ],
      LBFGSOptions
    >
  ) {
    const o = parseArgs(LBFGS_SIG, [params, ...rest]);
    super("LBFGS", params, {
      lr: o.lr,
      maxIter: o.maxIter,
      maxEval: o.maxEval ?? Math.floor((o.maxIter * 5) / 4),
      toleranceGrad: o.toleranceGrad,
      toleranceChange: o.toleranceChange,
      historySize: o.historySize,
      lineSearchFn: o.lineSearchFn as "strong_wolfe" | null,
    });
    this.#checkOneGroup();
  }

  #checkOneGroup(): void {
    if (this.paramGroups.length !== 1) {
      throw new ValueError("LBFGS doesn't support per-parameter options (parameter groups)");
    }
  }

  override torchForm(): TorchForm {
    return { tensorScalars: ["ro", "al", "H_diag"], groupExtras: {} };
  }

  protected override validate(o: Partial<LBFGSDefaults>, where: string): void {
    checkTorchLr(this.name, o.lr, where);
  }

  protected override loadStateValue(key: string, v: unknown, p: Tensor): StateValue {
    if (key === "d" || key === "prev_flat_grad") {
      return v instanceof Tensor ? v.detach().to(p.dtype).clone() : (v as StateValue);
    }
    if (key === "old_dirs" || key === "old_stps") {
      return (v as Tensor[]).map((x) => x.detach().to(p.dtype).clone());
    }
    if (Array.isArray(v)) return v.map(num0) as StateValue;
    return num0(v) as StateValue;
  }

  get #params(): Tensor[] {
    return this.paramGroups[0]!.params;
  }

  #gatherFlatGrad(): Tensor {
    return cat(
      this.#params.map((p) => p.peekGrad()?.reshape(-1) ?? zeros([p.numel()], { dtype: p.dtype })),
      0,
    );
  }

  #addGrad(stepSize: number, update: Tensor): void {
    let offset = 0;
    for (const p of this.#params) {
      const n = p.numel();
      p.add_(update.narrow(0, offset, n).view(p.shape), { alpha: stepSize });
      offset += n;
    }
  }

  /**
   * Runs up to `maxIter` L-BFGS iterations; `closure` is required. Returns the loss the first
   * closure call returned, as PyTorch does.
   */
  override step(closure?: () => Tensor | number): Tensor | number | undefined {
    if (typeof closure !== "function") {
      throw new ValueError(
        "LBFGS.step: a closure is required (it re-evaluates the model and returns the loss)",
      );
    }
    this.#checkOneGroup();
    const group = this.paramGroups[0]!;
    const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, lineSearchFn, historySize } =
      group;
    const params = this.#params;
    const round = params[0]!.dtype === "float64" ? (x: number) => x : Math.fround;
    const evalLoss = (): [Tensor | number, number] => {
      const l = this.evalClosure(closure)!;
      return [l, l instanceof Tensor ? Number(l.item()) : l];
    };
    const dot = (a: Tensor, b: Tensor): number => Number(a.dot(b).item());
    const absMax = (a: Tensor): number => Number(a.abs().max().item());

    return noGrad(() => {
      const state = this.stateOf(params[0]!);
      state.func_evals = (state.func_evals as number | undefined) ?? 0;
      state.n_iter = (state.n_iter as number | undefined) ?? 0;
      const [origLoss, firstLoss] = evalLoss();
      let loss = firstLoss;
      let currentEvals = 1;
      state.func_evals += 1;
      let flatGrad = this.#gatherFlatGrad();
      let optCond = absMax(flatGrad) <= toleranceGrad;
      if (optCond) return origLoss;

      let d = state.d as Tensor | undefined;
      let t = state.t as number | undefined;
      let oldDirs = state.old_dirs as Tensor[] | undefined;
      let oldStps = state.old_stps as Tensor[] | undefined;
      let ro = state.ro as number[] | undefined;
      let hDiag = state.H_diag as number | undefined;
      let prevFlatGrad = (state.prev_flat_grad as Tensor | null | undefined) ?? null;
      let prevLoss = state.prev_loss as number | undefined;

      let nIter = 0;
      while (nIter < maxIter) {
        nIter += 1;
        state.n_iter = (state.n_iter as number) + 1;
        if (state.n_iter === 1) {
          d = flatGrad.neg();
          oldDirs = [];
          oldStps = [];
          ro = [];
          hDiag = 1;
        } else {
          const y = flatGrad.sub(prevFlatGrad!);
          const s = d!.mul(t!);
          const ys = dot(y, s);
          if (ys > 1e-10) {
            if (oldDirs!.length === historySize) {
              oldDirs!.shift();
              oldStps!.shift();
              ro!.shift();
            }
            oldDirs!.push(y);
            oldStps!.push(s);
            ro!.push(round(1 / ys));
            hDiag = round(ys / dot(y, y));
          }
          const numOld = oldDirs!.length;
          if (state.al === undefined) state.al = new Array<number | null>(historySize).fill(null);
          const al = state.al as (number | null)[];
          const q = flatGrad.neg();
          for (let i = numOld - 1; i >= 0; i--) {
            al[i] = round(dot(oldStps![i]!, q) * ro![i]!);
            q.add_(oldDirs![i]!, { alpha: -al[i]! });
          }
          const r = q.mul(hDiag!);
          d = r;
          for (let i = 0; i < numOld; i++) {
            const beI = round(dot(oldDirs![i]!, r) * ro![i]!);
            r.add_(oldStps![i]!, { alpha: round(al[i]! - beI) });
          }
        }
        if (prevFlatGrad === null) prevFlatGrad = flatGrad.clone();
        else prevFlatGrad.copy_(flatGrad);
        prevLoss = loss;

        if (state.n_iter === 1) {
          const inv = round(1 / Number(flatGrad.abs().sum().item()));
          t = inv < 1 ? round(inv * lr) : lr;
        } else {
          t = lr;
        }
        const gtd = dot(flatGrad, d!);
        if (gtd > -toleranceChange) break;

        let lsFuncEvals = 0;
        if (lineSearchFn === "strong_wolfe") {
          const xInit = params.map((p) => p.clone());
          const dir = d!;
          const objFunc = (tt: number): [number, Tensor] => {
            this.#addGrad(tt, dir);
            const [, l] = evalLoss();
            const g = this.#gatherFlatGrad();
            params.forEach((p, i) => {
              p.copy_(xInit[i]!);
            });
            return [l, g];
          };
          const res = strongWolfe(objFunc, t, dir, loss, flatGrad, gtd, round);
          loss = res.loss;
          flatGrad = res.flatGrad;
          t = res.t;
          lsFuncEvals = res.funcEvals;
          this.#addGrad(t, dir);
          optCond = absMax(flatGrad) <= toleranceGrad;
        } else {
          this.#addGrad(t, d!);
          if (nIter !== maxIter) {
            loss = evalLoss()[1];
            flatGrad = this.#gatherFlatGrad();
            optCond = absMax(flatGrad) <= toleranceGrad;
            lsFuncEvals = 1;
          }
        }
        currentEvals += lsFuncEvals;
        state.func_evals = (state.func_evals as number) + lsFuncEvals;

        if (nIter === maxIter) break;
        if (currentEvals >= maxEval) break;
        if (optCond) break;
        if (absMax(d!.mul(t)) <= toleranceChange) break;
        if (Math.abs(loss - prevLoss) < toleranceChange) break;
      }
      state.d = d ?? null;
      state.t = t ?? null;
      state.old_dirs = oldDirs ?? null;
      state.old_stps = oldStps ?? null;
      state.ro = ro ?? null;
      state.H_diag = hDiag ?? null;
      state.prev_flat_grad = prevFlatGrad;
      state.prev_loss = prevLoss ?? null;
      return origLoss;
    });
  }
}
