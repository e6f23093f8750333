// The sparse output-gradient paths of the native conv2d (native/conv_sparse.c) against float64
// sums: weight and input gradients of a mostly-zero output gradient, on the MNIST CNN's layer and
// on shapes around the paths' limits (4 and 16 input channels, 8- and 16-float positions, 1 x 1 to
// 3 x 3 kernels, an empty plane), on 1 and 2 threads; where they must leave the work to the dense
// kernels. The entry points say which path they took.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Window2dGeometry } from "../../src/backend/backend.ts";
import type { NativeFusedAddon } from "../../src/backend/native/fused.ts";
import { addon, forEachConfig, rng, skip } from "./helpers.ts";

const f = addon as unknown as (NativeFusedAddon & { meta: Int32Array }) | undefined;
const avx512 = addon?.cpuPath() === "avx512";

/** n values, each nonzero with probability `density` (then uniform in [-1, 1)). */
function sparse(n: number, density: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() < density ? 2 * r() - 1 : 0));
}

/** [N, C, H, O, k, padding, stride] → geometry (square images and kernels), set into meta. */
function geometry(N: number, C: number, H: number, O: number, k: number, pad = 0, stride = 1) {
  const Ho = Math.floor((H + 2 * pad - k) / stride) + 1;
  const g: Window2dGeometry = {
    N,
    C,
    H,
    W: H,
    O,
    Ho,
    Wo: Ho,
    kh: k,
    kw: k,
    sh: stride,
    sw: stride,
    dh: 1,
    dw: 1,
    pt: pad,
    pl: pad,
    groups: 1,
  };
  const values = [N, C, H, H, O, Ho, Ho, k, k, stride, stride, 1, 1, pad, pad, 1];
  values.forEach((v, i) => {
    f!.meta[i] = v;
  });
  return { g, work: new Float32Array(f!.conv2dWork()) };
}

/** got against a float64 sum (NaN and infinities exactly). */
function check(what: string, got: number, want: number, mag: number): void {
  if (!Number.isFinite(want)) {
    assert.ok(Object.is(got, Math.fround(want)), `${what}: ${got} vs ${want}`);
    return;
  }
  assert.ok(Math.abs(got - want) <= 1e-5 * (1 + mag), `${what}: ${got} vs ${want}`);
}

/** Every element of got against the float64 sums want (magnitudes mag). */
function checkAll(what: string, got: Float32Array, want: Float64Array, mag: Float64Array): void {
  for (let i = 0; i < got.length; i++) check(`${what}[${i}]`, got[i]!, want[i]!, mag[i]!);
}

/** Float64 weight and input gradients of a stride-1, unpadded convolution, with magnitudes. */
function reference(g: Window2dGeometry, gy: Float32Array, x: Float32Array, w: Float32Array) {
  const { N, C, H, W, O, Ho, Wo, kh, kw } = g;
  const gw = new Float64Array(O * C * kh * kw);
  const gwMag = new Float64Array(gw.length);
  const gx = new Float64Array(N * C * H * W);
  const gxMag = new Float64Array(gx.length);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let h = 0; h < Ho; h++) {
        for (let v = 0; v < Wo; v++) {
          const e = gy[((n * O + o) * Ho + h) * Wo + v]!;
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < kh; i++) {
              for (let j = 0; j < kw; j++) {
                const xi = ((n * C + c) * H + h + i) * W + v + j;
                const wi = ((o * C + c) * kh + i) * kw + j;
                gw[wi] = gw[wi]! + e * x[xi]!;
                gwMag[wi] = gwMag[wi]! + Math.abs(e * x[xi]!);
                gx[xi] = gx[xi]! + e * w[wi]!;
                gxMag[xi] = gxMag[xi]! + Math.abs(e * w[wi]!);
              }
            }
          }
        }
      }
    }
  }
  return { gw, gwMag, gx, gxMag };
}

// [N, C, H, O, k]: the MNIST CNN's second layer; 4 and 16 channels (the limits; 8- and 16-float
// positions); 9 channels in 16-float positions; 2 x 2 and 1 x 1 kernels.
const SHAPES: [number, number, number, number, number][] = [
  [64, 8, 13, 16, 3],
  [5, 4, 9, 7, 3],
  [3, 16, 7, 5, 3],
  [3, 9, 12, 20, 3],
  [4, 6, 10, 9, 2],
  [2, 12, 6, 4, 1],
];

