// F.layerNorm, F.softmax and F.logSoftmax through the backend's fused row kernels (native and
// wasm have them) against their compositions on the reference backend (the definition): values,
// gradients, PyTorch's grad_fn names, double backward (createGraph differentiates the
// composition), non-contiguous inputs and the inputs the kernels do not take (another dim,
// float64). The kernels themselves are held to the compositions element by element in
// test/backend (fused-softmax-norm.ts); here the tolerance is a plain 1e-5 relative to the row's
// scale. Also two PyTorch behaviours the compositions missed: softmax over an empty dimension
// gives an empty result, and layerNorm refuses an empty normalized_shape.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  autograd,
  getBackend,
  nn,
  randn,
  setBackend,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from "../../src/index.ts";

const F = nn.functional;

type BackendName = Parameters<typeof setBackend>[0];

function on<T>(name: BackendName, fn: () => T): T {
  const before = getBackend() as BackendName;
  setBackend(name);
  try {
    return fn();
  } finally {
    setBackend(before);
  }
}

function values(t: Tensor | null): number[] {
  assert.ok(t !== null);
  return Array.from(t.dataSync() as Float32Array);
}

function assertNear(what: string, got: number[], want: number[], scale = 1): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const [a, b] = [got[i]!, want[i]!];
    if (Number.isNaN(b) || !Number.isFinite(b)) {
      assert.ok(
        Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)),
        `${what}[${i}]: ${a} vs ${b}`,
      );
      continue;
    }
    assert.ok(Math.abs(a - b) <= 1e-5 * (scale + Math.abs(b)), `${what}[${i}]: ${a} vs ${b}`);
  }
}

interface Run {
  y: number[];
  grads: number[][];
  name: string | null;
}

/** fn's output, the gradients of Σ y·gy for `inputs`, and the output's grad_fn name. */
function run(inputs: Tensor[], fn: (...xs: Tensor[]) => Tensor, gy: Tensor): Run {
  const xs = inputs.map((x) => x.detach().clone().requiresGrad_(true));
  const y = fn(...xs);
  y.backward(gy);
  return { y: values(y), grads: xs.map((x) => values(x.grad)), name: y.gradFn?.name ?? null };
}

/** The same call on the backend under test and on the reference backend agree. */
function agrees(label: string, inputs: Tensor[], fn: (...xs: Tensor[]) => Tensor): void {
  const y0 = fn(...inputs);
  const gy = randn(...y0.shape);
  const got = run(inputs, fn, gy);
  const want = on("reference", () => run(inputs, fn, gy));
  assertNear(`${label} y`, got.y, want.y);
  for (const [i, g] of got.grads.entries()) {
    assertNear(`${label} grad ${i}`, g, want.grads[i]!, 1);
  }
  assert.equal(got.name, want.name, `${label}: grad_fn`);
}

const backendName = getBackend();

describe(`fused row ops on the ${backendName} backend agree with their compositions`, () => {
  it("layerNorm: affine or not, one or two normalised dims, non-contiguous input", () => {
    const x = randn(4, 6, 32).mul(3).add(1);
    const w = randn(32);
    const b = randn(32);
    agrees("affine", [x, w, b], (x, w, b) => F.layerNorm(x, [32], w, b, 1e-5));
    agrees("plain", [x], (x) => F.layerNorm(x, [32]));
    agrees("weight only", [x, w], (x, w) => F.layerNorm(x, [32], { weight: w }));
    agrees("two dims", [x, randn(6, 32)], (x, w) => F.layerNorm(x, [6, 32], w, null, 1e-3));
    agrees("transposed", [randn(32, 5), w, b], (x, w, b) => F.layerNorm(x.t(), [32], w, b));
    const ln = new nn.LayerNorm(32);
    assert.equal(ln.forward(x.requiresGrad_(true)).gradFn?.name, "NativeLayerNormBackward0");
  });

  it("softmax and logSoftmax along the last dim, with masked (-inf) entries and a NaN row", () => {
    const x = randn(3, 5, 64).mul(4);
    const mask = zeros(64, 64).add(1).triu(1).bool();
    const scores = randn(2, 64, 64).maskedFill(mask, -Infinity);
    for (const [name, f] of [
      ["softmax", F.softmax],
      ["logSoftmax", F.logSoftmax],
    ] as const) {
      agrees(`${name} dim -1`, [x], (x) => f(x, -1));
      agrees(`${name} dim 2`, [x], (x) => f(x, 2));
      agrees(`${name} causal`, [scores], (s) => f(s, -1));
      agrees(`${name} non-contiguous`, [x], (x) => f(x.transpose(0, 2), -1));
      agrees(`${name} another dim`, [x], (x) => f(x, 1));
      agrees(`${name} float64`, [x.double()], (x) => f(x, -1));
    }
    const nanRow = tensor([
      [1, 2, 3],
      [1, Number.NaN, 3],
    ]);
    assert.deepEqual(values(F.softmax(nanRow, 1)).slice(3).map(Number.isNaN), [true, true, true]);
  });

  it("double backward differentiates the composition (createGraph)", () => {
    const x = randn(4, 16);
    const w = randn(16);
    const c = randn(4, 16);
    const d = randn(4, 16);
    const second = (fn: (x: Tensor) => Tensor) => {
      const xs = x.detach().clone().requiresGrad_(true);
      const [g] = autograd.grad(fn(xs).mul(c).sum(), xs, { createGraph: true });
      const [gg] = autograd.grad(g!.mul(d).sum(), xs);
      return values(gg!);
    };
    for (const [label, fn] of [
      ["softmax", (x: Tensor) => F.softmax(x, -1)],
      ["logSoftmax", (x: Tensor) => F.logSoftmax(x, -1)],
      ["layerNorm", (x: Tensor) => F.layerNorm(x, [16], w)],
    ] as const) {
      assertNear(
        `${label} second derivative`,
        second(fn),
        on("reference", () => second(fn)),
        1,
      );
    }
  });
});

