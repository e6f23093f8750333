// The native backend's fused linear and relu-gradient kernels against the compositions they
// replace (x.matmul(wᵀ).add(b) and mul(g, gt(y, 0))): values and gradients on odd sizes, with and
// without bias, inputs that need no gradient, 1 and 2 threads and every CPU path; and the
// adoption of fresh gradients, which must never let two tensors share one gradient.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backend, setBackend, setFusedKernels } from "../../src/backend/registry.ts";
import { manualSeed, nn, randn, type Tensor, tensor } from "../../src/index.ts";
import { closeTensors, forEachConfig, skip } from "./helpers.ts";

const F = nn.functional;

/** fn on fresh leaves (those flagged in `grad`), without and with the fused kernels. */
function both(inputs: Tensor[], grad: boolean[], fn: (xs: Tensor[]) => Tensor, seed: number) {
  return [false, true].map((on) => {
    setFusedKernels(on);
    try {
      const xs = inputs.map((t, i) => t.clone().detach().requiresGrad_(grad[i]!));
      const y = fn(xs);
      manualSeed(seed);
      y.backward(randn(y.shape));
      return { y: y.detach(), name: y.gradFn?.name, grads: xs.map((x) => x.grad) };
    } finally {
      setFusedKernels(true);
    }
  });
}

