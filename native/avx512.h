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
#endif
#endif