describe("softmax and layerNorm edge cases, as PyTorch", () => {
  it("softmax keeps subnormal probabilities (exp is not flushed to zero)", () => {
    // torch.softmax(torch.tensor([0., -100.]), -1) = [1, 3.7835e-44] (e^-100, a subnormal float)
    const p = values(F.softmax(tensor([0, -100, -104.5]), -1));
    assert.equal(p[0], 1);
    assert.ok(Math.abs(p[1]! - 3.7835e-44) <= 2 ** -149, `e^-100 gave ${p[1]}`);
    assert.equal(p[2], 0); // e^-104.5 < 2^-150 rounds to zero
    assert.ok(Number.isFinite(values(F.logSoftmax(tensor([0, -100]), -1))[1]));
  });

  it("double backward after the input changed in place uses the saved output, as PyTorch", () => {
    // PyTorch's softmax backward reads only its output, so changing the input in place after the
    // forward changes nothing; the gradient below is the reference backend's (its composition
    // saves exp's output).
    const second = () => {
      const leaf = tensor([[1.5, 2, 3]]).requiresGrad_(true);
      const x = leaf.mul(1);
      const y = F.softmax(x, -1);
      x.mul_(3);
      const [g] = autograd.grad(y.mul(tensor([[1.5, 0, 0]])).sum(), leaf, { createGraph: true });
      return values(g!);
    };
    assertNear("gradient", second(), on("reference", second), 1);
  });

  it("layerNorm refuses a weight or bias not shaped as normalized_shape", () => {
    // PyTorch: "Expected weight to be of same shape as normalized_shape, but got weight of shape
    // [5, 4] and normalized_shape = [4, 5]"
    for (const backend of [backendName, "reference"] as BackendName[]) {
      on(backend, () => {
        const x = randn(2, 4, 5);
        assert.throws(
          () => F.layerNorm(x, [4, 5], randn(5, 4)),
          /layerNorm: Expected weight to be of same shape as normalized_shape, but got weight of shape \[5, 4\]/,
        );
        assert.throws(
          () => F.layerNorm(x, [4, 5], null, randn(20)),
          /layerNorm: Expected bias to be of same shape as normalized_shape/,
        );
      });
    }
  });

  it("softmax over an empty dim gives an empty result and an empty gradient", () => {
    // torch.softmax(torch.zeros(4, 0), 1) is a [4, 0] tensor, as is its gradient.
    for (const backend of [backendName, "reference"] as BackendName[]) {
      on(backend, () => {
        for (const [shape, dim] of [
          [[4, 0], 1],
          [[0, 3], 1],
          [[0, 3], 0],
        ] as const) {
          for (const f of [F.softmax, F.logSoftmax]) {
            const x = zeros(...shape).requiresGrad_(true);
            const y = f(x, dim);
            assert.deepEqual(y.shape, shape);
            y.sum().backward();
            assert.deepEqual(x.grad?.shape, shape);
          }
        }
        assert.throws(() => F.softmax(zeros(4, 0), 2), /^.*softmax: .*range/i);
      });
    }
  });

  it("layerNorm refuses an empty normalized_shape", () => {
    // PyTorch: "Expected normalized_shape to be at least 1-dimensional ..."
    assert.throws(
      () => F.layerNorm(randn(2, 3), []),
      (e: unknown) =>
        e instanceof ValueError && /layerNorm: Expected normalized_shape/.test(e.message),
    );
  });
});
