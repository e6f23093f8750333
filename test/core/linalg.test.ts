// torch.linalg (src/ops/linalg/*.ts) against PyTorch 1.13: inv, det, slogdet, solve and
// cholesky forward and backward (goldens and float64 finite differences); qr, eigh, svd, pinv
// and lstsq by their defining properties (reconstruction, orthonormality, order), since
// LAPACK's signs of vectors are a convention; PyTorch's errors.

import assert from "node:assert/strict";
import { test } from "node:test";
import * as la from "../../src/ops/linalg/index.ts";
import { gradcheck } from "./gradcheck.ts";
import {
  DTypeError,
  eye,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from "./kiln.ts";
import { errorTest } from "./torch-ops-errors.ts";
import { type Arg, goldenSuite, gradcheckSuite, type OpFn } from "./torch-ops-golden.ts";

const T = (a: Arg | undefined) => a as Tensor;

const OPS: Record<string, OpFn> = {
  inv: ([a]) => la.inv(T(a)),
  det: ([a]) => la.det(T(a)),
  slogdet: ([a]) => la.slogdet(T(a)),
  solve: ([a, b]) => la.solve(T(a), T(b)),
  cholesky: ([a]) => la.cholesky(T(a)),
  choleskyUpper: ([a]) => la.cholesky(T(a), { upper: true }),
};

// grad_fn names checked where Kiln records PyTorch's node (composites keep their last op's).
goldenSuite("linalg", OPS, ["inv", "det", "slogdet", "solve", "cholesky", "choleskyUpper"]);
// cholesky reads only A's lower triangle, so finite steps in the upper one change nothing while
// the gradient is symmetric (PyTorch's): it is checked through a symmetrized input below.
gradcheckSuite("linalg", OPS, 3, ["cholesky", "choleskyUpper"]);

test("cholesky gradcheck through a symmetric input, lower and upper", () => {
  const B = randn(2, 3, 3, { dtype: "float64" });
  const A = B.matmul(B.transpose(-2, -1))
    .add(eye(3, { dtype: "float64" }).mul(3))
    .requiresGrad_();
  const sym = () => A.add(A.transpose(-2, -1)).mul(0.5);
  for (const upper of [false, true]) {
    const w = randn(2, 3, 3, { dtype: "float64" });
    assert.deepEqual(
      gradcheck(() => la.cholesky(sym(), { upper }), [A], [w]),
      [],
      `upper=${upper}`,
    );
  }
});

function close(a: Tensor, b: Tensor, label: string, tol = 1e-9): void {
  assert.deepEqual([...a.shape], [...b.shape], `${label}: shape`);
  const x = a.dataSync();
  const y = b.dataSync();
  for (let i = 0; i < x.length; i++) {
    assert.ok(
      Math.abs(Number(x[i]) - Number(y[i])) <= tol * (1 + Math.abs(Number(y[i]))),
      `${label}: element ${i} is ${x[i]}, expected ${y[i]}`,
    );
  }
}
const mT = (t: Tensor) => t.transpose(-2, -1);

test("qr: Q orthonormal, R upper triangular, QR = A (reduced and complete)", () => {
  for (const shape of [
    [4, 3],
    [3, 5],
    [2, 4, 4],
  ]) {
    const A = randn(shape, { dtype: "float64" });
    for (const mode of ["reduced", "complete"] as const) {
      const [Q, R] = la.qr(A, mode);
      close(Q.matmul(R), A, `qr ${mode} ${shape}`);
      const k = Q.shape[Q.ndim - 1]!;
      close(
        mT(Q).matmul(Q),
        eye(k, { dtype: "float64" }).expand(...Q.shape.slice(0, -2), k, k),
        "QᵀQ = I",
      );
      close(R.triu(), R, "R is upper triangular");
    }
  }
  // LAPACK's convention on [[1,2],[3,4],[5,6]]: R[0,0] = -‖column 0‖ = -√35 (PyTorch: -5.9161).
  assert.ok(
    Math.abs(
      Number(
        la
          .qr(
            tensor(
              [
                [1, 2],
                [3, 4],
                [5, 6],
              ],
              { dtype: "float64" },
            ),
          )
          .R.index(0, 0)
          .item(),
      ) + Math.sqrt(35),
    ) < 1e-12,
  );
});

test("eigh: ascending eigenvalues, A V = V diag(w), Vᵀ V = I", () => {
  const B = randn(2, 4, 4, { dtype: "float64" });
  const A = B.matmul(mT(B));
  const { eigenvalues: w, eigenvectors: V } = la.eigh(A);
  close(A.matmul(V), V.mul(w.unsqueeze(-2)), "AV = VΛ", 1e-9);
  close(mT(V).matmul(V), eye(4, { dtype: "float64" }).expand(2, 4, 4), "VᵀV = I");
  const wv = w.dataSync();
  for (let i = 1; i < 4; i++) assert.ok(wv[i]! >= wv[i - 1]!, "ascending");
  // trace(A) = Σ eigenvalues
  close(w.sum(-1), A.diagonal(0, -2, -1).sum(-1), "Σw = trace");
});

test("svd: descending S, U diag(S) Vh = A, orthonormal U and Vh", () => {
  for (const shape of [
    [5, 3],
    [3, 5],
    [2, 4, 4],
    [3, 3],
  ]) {
    const A = randn(shape, { dtype: "float64" });
    for (const full of [true, false]) {
      const { U, S, Vh } = la.svd(A, full);
      const k = S.shape[S.ndim - 1]!;
      const Uk = U.narrow(-1, 0, k);
      const Vk = Vh.narrow(-2, 0, k);
      close(Uk.mul(S.unsqueeze(-2)).matmul(Vk), A, `svd ${shape} full=${full}`);
      close(
        mT(U).matmul(U),
        eye(U.shape[U.ndim - 1]!, { dtype: "float64" }).expand(
          ...U.shape.slice(0, -2),
          U.shape[U.ndim - 1]!,
          U.shape[U.ndim - 1]!,
        ),
        "UᵀU = I",
      );
      close(
        Vh.matmul(mT(Vh)),
        eye(Vh.shape[Vh.ndim - 2]!, { dtype: "float64" }).expand(
          ...Vh.shape.slice(0, -2),
          Vh.shape[Vh.ndim - 2]!,
          Vh.shape[Vh.ndim - 2]!,
        ),
        "Vh Vhᵀ = I",
      );
      const s = S.dataSync();
      for (let i = 1; i < k; i++) assert.ok(s[i]! <= s[i - 1]!, "descending");
    }
  }
});

test("pinv and lstsq: the Moore–Penrose conditions and the least-squares solution", () => {
  const A = randn(5, 3, { dtype: "float64" });
  const P = la.pinv(A);
  close(A.matmul(P).matmul(A), A, "A A⁺ A = A");
  close(P.matmul(A).matmul(P), P, "A⁺ A A⁺ = A⁺");
  // A rank-1 matrix: the pseudo-inverse of u vᵀ is v uᵀ / (‖u‖²‖v‖²).
  const u = tensor([[1], [2]], { dtype: "float64" });
  const v = tensor([[3, 4]], { dtype: "float64" });
  close(
    la.pinv(u.matmul(v)),
    mT(v)
      .matmul(mT(u))
      .div(5 * 25),
    "pinv of u vᵀ",
  );
  const B = randn(5, 2, { dtype: "float64" });
  const r = la.lstsq(A, B);
  // The normal equations Aᵀ A X = Aᵀ B hold at the least-squares solution.
  close(mT(A).matmul(A).matmul(r.solution), mT(A).matmul(B), "normal equations");
  assert.equal(r.rank.item(), 3);
  assert.deepEqual(r.residuals.shape, [0]);
  // Underdetermined: the minimum-norm solution is A⁺ B.
  const W = randn(2, 4, { dtype: "float64" });
  close(
    la.lstsq(W, B.narrow(0, 0, 2)).solution,
    la.pinv(W).matmul(B.narrow(0, 0, 2)),
    "minimum norm",
  );
});

test("vectorNorm and matrixNorm are in the namespace; unknown options are refused", () => {
  assert.equal(la.vectorNorm(tensor([3, 4], { dtype: "float64" })).item(), 5);
  assert.equal(
    la
      .matrixNorm(
        tensor(
          [
            [1, -2],
            [3, 4],
          ],
          { dtype: "float64" },
        ),
        1,
      )
      .item(),
    6,
  );
  assert.throws(() => la.cholesky(eye(2), { lower: true } as never), ValueError);
});

errorTest("inv non-square", "linalg.inv", ShapeError, () => la.inv(zeros(2, 3)));
errorTest("inv singular", "linalg.inv", ValueError, () => la.inv(zeros(2, 2)));
errorTest("cholesky not pd", "linalg.cholesky", ValueError, () => la.cholesky(eye(2).neg()));
errorTest("solve shapes", "linalg.solve", ShapeError, () => la.solve(eye(3), zeros(2, 2)));
errorTest("det int", "linalg.det", DTypeError, () => la.det(eye(2, { dtype: "int32" })));
