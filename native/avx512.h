/* Helpers of the AVX-512 kernels (x86-64 only; the kernels carry the target attributes). */
#ifndef KILN_AVX512_H
#define KILN_AVX512_H
#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>

#define KILN_AVX512_FN __attribute__((target("avx512f")))

/* Mask of the first n of 16 lanes (none for n <= 0, all for n >= 16). */
static inline __mmask16 kiln_lanes(int64_t n) {
  return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

/* Offsets 0, step, 2·step, ... of the sixteen lanes, for kiln_append_nonzero. */
KILN_AVX512_FN static inline __m512i kiln_lane_steps(int32_t step) {
  return _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                            _mm512_set1_epi32(step));
}

/* Appends the nonzero lanes of v (NaN counts: it must reach a sum) to a list at cnt, lane l with
 * offset first + steps[l]. Writes 16 slots: the list needs 16 slots of slack. */
KILN_AVX512_FN static inline int64_t kiln_append_nonzero(__m512 v, __mmask16 lanes, int32_t first,
                                                        __m512i steps, int32_t *off, float *val,
                                                        int64_t cnt) {
  const __mmask16 nz = _mm512_mask_cmp_ps_mask(lanes, v, _mm512_setzero_ps(), _CMP_NEQ_UQ);
  const __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(first), steps);
  _mm512_storeu_ps(val + cnt, _mm512_maskz_compress_ps(nz, v));
  _mm512_storeu_si512(off + cnt, _mm512_maskz_compress_epi32(nz, idx));
  return cnt + __builtin_popcount(nz);
}

/* Transposes a rows x cols (each 1..16) block: dst[j*ldd + i] = src[i*lds + j]. Returns a
 * nonzero mask when the block holds an infinity or NaN (x - x is 0 exactly for finite x). */
KILN_AVX512_FN static inline __mmask16 kiln_transpose16(const float *src, int64_t lds,
                                                       int64_t rows, int64_t cols, float *dst,
                                                       int64_t ldd) {
  const __mmask16 cm = kiln_lanes(cols);
  __m512 r[16], t[16];
  __mmask16 bad = 0;
  for (int i = 0; i < 16; i++) {
    r[i] = i < rows ? _mm512_maskz_loadu_ps(cm, src + i * lds) : _mm512_setzero_ps();
    bad |= _mm512_cmp_ps_mask(_mm512_sub_ps(r[i], r[i]), _mm512_setzero_ps(), _CMP_NEQ_UQ);
  }
  /* 32-bit, then 64-bit interleaves within 128-bit lanes, then a 4 x 4 transpose of lanes. */
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; i++) {
    r[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  /* r[4i + c], 128-bit lane l, now holds column 4l + c of rows 4i..4i+3. */
  const __mmask16 rm = kiln_lanes(rows);
  for (int c = 0; c < 4; c++) {
    const __m512 v0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88);
    const __m512 v1 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xDD);
    const __m512 v2 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
    const __m512 v3 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xDD);
    const __m512 col[4] = {_mm512_shuffle_f32x4(v0, v2, 0x88), _mm512_shuffle_f32x4(v1, v3, 0x88),
                           _mm512_shuffle_f32x4(v0, v2, 0xDD), _mm512_shuffle_f32x4(v1, v3, 0xDD)};
    for (int l = 0; l < 4; l++)
      if (4 * l + c < cols) _mm512_mask_storeu_ps(dst + (4 * l + c) * ldd, rm, col[l]);
  }
  return bad;
}

/* Nonzeros (NaN included) among x[0..n). */
KILN_AVX512_FN static inline int64_t kiln_count_nonzero(const float *x, int64_t n) {
  int64_t c = 0;
  for (int64_t i = 0; i < n; i += 16) {
    const __m512 v = _mm512_maskz_loadu_ps(kiln_lanes(n - i), x + i);
    c += __builtin_popcount(_mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NEQ_UQ));
  }
  return c;
}

/* Whether x[0..n) holds only finite values (x - x is 0 exactly for those). */
KILN_AVX512_FN static inline int kiln_all_finite(const float *x, int64_t n) {
  __mmask16 bad = 0;
  for (int64_t i = 0; i < n; i += 16) {
    const __m512 v = _mm512_maskz_loadu_ps(kiln_lanes(n - i), x + i);
    bad |= _mm512_cmp_ps_mask(_mm512_sub_ps(v, v), _mm512_setzero_ps(), _CMP_NEQ_UQ);
  }
  return bad == 0;
}
#endif
#endif
