// Conformance cases of the fused elementwise kernels (reluBackward, and the SGD / Adam / AdamW
// updates) against their compositions on the reference backend. Each is a fixed sequence of
// IEEE operations per element, so results must match bit for bit (signed zeros included).

import { fromTypedArray, type Tensor } from "../../src/index.ts";
import { adam } from "../../src/optim/adam.ts";
import { adamw } from "../../src/optim/adamw.ts";
import { sgd } from "../../src/optim/sgd.ts";
import {
  check,
  data,
  inPlace32,
  onReference,
  out32,
  type Run,
  rand32,
  t32,
  threads,
} from "./fused-common.ts";
import type { Guarded } from "./helpers.ts";

/** gx = g·[y > 0], rounded as that product: the composition g.mul(y.gt(0)). */
export const reluBackwardRun: Run = (f, ctx, name) => {
  const r = ctx.r;
  for (const n of [0, 1, 15, 17, 1000, 4099, 1_100_001]) {
    const y = rand32(r, n, 4, 0.1);
    const g = rand32(r, n, 4, 0.1);
    const want = onReference(() => data(t32(g, [n]).mul(t32(y, [n]).gt(0))));
    threads(ctx, (cfg) => {
      const gx = out32(n);
      f.reluBackward(n, y, g, gx.out);
      check(`${name} n ${n}, ${cfg}`, gx, want, null);
    });
    ctx.count(name);
  }
};

const SGD_CONFIGS = [
  { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
  { lr: 0.1, momentum: 0.9, dampening: 0.3, weightDecay: 0, nesterov: false, maximize: false },
  { lr: 0.05, momentum: 0.8, dampening: 0, weightDecay: 0.01, nesterov: true, maximize: false },
  { lr: 0.1, momentum: 0.5, dampening: 0, weightDecay: 0.1, nesterov: false, maximize: true },
];

/** Three SGD steps of parameters of several sizes (empty and 1.1M included). */
export const sgdRun: Run = (f, ctx, name) => {
  const r = ctx.r;
  const sizes = name === "sgdMany" ? [0, 1, 35, 1027, 1_100_001] : [0, 1, 35, 1027];
  for (const [ci, o] of SGD_CONFIGS.entries()) {
    const label = `${name} config ${ci} ${JSON.stringify(o)}`;
    const p0 = sizes.map((n) => rand32(r, n));
    const grads = [0, 1, 2].map(() => sizes.map((n) => rand32(r, n, 2, ci === 3 ? 0.05 : 0)));
    // Reference: src/optim's sgd() on the reference backend (no fused kernels there).
    const ref = onReference(() => {
      const params = p0.map((p) => fromTypedArray(p.slice()));
      const bufs: (Tensor | null)[] = sizes.map(() => null);
      return grads.map((gs) => {
        sgd(
          params,
          gs.map((g) => fromTypedArray(g)),
          bufs,
          o,
        );
        return { params: params.map(data), bufs: bufs.map(data) };
      });
    });
    threads(ctx, (cfg) => {
      const params = p0.map((p) => inPlace32(p));
      const bufs: (Guarded<Float32Array> | null)[] = sizes.map((n) =>
        o.momentum === 0 ? null : out32(n),
      );
      grads.forEach((gs, step) => {
        const first = step === 0;
        f.sgdMany(
          params.map((p) => p.out),
          gs,
          bufs.map((b) => b?.out ?? null),
          sizes.map(() => first && o.momentum !== 0),
          o,
        );
        params.forEach((p, i) => {
          const want = ref[step]!;
          check(`${label} step ${step} param ${i}, ${cfg}`, p, want.params[i]!, null);
          const b = bufs[i];
          if (b != null) check(`${label} step ${step} buf ${i}, ${cfg}`, b, want.bufs[i]!, null);
        });
      });
    });
    ctx.count(name);
  }
};

const ADAM_CONFIGS = [
  {
    decoupled: false,
    lr: 0.01,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0.1,
    amsgrad: false,
    maximize: false,
  },
  {
    decoupled: false,
    lr: 0.02,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0,
    amsgrad: true,
    maximize: true,
  },
  {
    decoupled: true,
    lr: 0.01,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0.05,
    amsgrad: false,
    maximize: false,
  },
  {
    decoupled: true,
    lr: 0.01,
    betas: [0.8, 0.9],
    eps: 1e-6,
    weightDecay: 0.01,
    amsgrad: true,
    maximize: false,
  },
] as const;

/** Three Adam / AdamW steps (amsgrad, maximize, weight decay) on sizes up to 1.1M. */
export const adamRun: Run = (f, ctx, name) => {
  const r = ctx.r;
  for (const [ci, c] of ADAM_CONFIGS.entries()) {
    for (const n of ci === 0 ? [0, 1, 37, 1_100_001] : [1, 37, 4099]) {
      const { decoupled, ...o } = c;
      const label = `${name} config ${ci} ${JSON.stringify(c)} n ${n}`;
      const p0 = rand32(r, n);
      const grads = [0, 1, 2].map(() => rand32(r, n));
      const ref = onReference(() => {
        const param = fromTypedArray(p0.slice());
        const m = fromTypedArray(new Float32Array(n));
        const v = fromTypedArray(new Float32Array(n));
        const vmax = fromTypedArray(new Float32Array(n));
        const update = decoupled ? adamw : adam;
        return grads.map((g, step) => {
          update([param], [fromTypedArray(g)], [m], [v], o.amsgrad ? [vmax] : [], [step + 1], o);
          return { param: data(param), m: data(m), v: data(v), vmax: data(vmax) };
        });
      });
      threads(ctx, (cfg) => {
        const param = inPlace32(p0);
        const m = inPlace32(new Float32Array(n));
        const v = inPlace32(new Float32Array(n));
        const vmax = o.amsgrad ? inPlace32(new Float32Array(n)) : null;
        const [beta1, beta2] = o.betas;
        grads.forEach((g, step) => {
          const t = step + 1;
          f.adam(param.out, g, m.out, v.out, vmax?.out ?? null, {
            beta1,
            beta2,
            eps: o.eps,
            weightDecay: o.weightDecay,
            decoupled,
            lr: o.lr,
            maximize: o.maximize,
            biasCorrection2Sqrt: Math.sqrt(1 - beta2 ** t),
            stepSize: o.lr / (1 - beta1 ** t),
          });
          const want = ref[step]!;
          check(`${label} step ${t} param, ${cfg}`, param, want.param, null);
          check(`${label} step ${t} expAvg, ${cfg}`, m, want.m, null);
          check(`${label} step ${t} expAvgSq, ${cfg}`, v, want.v, null);
          if (vmax !== null) check(`${label} step ${t} maxExpAvgSq, ${cfg}`, vmax, want.vmax, null);
        });
      });
      ctx.count(name);
    }
  }
};
