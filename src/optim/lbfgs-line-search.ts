// The strong-Wolfe line search and cubic interpolation of torch/optim/lbfgs.py (PyTorch 1.13),
// used by LBFGS with `lineSearchFn: "strong_wolfe"`. Scalars are JS numbers; `round` rounds a
// value the way PyTorch's 0-d tensor of the parameters' dtype would. Depends on Tensor only.

import type { Tensor } from "../tensor/tensor.ts";

/** Minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to `bounds`. */
export function cubicInterpolate(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  bounds?: readonly [number, number],
): number {
  const [xminBound, xmaxBound] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 ** 2 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos =
      x1 <= x2
        ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, xminBound), xmaxBound);
  }
  return (xminBound + xmaxBound) / 2;
}

/** The objective along the search direction: loss and flat gradient at x + t·d. */
export type DirectionalEval = (t: number) => [loss: number, flatGrad: Tensor];

/** What the line search returns: the accepted loss, gradient, step and evaluations used. */
export interface LineSearchResult {
  loss: number;
  flatGrad: Tensor;
  t: number;
  funcEvals: number;
}

/**
 * PyTorch's `_strong_wolfe`: brackets a step satisfying the strong Wolfe conditions
 * (sufficient decrease c1 = 1e-4, curvature c2 = 0.9), then zooms in by cubic interpolation.
 */
export function strongWolfe(
  objFunc: DirectionalEval,
  tInit: number,
  d: Tensor,
  f: number,
  g: Tensor,
  gtd: number,
  round: (x: number) => number,
  c1 = 1e-4,
  c2 = 0.9,
  toleranceChange = 1e-9,
  maxLs = 25,
): LineSearchResult {
  let t = tInit;
  const dNorm = Number(d.abs().max().item());
  const dot = (a: Tensor): number => Number(a.dot(d).item());
  g = g.clone();
  let [fNew, gNew] = objFunc(t);
  let lsFuncEvals = 1;
  let gtdNew = dot(gNew);
  let tPrev = 0;
  let fPrev = f;
  let gPrev = g;
  let gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [];
  let bracketF: number[] = [];
  let bracketG: Tensor[] = [];
  let bracketGtd: number[] = [];
  const armijo = (tt: number): number => round(f + round(c1 * tt * gtd));
  while (lsIter < maxLs) {
    if (fNew > armijo(t) || (lsIter > 1 && fNew >= fPrev)) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew.clone()];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    if (Math.abs(gtdNew) <= round(-c2 * gtd)) {
      bracket = [t];
      bracketF = [fNew];
      bracketG = [gNew];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew.clone()];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = tmp;
    fPrev = fNew;
    gPrev = gNew.clone();
    gtdPrev = gtdNew;
    [fNew, gNew] = objFunc(t);
    lsFuncEvals += 1;
    gtdNew = dot(gNew);
    lsIter += 1;
  }
  if (lsIter === maxLs) {
    bracket = [0, t];
    bracketF = [f, fNew];
    bracketG = [g, gNew];
  }
  let insufProgress = false;
  let [lowPos, highPos] = bracketF[0]! <= bracketF[bracketF.length - 1]! ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1]! - bracket[0]!) * dNorm < toleranceChange) break;
    t = cubicInterpolate(
      bracket[0]!,
      bracketF[0]!,
      bracketGtd[0]!,
      bracket[1]!,
      bracketF[1]!,
      bracketGtd[1]!,
    );
    const hi = Math.max(...bracket);
    const lo = Math.min(...bracket);
    const eps = 0.1 * (hi - lo);
    if (Math.min(hi - t, t - lo) < eps) {
      if (insufProgress || t >= hi || t <= lo) {
        t = Math.abs(t - hi) < Math.abs(t - lo) ? hi - eps : lo + eps;
        insufProgress = false;
      } else {
        insufProgress = true;
      }
    } else {
      insufProgress = false;
    }
    [fNew, gNew] = objFunc(t);
    lsFuncEvals += 1;
    gtdNew = dot(gNew);
    lsIter += 1;
    if (fNew > armijo(t) || fNew >= bracketF[lowPos]!) {
      bracket[highPos] = t;
      bracketF[highPos] = fNew;
      bracketG[highPos] = gNew.clone();
      bracketGtd[highPos] = gtdNew;
      [lowPos, highPos] = bracketF[0]! <= bracketF[1]! ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= round(-c2 * gtd)) {
        done = true;
      } else if (gtdNew * (bracket[highPos]! - bracket[lowPos]!) >= 0) {
        bracket[highPos] = bracket[lowPos]!;
        bracketF[highPos] = bracketF[lowPos]!;
        bracketG[highPos] = bracketG[lowPos]!;
        bracketGtd[highPos] = bracketGtd[lowPos]!;
      }
      bracket[lowPos] = t;
      bracketF[lowPos] = fNew;
      bracketG[lowPos] = gNew.clone();
      bracketGtd[lowPos] = gtdNew;
    }
  }
  return {
    loss: bracketF[lowPos]!,
    flatGrad: bracketG[lowPos]!,
    t: bracket[lowPos]!,
    funcEvals: lsFuncEvals,
  };
}
