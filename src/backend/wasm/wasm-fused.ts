// The wasm backend's fused float32 kernels (conv, pooling, batch norm, cross-entropy, linear,
// optimizer steps): each call copies its arrays into the module's arena, runs the C kernel and
// copies the arrays it writes back. Checks the C glue of the native addon does (lengths, targets,
// pool indices) happen here, so a bad call throws instead of reading stray arena memory.
// Depends on backend.ts's types and module.ts only (no Node API).

import type { FusedKernels, WindowGeometry } from "../backend.ts";
import type { Arena } from "./module.ts";

const GEOMETRY_FIELDS = [
  "N",
  "C",
  "H",
  "W",
  "O",
  "Ho",
  "Wo",
  "kh",
  "kw",
  "sh",
  "sw",
  "dh",
  "dw",
  "pt",
  "pl",
  "groups",
  "D",
  "Do",
  "kd",
  "sd",
  "dd",
  "pd",
] as const;

function fail(what: string): never {
  throw new RangeError(`kiln wasm fused: ${what}`);
}

/**
 * The fused kernels over the module behind `mem`: those the C kernels of the build provide (the
 * rest, e.g. the recurrent cells, run their composition).
 */
export function createWasmFused(mem: Arena): Partial<FusedKernels> {
  const ex = mem.ex;

  function geometry(g: WindowGeometry): void {
    const ok =
      g.N >= 0 &&
      g.C > 0 &&
      g.H > 0 &&
      g.W > 0 &&
      g.O > 0 &&
      g.Ho > 0 &&
      g.Wo > 0 &&
      g.kh > 0 &&
      g.kw > 0 &&
      g.sh > 0 &&
      g.sw > 0 &&
      g.dh > 0 &&
      g.dw > 0 &&
      g.pt >= 0 &&
      g.pl >= 0 &&
      g.groups > 0 &&
      g.C % g.groups === 0 &&
      g.O % g.groups === 0 &&
      g.D > 0 &&
      g.Do > 0 &&
      g.kd > 0 &&
      g.sd > 0 &&
      g.dd > 0 &&
      g.pd >= 0;
    if (!ok) fail("bad window geometry");
    const meta = mem.meta;
    for (let i = 0; i < GEOMETRY_FIELDS.length; i++) meta[i] = g[GEOMETRY_FIELDS[i]!];
  }

  /** Copies a (at least `need` long) into the arena; 0 (NULL) for null. */
  function put(a: Float32Array | Int32Array | null, need: number): number {
    if (a === null) return 0;
    if (a.length < need) fail(`array of ${a.length} elements, expected at least ${need}`);
    return mem.copyIn(a, 0, need);
  }

  /** Room for an output the kernel writes whole (not copied in). */
  function room(a: Float32Array | Int32Array | null, need: number): number {
    if (a === null) return 0;
    if (a.length < need) fail(`array of ${a.length} elements, expected at least ${need}`);
    return mem.room(a, need);
  }

  function back(p: number, a: Float32Array | Int32Array | null, n: number): void {
    if (a !== null) mem.copyOut(p, a, 0, n);
  }

  const xSize = (g: WindowGeometry) => g.N * g.C * g.D * g.H * g.W;
  const ySize = (g: WindowGeometry) => g.N * g.O * g.Do * g.Ho * g.Wo;
  const wSize = (g: WindowGeometry) => g.O * ((g.C / g.groups) * g.kd * g.kh * g.kw);
  const pooled = (g: WindowGeometry) => g.N * g.C * g.Do * g.Ho * g.Wo;

  function work(): number {
    return mem.alloc(ex.kw_conv2d_work() * 4);
  }

  function checkTargets(rows: number, C: number, target: Int32Array, ignore: number): void {
    if (rows < 0 || C <= 0) fail("bad cross-entropy shape");
    for (let i = 0; i < rows; i++) {
      const t = target[i]!;
      if (t !== ignore && (t < 0 || t >= C)) fail(`target ${t} out of range [0, ${C})`);
    }
  }

  const rnn = rnnKernels(mem, put, back);
  const rows = rowKernels(mem, put, room, back);
  return {
    ...rnn,
    ...rows,
    conv2d(g, x, w, bias, out) {
      mem.reset();
      geometry(g);
      const px = put(x, xSize(g));
      const pw = put(w, wSize(g));
      const pb = put(bias, g.O);
      const po = room(out, ySize(g));
      ex.kw_conv2d(px, pw, pb, po, work());
      back(po, out, ySize(g));
    },
    conv2dInputGrad(g, gy, w, gx) {
      mem.reset();
      geometry(g);
      const pgy = put(gy, ySize(g));
      const pw = put(w, wSize(g));
      const pgx = room(gx, xSize(g));
      ex.kw_conv2d_input_grad(pgy, pw, pgx, work());
      back(pgx, gx, xSize(g));
    },
    conv2dWeightGrad(g, gy, x, gw, gb) {
      mem.reset();
      geometry(g);
      const pgy = put(gy, ySize(g));
      const px = put(x, xSize(g));
      const pgw = room(gw, wSize(g));
      const pgb = room(gb, g.O);
      ex.kw_conv2d_weight_grad(pgy, px, pgw, pgb, work());
      back(pgw, gw, wSize(g));
      back(pgb, gb, g.O);
    },
    maxPool2d(g, x, out, argmax) {
      mem.reset();
      geometry(g);
      if (xSize(g) > 0x7fffffff) fail("input too large");
      const px = put(x, xSize(g));
      const po = room(out, pooled(g));
      const pa = room(argmax, pooled(g));
      ex.kw_max_pool2d(px, po, pa);
      back(po, out, pooled(g));
      back(pa, argmax, pooled(g));
    },
    maxPool2dBackward(g, gy, argmax, gx) {
      mem.reset();
      geometry(g);
      // Each position is -1 (padding) or inside its own plane (a D x H x W volume in 3-D), as
      // the addon checks (gx is written plane by plane).
      const plane = g.D * g.H * g.W;
      const per = g.Do * g.Ho * g.Wo;
      const n = pooled(g);
      if (xSize(g) > 0x7fffffff) fail("pool input too large");
      if (argmax.length < n) fail("argmax too short");
      for (let i = 0, p = 0; i < n; p++, i += per) {
        const lo = p * plane;
        for (let q = i; q < i + per; q++) {
          const k = argmax[q]!;
          if (k >= 0 && (k < lo || k >= lo + plane)) fail(`pool index ${k} out of range`);
        }
      }
      const pgy = put(gy, n);
      const pa = put(argmax, n);
      const pgx = room(gx, xSize(g));
      ex.kw_max_pool2d_backward(pgy, pa, pgx);
      back(pgx, gx, xSize(g));
    },
    avgPool2d(g, countIncludePad, divisorOverride, x, out) {
      mem.reset();
      geometry(g);
      if (g.D !== 1 || g.Do !== 1 || g.kd !== 1 || g.pd !== 0)
        fail("a 2-D window kernel got a 3-D geometry");
      const px = put(x, xSize(g));
      const po = room(out, pooled(g));
      ex.kw_avg_pool2d(countIncludePad ? 1 : 0, divisorOverride, px, po);
      back(po, out, pooled(g));
    },
    avgPool2dBackward(g, countIncludePad, divisorOverride, gy, gx) {
      mem.reset();
      geometry(g);
      if (g.D !== 1 || g.Do !== 1 || g.kd !== 1 || g.pd !== 0)
        fail("a 2-D window kernel got a 3-D geometry");
      const pgy = put(gy, pooled(g));
      const pgx = room(gx, xSize(g));
      ex.kw_avg_pool2d_backward(countIncludePad ? 1 : 0, divisorOverride, pgy, pgx);
      back(pgx, gx, xSize(g));
    },
    batchNorm([N, C, L], x, w, b, mean, invstd, variance, eps, training, y) {
      if (N < 0 || C < 0 || L < 0) fail("bad batch norm shape");
      mem.reset();
      const n = N * C * L;
      const px = put(x, n);
      const pw = put(w, C);
      const pb = put(b, C);
      // Training writes the statistics; otherwise mean and invstd are read.
      const pm = training ? room(mean, C) : put(mean, C);
      const pi = training ? room(invstd, C) : put(invstd, C);
      const pv = training ? room(variance, C) : put(variance, C);
      const py = room(y, n);
      ex.kw_batch_norm(N, C, L, px, pw, pb, pm, pi, pv, eps, training ? 1 : 0, py);
      back(py, y, n);
      if (training) {
        back(pm, mean, C);
        back(pi, invstd, C);
        back(pv, variance, C);
      }
    },
    batchNormBackward([N, C, L], gy, x, w, mean, invstd, training, gx, gw, gb) {
      if (N < 0 || C < 0 || L < 0) fail("bad batch norm shape");
      mem.reset();
      const n = N * C * L;
      const pgy = put(gy, n);
      const px = put(x, n);
      const pw = put(w, C);
      const pm = put(mean, C);
      const pi = put(invstd, C);
      const pgx = room(gx, n);
      const pgw = room(gw, C);
      const pgb = room(gb, C);
      ex.kw_batch_norm_backward(N, C, L, pgy, px, pw, pm, pi, training ? 1 : 0, pgx, pgw, pgb);
      back(pgx, gx, n);
      back(pgw, gw, C);
      back(pgb, gb, C);
    },
    crossEntropy(rows, C, x, target, weight, ignoreIndex, labelSmoothing, loss, rowWeight, lse) {
      checkTargets(rows, C, target, ignoreIndex);
      mem.reset();
      const px = put(x, rows * C);
      const pt = put(target, rows);
      const pw = put(weight, C);
      const pl = room(loss, rows);
      const pr = room(rowWeight, rows);
      const ps = room(lse, rows);
      ex.kw_cross_entropy(rows, C, px, pt, pw, ignoreIndex, labelSmoothing, pl, pr, ps);
      back(pl, loss, rows);
      back(pr, rowWeight, rows);
      back(ps, lse, rows);
    },
    crossEntropyBackward(
      rows,
      C,
      x,
      target,
      weight,
      ignoreIndex,
      labelSmoothing,
      lse,
      g,
      gStride,
      gx,
    ) {
      checkTargets(rows, C, target, ignoreIndex);
      mem.reset();
      const px = put(x, rows * C);
      const pt = put(target, rows);
      const pw = put(weight, C);
      const ps = put(lse, rows);
      const pg = put(g, gStride ? rows : 1);
      const pgx = room(gx, rows * C);
      ex.kw_cross_entropy_backward(
        rows,
        C,
        px,
        pt,
        pw,
        ignoreIndex,
        labelSmoothing,
        ps,
        pg,
        gStride,
        pgx,
      );
      back(pgx, gx, rows * C);
    },
    linear(M, K, N, x, w, bias, out) {
      if (M < 0 || K < 0 || N < 0) fail("bad linear shape");
      mem.reset();
      const px = put(x, M * K);
      const pw = put(w, N * K);
      const pb = put(bias, N);
      const po = room(out, M * N);
      ex.kw_linear(M, K, N, px, pw, pb, po);
      back(po, out, M * N);
    },
    linearBackward(M, K, N, g, x, w, gx, gw, gb) {
      if (M < 0 || K < 0 || N < 0) fail("bad linear shape");
      mem.reset();
      const pg = put(g, M * N);
      const px = put(x, M * K);
      const pw = put(w, N * K);
      const pgx = room(gx, M * K);
      const pgw = room(gw, N * K);
      const pgb = room(gb, N);
      ex.kw_linear_backward(M, K, N, pg, px, pw, pgx, pgw, pgb);
      back(pgx, gx, M * K);
      back(pgw, gw, N * K);
      back(pgb, gb, N);
    },
    reluBackward(n, y, g, gx) {
      if (n < 0) fail("bad length");
      mem.reset();
      const py = put(y, n);
      const pg = put(g, n);
      const pgx = room(gx, n);
      ex.kw_relu_backward(n, py, pg, pgx);
      back(pgx, gx, n);
    },
    sgdMany(params, grads, bufs, firstSteps, o) {
      for (let t = 0; t < params.length; t++) {
        const p = params[t]!;
        const buf = bufs[t] ?? null;
        const n = p.length;
        mem.reset();
        const pp = put(p, n);
        const pg = put(grads[t]!, n);
        const pb = put(buf, n);
        // biome-ignore format: the C argument order
        ex.kw_sgd(n, pp, pg, pb, o.lr, o.momentum, 1 - o.dampening, o.weightDecay, o.nesterov ? 1 : 0, o.maximize ? 1 : 0, firstSteps[t] ? 1 : 0);
        back(pp, p, n);
        back(pb, buf, n);
      }
    },
    adam(param, grad, expAvg, expAvgSq, maxExpAvgSq, o) {
      const n = param.length;
      mem.reset();
      const pp = put(param, n);
      const pg = put(grad, n);
      const pm = put(expAvg, n);
      const pv = put(expAvgSq, n);
      const px = put(maxExpAvgSq, n);
      // biome-ignore format: the C argument order
      ex.kw_adam(n, pp, pg, pm, pv, px, o.beta1, o.beta2, 1 - o.beta1, 1 - o.beta2, o.eps, o.weightDecay, 1 - o.lr * o.weightDecay, o.biasCorrection2Sqrt, -o.stepSize, o.decoupled ? 1 : 0, o.maximize ? 1 : 0);
      back(pp, param, n);
      back(pm, expAvg, n);
      back(pv, expAvgSq, n);
      back(px, maxExpAvgSq, n);
    },
  };
}

