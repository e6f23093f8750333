// Conformance cases of the fused recurrent cell kernels (lstmCell, gruCell and their backward):
// each against the definition, rnn-ops.ts's cellGates composed of Tensor ops on the reference
// backend, autograd giving the backward. Forward rounds as the composition (sigmoid and tanh in
// double, products and sums in float, the same order); the backward's sums run in another order,
// so it gets a few units of roundoff of the magnitudes involved.

import { cellGates } from "../../src/nn/layers/rnn-ops.ts";
import {
  abs32,
  check,
  cpuPaths,
  data,
  type FusedCtx,
  onReference,
  out32,
  type Run,
  rand32,
  t32,
  u,
} from "./fused-common.ts";

const SHAPES: [number, number][] = [
  [1, 1],
  [3, 5],
  [0, 4],
  [16, 128],
  [7, 33],
];

function forwardTol(want: ArrayLike<number>) {
  return (i: number) => 4 * u * (1 + Math.abs(want[i]!));
}

export const lstmCellRun: Run = (f, ctx: FusedCtx, name) => {
  for (const [B, H] of SHAPES) {
    const r = ctx.r;
    const xg = rand32(r, B * 4 * H, 3);
    const hg = rand32(r, B * 4 * H, 3);
    const cPrev = rand32(r, B * H, 2);
    const gh = rand32(r, B * H);
    const gc = rand32(r, B * H);
    const ref = onReference(() => {
      const [x, y, c0] = [
        t32(xg, [B, 4 * H], true),
        t32(hg, [B, 4 * H], true),
        t32(cPrev, [B, H], true),
      ];
      const { h, c } = cellGates("LSTM", x, y, { h: t32(new Float32Array(B * H), [B, H]), c: c0 });
      h.mul(t32(gh, [B, H]))
        .sum()
        .add(c!.mul(t32(gc, [B, H])).sum())
        .backward();
      return { h: data(h), c: data(c), gx: data(x.grad), gy: data(y.grad), gc0: data(c0.grad) };
    });
    const label = `${name} B ${B} H ${H}`;
    cpuPaths(ctx, (cfg) => {
      const act = new Float32Array(B * 4 * H);
      const tc = new Float32Array(B * H);
      const h = out32(B * H);
      const c = out32(B * H);
      f.lstmCell(B, H, xg, hg, cPrev, h.out, c.out, act, tc);
      if (name === "lstmCell") {
        check(`${label} h, ${cfg}`, h, ref.h, forwardTol(ref.h));
        check(`${label} c, ${cfg}`, c, ref.c, forwardTol(ref.c));
        return;
      }
      const gates = out32(B * 4 * H);
      const gcPrev = out32(B * H);
      f.lstmCellBackward(B, H, act, tc, cPrev, gh, gc, gates.out, gcPrev.out);
      // |gradient| ≤ (|gc| + |gh|)·(1 + |cPrev|): each is a few products of such terms.
      const scale = Float64Array.from(
        { length: B * H },
        (_, k) => (1 + Math.abs(gc[k]!) + Math.abs(gh[k]!)) * (1 + Math.abs(cPrev[k]!)),
      );
      const row = (i: number) => scale[Math.floor(i / (4 * H)) * H + (i % H)]!;
      check(`${label} gates, ${cfg}`, gates, ref.gx, (i) => 16 * u * row(i));
      check(`${label} same for hg, ${cfg}`, gates, ref.gy, (i) => 16 * u * row(i));
      check(`${label} cPrev, ${cfg}`, gcPrev, ref.gc0, (i) => 16 * u * scale[i]!);
    });
    ctx.count(name);
  }
};

export const gruCellRun: Run = (f, ctx: FusedCtx, name) => {
  for (const [B, H] of SHAPES) {
    const r = ctx.r;
    const xg = rand32(r, B * 3 * H, 3);
    const hg = rand32(r, B * 3 * H, 3);
    const hPrev = rand32(r, B * H, 2);
    const gh = rand32(r, B * H);
    const ref = onReference(() => {
      const [x, y, h0] = [
        t32(xg, [B, 3 * H], true),
        t32(hg, [B, 3 * H], true),
        t32(hPrev, [B, H], true),
      ];
      const { h } = cellGates("GRU", x, y, { h: h0, c: null });
      h.backward(t32(gh, [B, H]));
      return { h: data(h), gx: data(x.grad), gy: data(y.grad), gh0: data(h0.grad) };
    });
    const label = `${name} B ${B} H ${H}`;
    cpuPaths(ctx, (cfg) => {
      const act = new Float32Array(B * 4 * H);
      const h = out32(B * H);
      f.gruCell(B, H, xg, hg, hPrev, h.out, act);
      if (name === "gruCell") {
        check(`${label} h, ${cfg}`, h, ref.h, forwardTol(ref.h));
        return;
      }
      const gx = out32(B * 3 * H);
      const gy = out32(B * 3 * H);
      const ghPrev = out32(B * H);
      f.gruCellBackward(B, H, act, hPrev, gh, gx.out, gy.out, ghPrev.out);
      // |gradient| ≤ |gh|·(1 + |hPrev|)·(1 + |hn|): products of such terms.
      const hn = abs32(hg);
      const bound = (i: number) => {
        const b = Math.floor(i / (3 * H));
        const j = i % H;
        return (
          (1 + Math.abs(gh[b * H + j]!)) *
          (1 + Math.abs(hPrev[b * H + j]!)) *
          (1 + hn[b * 3 * H + 2 * H + j]!)
        );
      };
      check(`${label} gxg, ${cfg}`, gx, ref.gx, (i) => 16 * u * bound(i));
      check(`${label} ghg, ${cfg}`, gy, ref.gy, (i) => 16 * u * bound(i));
      check(
        `${label} hPrev, ${cfg}`,
        ghPrev,
        ref.gh0,
        (i) => 16 * u * bound(Math.floor(i / H) * 3 * H + (i % H)),
      );
    });
    ctx.count(name);
  }
};
