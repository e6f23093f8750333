// The torch.linalg namespace: `import { linalg } from "kiln-torch"; linalg.inv(A)`. Re-exports
// only; the ops live in ./linalg.ts (decompositions, solvers) and ../norms.ts (norms).

export {
  type MatrixNormOptions,
  matrixNorm,
  type VectorNormOptions,
  vectorNorm,
} from "../norms.ts";
export {
  cholesky,
  det,
  type Eigh,
  eigh,
  inv,
  type Lstsq,
  lstsq,
  pinv,
  type QR,
  qr,
  type Slogdet,
  type SVD,
  slogdet,
  solve,
  svd,
} from "./linalg.ts";