type Put = (a: Float32Array | Int32Array | null, need: number) => number;
type Back = (p: number, a: Float32Array | Int32Array | null, n: number) => void;

/**
 * The recurrent cell steps, where the module has them (a kiln.wasm built before rnn_cell.c lacks
 * them: the cells then run their composition). Outputs are copied in too, as the addon writes
 * into the caller's arrays.
 */
function rnnKernels(mem: Arena, put: Put, back: Back): Partial<FusedKernels> {
  const ex = mem.ex;
  const check = (B: number, H: number) => {
    if (!(B >= 0 && H >= 0)) fail("bad recurrent cell shape");
  };
  const out: Partial<FusedKernels> = {};
  const lstm = ex.kw_lstm_cell;
  const lstmBack = ex.kw_lstm_cell_backward;
  const gru = ex.kw_gru_cell;
  const gruBack = ex.kw_gru_cell_backward;
  if (lstm !== undefined) {
    out.lstmCell = (B, H, xg, hg, cPrev, h, c, act, tc) => {
      check(B, H);
      mem.reset();
      const [n, g4] = [B * H, B * 4 * H];
      const p = [put(xg, g4), put(hg, g4), put(cPrev, n), put(h, n), put(c, n), put(act, g4)];
      const ptc = put(tc, n);
      lstm(B, H, p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!, ptc);
      back(p[3]!, h, n);
      back(p[4]!, c, n);
      back(p[5]!, act, g4);
      back(ptc, tc, n);
    };
  }
  if (lstmBack !== undefined) {
    out.lstmCellBackward = (B, H, act, tc, cPrev, gh, gc, ggates, gcPrev) => {
      check(B, H);
      mem.reset();
      const [n, g4] = [B * H, B * 4 * H];
      const p = [put(act, g4), put(tc, n), put(cPrev, n), put(gh, n), put(gc, n)];
      const pg = put(ggates, g4);
      const pc = put(gcPrev, n);
      lstmBack(B, H, p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, pg, pc);
      back(pg, ggates, g4);
      back(pc, gcPrev, n);
    };
  }
  if (gru !== undefined) {
    out.gruCell = (B, H, xg, hg, hPrev, h, act) => {
      check(B, H);
      mem.reset();
      const [n, g3, g4] = [B * H, B * 3 * H, B * 4 * H];
      const p = [put(xg, g3), put(hg, g3), put(hPrev, n)];
      const ph = put(h, n);
      const pa = put(act, g4);
      gru(B, H, p[0]!, p[1]!, p[2]!, ph, pa);
      back(ph, h, n);
      back(pa, act, g4);
    };
  }
  if (gruBack !== undefined) {
    out.gruCellBackward = (B, H, act, hPrev, gh, gxg, ghg, ghPrev) => {
      check(B, H);
      mem.reset();
      const [n, g3, g4] = [B * H, B * 3 * H, B * 4 * H];
      const p = [put(act, g4), put(hPrev, n), put(gh, n)];
      const px = put(gxg, g3);
      const pg = put(ghg, g3);
      const ph = put(ghPrev, n);
      gruBack(B, H, p[0]!, p[1]!, p[2]!, px, pg, ph);
      back(px, gxg, g3);
      back(pg, ghg, g3);
      back(ph, ghPrev, n);
    };
  }
  return out;
}