describe("fused linear and relu-gradient kernels match their compositions", { skip }, () => {
  setBackend("native");
  it("the native backend has the kernels", () => {
    const f = backend().fused;
    for (const k of ["linear", "linearBackward", "reluBackward"] as const) {
      assert.equal(typeof f?.[k], "function", k);
    }
  });

  it("linear: odd sizes, bias or not, inputs without gradients, threads and CPU paths", () => {
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [3, 5, 7],
      [64, 784, 128],
      [17, 33, 10],
      [130, 40, 67],
    ];
    forEachConfig((label) => {
      shapes.forEach(([M, K, N], i) => {
        manualSeed(i);
        const x = randn([M, K]);
        const w = randn([N, K]);
        const b = randn([N]);
        for (const grads of [
          [true, true, true],
          [false, true, true],
          [true, false, false],
        ]) {
          const what = `${label} ${M}x${K}x${N} grads ${grads}`;
          const [c, f] = both([x, w, b], grads, ([x, w, b]) => F.linear(x!, w!, b!), i);
          closeTensors(`${what} value`, f!.y, c!.y);
          assert.equal(f!.name, c!.name, `${what} grad_fn`);
          f!.grads.forEach((g, j) => {
            closeTensors(`${what} grad ${j}`, g, c!.grads[j]!, 1e-3);
          });
          const [c2, f2] = both([x, w], grads, ([x, w]) => F.linear(x!, w!), i);
          closeTensors(`${what} no bias value`, f2!.y, c2!.y);
          assert.equal(f2!.name, c2!.name, `${what} no bias grad_fn`);
          f2!.grads.forEach((g, j) => {
            closeTensors(`${what} no bias grad ${j}`, g, c2!.grads[j]!, 1e-3);
          });
        }
      });
    });
  });

  it("linear kernels against float64 sums (NT tiles, K tails and blocks, threads)", () => {
    // Shapes around the 4 x 6 tiles of the AVX-512 NT kernel (which kiln_linear uses for K of
    // 128 and more with few rows or narrow outputs): K off multiples of 16, a last K block
    // shorter than 16, K over several 1024-element blocks; and the packed GEMM's small shapes.
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [1, 15, 1],
      [5, 7, 3],
      [9, 17, 13],
      [2, 129, 1],
      [5, 130, 7],
      [4, 144, 6],
      [33, 389, 11],
      [61, 401, 67],
      [64, 784, 128],
      [3, 1025, 7],
      [130, 2100, 9],
      [301, 40, 90],
      [6, 0, 5],
    ];
    const f = backend().fused!;
    forEachConfig((label) => {
      shapes.forEach(([M, K, N], s) => {
        manualSeed(100 + s);
        const x = randn([M, K]).dataSync() as Float32Array;
        const w = randn([N, K]).dataSync() as Float32Array;
        const b = randn([N]).dataSync() as Float32Array;
        // The gradients too: gw = gᵀ·x reads x's rows in place when x is small (gemm.c).
        const g = randn([M, N]).dataSync() as Float32Array;
        const gx = new Float32Array(M * K).fill(Number.NaN);
        const gw = new Float32Array(N * K).fill(Number.NaN);
        const gb = new Float32Array(N).fill(Number.NaN);
        f.linearBackward!(M, K, N, g, x, w, gx, gw, gb);
        const check = (what: string, got: number, terms: number[]) => {
          const want = Math.fround(terms.reduce((a, t) => a + t, 0));
          const mag = terms.reduce((a, t) => a + Math.abs(t), 0);
          assert.ok(
            Math.abs(got - want) <= 1e-5 * (1 + mag + Math.abs(want)),
            `${label} ${M}x${K}x${N} ${what}: ${got} vs ${want}`,
          );
        };
        const col = (n: number, k: number) =>
          Array.from({ length: M }, (_, m) => g[m * N + n]! * x[m * K + k]!);
        for (let n = 0; n < N; n++) {
          for (let k = 0; k < K; k++) check(`gw[${n}, ${k}]`, gw[n * K + k]!, col(n, k));
          check(
            `gb[${n}]`,
            gb[n]!,
            Array.from({ length: M }, (_, m) => g[m * N + n]!),
          );
        }
        for (let m = 0; m < M; m++) {
          for (let k = 0; k < K; k++) {
            const terms = Array.from({ length: N }, (_, n) => g[m * N + n]! * w[n * K + k]!);
            check(`gx[${m}, ${k}]`, gx[m * K + k]!, terms);
          }
        }
        for (const bias of [b, null]) {
          const out = new Float32Array(M * N).fill(Number.NaN);
          f.linear!(M, K, N, x, w, bias, out);
          for (let m = 0; m < M; m++) {
            for (let n = 0; n < N; n++) {
              let want = 0;
              let mag = 0;
              for (let k = 0; k < K; k++) {
                want += x[m * K + k]! * w[n * K + k]!;
                mag += Math.abs(x[m * K + k]! * w[n * K + k]!);
              }
              want = Math.fround(want);
              if (bias !== null) want = Math.fround(want + bias[n]!);
              const got = out[m * N + n]!;
              assert.ok(
                Math.abs(got - want) <= 1e-5 * (1 + mag + Math.abs(want)),
                `${label} ${M}x${K}x${N} bias ${bias !== null} [${m}, ${n}]: ${got} vs ${want}`,
              );
            }
          }
        }
      });
    });
  });

  it("a weight used twice accumulates both gradients; leaves never share a gradient", () => {
    manualSeed(7);
    const [c, f] = both(
      [randn([4, 6]), randn([5, 6]), randn([5])],
      [true, true, true],
      ([x, w, b]) =>
        F.linear(x!, w!, b!)
          .add(F.linear(x!.mul(2), w!, b!))
          .relu(),
      7,
    );
    f!.grads.forEach((g, j) => {
      closeTensors(`grad ${j}`, g, c!.grads[j]!, 1e-3);
    });
    const [gx, gw, gb] = f!.grads as [Tensor, Tensor, Tensor];
    assert.ok(gx.storage !== gw.storage && gw.storage !== gb.storage && gx.storage !== gb.storage);
  });

  it("a retained output gradient and the leaves' gradients are separate tensors", () => {
    const x = randn([3, 4]).requiresGrad_(true);
    const w = randn([2, 4]).requiresGrad_(true);
    const y = F.linear(x, w);
    y.retainGrad();
    y.sum().backward();
    const before = w.grad!.dataSync().slice();
    x.grad!.zero_();
    y.grad!.zero_();
    assert.deepEqual(w.grad!.dataSync(), before);
  });

  it("retained gradients around relu are not overwritten by its in-place gradient", () => {
    const run = (on: boolean) => {
      setFusedKernels(on);
      try {
        manualSeed(11);
        const x = randn([6, 5]).requiresGrad_(true);
        const w1 = randn([4, 5]).requiresGrad_(true);
        const w2 = randn([3, 4]).requiresGrad_(true);
        const h1 = F.linear(x, w1).relu();
        h1.retainGrad();
        const h = F.linear(h1, w2);
        h.retainGrad();
        F.linear(h.relu(), randn([2, 3]))
          .sum()
          .backward();
        return [x, w1, w2, h1, h].map((t) => Array.from(t.grad!.dataSync()));
      } finally {
        setFusedKernels(true);
      }
    };
    const [fused, composed] = [run(true), run(false)];
    fused.forEach((g, i) => {
      g.forEach((v, j) => {
        assert.ok(Math.abs(v - composed[i]![j]!) <= 1e-4 * (1 + Math.abs(v)), `${i}[${j}]`);
      });
    });
  });

  it("a gradient an op forwards to two inputs is not overwritten by either", () => {
    const run = (on: boolean) => {
      setFusedKernels(on);
      try {
        manualSeed(13);
        const x = randn([5, 6]).requiresGrad_(true);
        const w1 = randn([7, 6]).requiresGrad_(true);
        const w2 = randn([7, 6]).requiresGrad_(true);
        const w3 = randn([3, 7]).requiresGrad_(true);
        // add forwards the fresh gradient of the last linear to both relus (a residual join).
        const z = F.linear(x, w1).relu().add(F.linear(x, w2).relu());
        F.linear(z, w3).square().sum().backward();
        return [x, w1, w2, w3].map((t) => Array.from(t.grad!.dataSync()));
      } finally {
        setFusedKernels(true);
      }
    };
    const [fused, composed] = [run(true), run(false)];
    fused.forEach((g, i) => {
      g.forEach((v, j) => {
        assert.ok(Math.abs(v - composed[i]![j]!) <= 1e-4 * (1 + Math.abs(v)), `${i}[${j}]`);
      });
    });
  });

  it("recycled gradient buffers never reach a tensor that is still held", () => {
    const step = (on: boolean, retain: boolean) => {
      setFusedKernels(on);
      try {
        manualSeed(5);
        const conv1 = new nn.Conv2d(1, 4, 3);
        const conv2 = new nn.Conv2d(4, 6, 3);
        const x = randn([3, 1, 30, 30]).requiresGrad_(true);
        const kept: Tensor[] = [];
        const grads: number[][] = [];
        for (let s = 0; s < 3; s++) {
          for (const p of [...conv1.parameters(), ...conv2.parameters(), x]) p.grad = null;
          const h1 = F.maxPool2d(conv1.forward(x).relu(), 2);
          if (retain) h1.retainGrad();
          const h2 = F.maxPool2d(conv2.forward(h1).relu(), 2);
          h2.square().sum().backward();
          const held = [...conv1.parameters(), ...conv2.parameters(), x].map((p) => p.grad!);
          if (retain) held.push(h1.grad!);
          kept.push(...held);
          grads.push(...held.map((g) => Array.from(g.dataSync())));
        }
        // Every gradient still reads what it read when it was made.
        kept.forEach((g, i) => {
          assert.deepEqual(Array.from(g.dataSync()), grads[i], `grad ${i}`);
        });
        return grads;
      } finally {
        setFusedKernels(true);
      }
    };
    for (const retain of [false, true]) {
      const [fused, composed] = [step(true, retain), step(false, retain)];
      fused.forEach((g, i) => {
        g.forEach((v, j) => {
          const w = composed[i]![j]!;
          assert.ok(Math.abs(v - w) <= 1e-3 * (1 + Math.abs(w)), `retain ${retain} ${i}[${j}]`);
        });
      });
    }
  });

  it("relu's gradient: negatives, zeros, NaN and infinities, bit for bit", () => {
    const values = [-2, -0, 0, 1e-30, 3, Number.NaN, Number.POSITIVE_INFINITY, -1];
    const grads = [
      1,
      -1,
      Number.NaN,
      Number.NEGATIVE_INFINITY,
      -5,
      2,
      Number.POSITIVE_INFINITY,
      -3,
    ];
    const n = 37;
    const xs = tensor(Array.from({ length: n }, (_, i) => values[i % values.length]!));
    const gs = tensor(Array.from({ length: n }, (_, i) => grads[(i * 3) % grads.length]!));
    const run = (on: boolean) => {
      setFusedKernels(on);
      try {
        const x = xs.clone().requiresGrad_(true);
        x.relu().backward(gs);
        return Array.from(x.grad!.dataSync(), (v) => (Object.is(v, -0) ? "-0" : String(v)));
      } finally {
        setFusedKernels(true);
      }
    };
    assert.deepEqual(run(true), run(false));
  });
});