describe("sparse output-gradient conv2d kernels", {
  skip: skip || (!avx512 && "needs AVX-512"),
}, () => {
  it("weight and input gradients equal float64 sums, and the layer takes these paths", () => {
    forEachConfig((label) => {
      SHAPES.forEach(([N, C, H, O, k], s) => {
        const { g, work } = geometry(N, C, H, O, k);
        const x = sparse(N * C * H * H, 1, 10 + s);
        const w = sparse(O * C * k * k, 1, 20 + s);
        const gy = sparse(N * O * g.Ho * g.Wo, 0.2, 30 + s);
        gy.fill(0, 0, g.Ho * g.Wo); // a plane with no nonzero
        const want = reference(g, gy, x, w);
        const what = `${label} N${N} C${C} H${H} O${O} k${k}`;
        const gw = new Float32Array(O * C * k * k).fill(Number.NaN);
        const gb = new Float32Array(O).fill(Number.NaN);
        assert.equal(f!.conv2dWeightGrad(gy, x, gw, gb, work), true, `${what}: weight sparse`);
        checkAll(`${what} gw`, gw, want.gw, want.gwMag);
        const gx = new Float32Array(N * C * H * H).fill(Number.NaN);
        assert.equal(f!.conv2dInputGrad(gy, w, gx, work), true, `${what}: input sparse`);
        checkAll(`${what} gx`, gx, want.gx, want.gxMag);
        for (let o = 0; o < O; o++) {
          let sum = 0;
          let mag = 0;
          for (let n = 0; n < N; n++) {
            for (let p = 0; p < g.Ho * g.Wo; p++) {
              sum += gy[(n * O + o) * g.Ho * g.Wo + p]!;
              mag += Math.abs(gy[(n * O + o) * g.Ho * g.Wo + p]!);
            }
          }
          check(`${what} gb[${o}]`, gb[o]!, sum, mag);
        }
      });
    }, false);
  });

  it("NaN and infinities of the output gradient reach the sums", () => {
    const { g, work } = geometry(4, 8, 9, 6, 3);
    const x = sparse(4 * 8 * 81, 1, 40);
    const w = sparse(6 * 8 * 9, 1, 41);
    const gy = sparse(4 * 6 * 49, 0.2, 42);
    gy[7] = Number.NaN;
    gy[60] = Number.POSITIVE_INFINITY;
    gy[61] = Number.NEGATIVE_INFINITY; // an inf and a -inf meet: NaN
    const want = reference(g, gy, x, w);
    const gw = new Float32Array(w.length);
    const gx = new Float32Array(x.length);
    assert.equal(f!.conv2dWeightGrad(gy, x, gw, null, work), true);
    checkAll("gw", gw, want.gw, want.gwMag);
    assert.equal(f!.conv2dInputGrad(gy, w, gx, work), true);
    checkAll("gx", gx, want.gx, want.gxMag);
  });

  it("steps aside for a denser gradient, an infinity or NaN that a skipped zero would meet, and other shapes", () => {
    const [N, C, H, O, k] = [4, 8, 9, 6, 3];
    const { g, work } = geometry(N, C, H, O, k);
    const x = sparse(N * C * H * H, 1, 50);
    const w = sparse(O * C * k * k, 1, 51);
    const gy = sparse(N * O * g.Ho * g.Wo, 0.2, 52);
    const gw = new Float32Array(w.length);
    const gx = new Float32Array(x.length);
    const dense = sparse(gy.length, 0.6, 53);
    assert.equal(f!.conv2dWeightGrad(dense, x, gw, null, work), false, "dense gy, weight");
    assert.equal(f!.conv2dInputGrad(dense, w, gx, work), false, "dense gy, input");
    for (const bad of [Number.POSITIVE_INFINITY, Number.NaN]) {
      // 0 · inf is NaN: the dense kernels give it, and the sparse paths step aside.
      const xBad = x.slice();
      xBad[3 * H * H + 40] = bad;
      assert.equal(f!.conv2dWeightGrad(gy, xBad, gw, null, work), false, `x holds ${bad}`);
      const wantW = reference(g, gy, xBad, w);
      checkAll(`dense gw, x holds ${bad}`, gw, wantW.gw, wantW.gwMag);
      const wBad = w.slice();
      wBad[100] = bad;
      assert.equal(f!.conv2dInputGrad(gy, wBad, gx, work), false, `w holds ${bad}`);
      const wantX = reference(g, gy, x, wBad);
      checkAll(`dense gx, w holds ${bad}`, gx, wantX.gx, wantX.gxMag);
    }
    // Shapes outside the paths: 3 or 17 channels, padding, stride 2, a 5 x 5 kernel.
    for (const [c, pad, stride, kk] of [
      [3, 0, 1, 3],
      [17, 0, 1, 3],
      [8, 1, 1, 3],
      [8, 0, 2, 3],
      [8, 0, 1, 5],
    ] as const) {
      const other = geometry(2, c, 11, 4, kk, pad, stride);
      const n = other.g;
      const y = sparse(n.N * n.O * n.Ho * n.Wo, 0.2, 60);
      const xs = sparse(n.N * c * 11 * 11, 1, 61);
      const ws = sparse(n.O * c * kk * kk, 1, 62);
      const what = `C${c} pad ${pad} stride ${stride} k${kk}`;
      assert.equal(
        f!.conv2dWeightGrad(y, xs, new Float32Array(ws.length), null, other.work),
        false,
        what,
      );
      assert.equal(f!.conv2dInputGrad(y, ws, new Float32Array(xs.length), other.work), false, what);
    }
  });
});