/**
 * Layer norm and softmax over rows, where the module has them (a kiln.wasm built before
 * layer_norm.c and softmax.c lacks them: those ops then run their composition).
 */
function rowKernels(mem: Arena, put: Put, room: Put, back: Back): Partial<FusedKernels> {
  const ex = mem.ex;
  const check = (M: number, N: number) => {
    if (!(M >= 0 && N >= 0)) fail("bad row-kernel shape");
  };
  const out: Partial<FusedKernels> = {};
  const ln = ex.kw_layer_norm;
  const lnBack = ex.kw_layer_norm_backward;
  const sm = ex.kw_softmax;
  const smBack = ex.kw_softmax_backward;
  if (ln !== undefined && lnBack !== undefined) {
    out.layerNorm = (M, N, x, w, b, eps, mean, rstd, y) => {
      check(M, N);
      mem.reset();
      const [px, pw, pb] = [put(x, M * N), put(w, N), put(b, N)];
      const [pm, pr, py] = [room(mean, M), room(rstd, M), room(y, M * N)];
      ln(M, N, px, pw, pb, eps, pm, pr, py);
      back(pm, mean, M);
      back(pr, rstd, M);
      back(py, y, M * N);
    };
    out.layerNormBackward = (M, N, gy, x, w, mean, rstd, gx, gw, gb) => {
      check(M, N);
      mem.reset();
      const p = [put(gy, M * N), put(x, M * N), put(w, N), put(mean, M), put(rstd, M)];
      const [pgx, pgw, pgb] = [room(gx, M * N), room(gw, N), room(gb, N)];
      lnBack(M, N, p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, pgx, pgw, pgb);
      back(pgx, gx, M * N);
      back(pgw, gw, N);
      back(pgb, gb, N);
    };
  }
  if (sm !== undefined && smBack !== undefined) {
    out.softmax = (M, N, x, logForm, y) => {
      check(M, N);
      mem.reset();
      const px = put(x, M * N);
      const py = room(y, M * N);
      sm(M, N, px, logForm ? 1 : 0, py);
      back(py, y, M * N);
    };
    out.softmaxBackward = (M, N, y, gy, logForm, gx) => {
      check(M, N);
      mem.reset();
      const [py, pg] = [put(y, M * N), put(gy, M * N)];
      const pgx = room(gx, M * N);
      smBack(M, N, py, pg, logForm ? 1 : 0, pgx);
      back(pgx, gx, M * N);
    };
  }
  return out;
}
