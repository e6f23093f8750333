// One LSTM or GRU time step's gate math through the backend's fused cell kernels (one node per
// step instead of about ten), used when the backend has them and every operand is float32. The
// composition in rnn-ops.ts stays the definition: the conformance suite compares the kernels with
// it, and a differentiable backward (createGraph) recomputes through Tensor ops so second
// derivatives exist. Depends on src/ops, src/tensor and the backend registry only.

import { f32 } from "../../ops/conv.ts";
import { fusedKernels, uninitializedF32 } from "../../ops/dispatch.ts";
import { cat } from "../../ops/movement.ts";
import { needsGrad, record } from "../../tensor/autograd.ts";
import { isGradEnabled } from "../../tensor/graph.ts";
import type { Tensor } from "../../tensor/tensor.ts";

function allF32(...ts: readonly Tensor[]): boolean {
  return ts.every((t) => t.dtype === "float32");
}

/**
 * The LSTM step from the input and hidden gate pre-activations xg, hg `[B, 4H]` and cPrev
 * `[B, H]`, as `[2, B, H]` holding (h, c); null when the backend has no fused LSTM kernels or an
 * operand is not float32.
 */
export function lstmCellFused(xg: Tensor, hg: Tensor, cPrev: Tensor): Tensor | null {
  const fk = fusedKernels();
  const forward = fk?.lstmCell;
  const backward = fk?.lstmCellBackward;
  if (forward === undefined || backward === undefined || !allF32(xg, hg, cPrev)) return null;
  const [B, G] = xg.shape as [number, number];
  const H = G / 4;
  const x = xg.contiguous();
  const y = hg.contiguous();
  const cp = cPrev.contiguous();
  const n = B * H;
  const hc = uninitializedF32([2, B, H]);
  const act = uninitializedF32([B, G]);
  const tc = uninitializedF32([B, H]);
  const out = f32(hc);
  forward(
    B,
    H,
    f32(x),
    f32(y),
    f32(cp),
    out.subarray(0, n),
    out.subarray(n, 2 * n),
    f32(act),
    f32(tc),
  );
  if (!needsGrad(xg, hg, cPrev)) return hc;
  return record(
    hc,
    "ThnnFusedLstmCellBackward0",
    [xg, hg, cPrev],
    (g) => {
      if (isGradEnabled()) return lstmCellBackwardComposed(xg, hg, cPrev, g);
      const gd = f32(g.contiguous());
      const gates = uninitializedF32([B, G]);
      const gcPrev = uninitializedF32([B, H]);
      backward(
        B,
        H,
        f32(act),
        f32(tc),
        f32(cp),
        gd.subarray(0, n),
        gd.subarray(n, 2 * n),
        f32(gates),
        f32(gcPrev),
      );
      return [gates, gates, gcPrev];
    },
    [xg, hg, cPrev],
  );
}

/** The LSTM step's backward through Tensor ops (differentiable): what the kernel computes. */
function lstmCellBackwardComposed(xg: Tensor, hg: Tensor, cPrev: Tensor, g: Tensor): Tensor[] {
  const H = xg.shape[1]! / 4;
  const gates = xg.add(hg);
  const part = (k: number) => gates.narrow(1, k * H, H);
  const [i, f, gg, o] = [part(0).sigmoid(), part(1).sigmoid(), part(2).tanh(), part(3).sigmoid()];
  const t = f.mul(cPrev).add(i.mul(gg)).tanh();
  const [gh, gc] = [g.select(0, 0), g.select(0, 1)];
  const dc = gc.add(gh.mul(o).mul(t.square().neg().add(1)));
  const dGates = cat(
    [
      dc.mul(gg).mul(i.mul(i.neg().add(1))),
      dc.mul(cPrev).mul(f.mul(f.neg().add(1))),
      dc.mul(i).mul(gg.square().neg().add(1)),
      gh.mul(t).mul(o.mul(o.neg().add(1))),
    ],
    1,
  );
  return [dGates, dGates, dc.mul(f)];
}

/**
 * The GRU step h `[B, H]` from xg, hg `[B, 3H]` and hPrev `[B, H]`; null when the backend has
 * no fused GRU kernels or an operand is not float32.
 */
export function gruCellFused(xg: Tensor, hg: Tensor, hPrev: Tensor): Tensor | null {
  const fk = fusedKernels();
  const forward = fk?.gruCell;
  const backward = fk?.gruCellBackward;
  if (forward === undefined || backward === undefined || !allF32(xg, hg, hPrev)) return null;
  const [B, G] = xg.shape as [number, number];
  const H = G / 3;
  const x = xg.contiguous();
  const y = hg.contiguous();
  const hp = hPrev.contiguous();
  const h = uninitializedF32([B, H]);
  const act = uninitializedF32([B, 4 * H]);
  forward(B, H, f32(x), f32(y), f32(hp), f32(h), f32(act));
  if (!needsGrad(xg, hg, hPrev)) return h;
  return record(
    h,
    "ThnnFusedGruCellBackward0",
    [xg, hg, hPrev],
    (g) => {
      if (isGradEnabled()) return gruCellBackwardComposed(xg, hg, hPrev, g);
      const gx = uninitializedF32([B, G]);
      const gy = uninitializedF32([B, G]);
      const ghPrev = uninitializedF32([B, H]);
      backward(B, H, f32(act), f32(hp), f32(g.contiguous()), f32(gx), f32(gy), f32(ghPrev));
      return [gx, gy, ghPrev];
    },
    [xg, hg, hPrev],
  );
}

/** The GRU step's backward through Tensor ops (differentiable): what the kernel computes. */
function gruCellBackwardComposed(xg: Tensor, hg: Tensor, hPrev: Tensor, g: Tensor): Tensor[] {
  const H = xg.shape[1]! / 3;
  const xp = (k: number) => xg.narrow(1, k * H, H);
  const hp = (k: number) => hg.narrow(1, k * H, H);
  const r = xp(0).add(hp(0)).sigmoid();
  const z = xp(1).add(hp(1)).sigmoid();
  const hn = hp(2);
  const n = xp(2).add(r.mul(hn)).tanh();
  const dn = g.mul(z.neg().add(1)).mul(n.square().neg().add(1));
  const dz = g.mul(hPrev.sub(n)).mul(z.mul(z.neg().add(1)));
  const dr = dn.mul(hn).mul(r.mul(r.neg().add(1)));
  return [cat([dr, dz, dn], 1), cat([dr, dz, dn.mul(r)], 1), g.mul(z)];
}
