// Batched matrix multiply of the reference backend: i-k-j loop order over strided operands with
// a float64 row accumulator, so it is exact in summation order and reasonably cache-friendly.
// A zero of `a` skips its row of `b` only when that row is finite: 0 · inf and 0 · NaN are NaN.

import type { TypedArray } from "../../core/dtype.ts";
import type { View } from "../backend.ts";

export function matmul(a: View, b: View, out: TypedArray): void {
  const [B, M, K] = a.shape as [number, number, number];
  const N = b.shape[2]!;
  const [sab, sam, sak] = a.strides as [number, number, number];
  const [sbb, sbk, sbn] = b.strides as [number, number, number];
  const ad = a.data;
  const bd = b.data;
  const acc = new Float64Array(N);
  const finiteRow = new Uint8Array(K);
  for (let bi = 0; bi < B; bi++) {
    const aBase = a.offset + bi * sab;
    const bBase = b.offset + bi * sbb;
    for (let k = 0; k < K; k++) {
      let finite = 1;
      let p = bBase + k * sbk;
      for (let j = 0; j < N && finite; j++, p += sbn) finite = Number.isFinite(bd[p]!) ? 1 : 0;
      finiteRow[k] = finite;
    }
    for (let i = 0; i < M; i++) {
      acc.fill(0);
      const aRow = aBase + i * sam;
      for (let k = 0; k < K; k++) {
        const aik = ad[aRow + k * sak]!;
        if (aik === 0 && finiteRow[k] === 1) continue;
        let p = bBase + k * sbk;
        for (let j = 0; j < N; j++, p += sbn) acc[j]! += aik * bd[p]!;
      }
      const o = (bi * M + i) * N;
      for (let j = 0; j < N; j++) out[o + j] = acc[j]!;
    }
  }
}
