/* This machine's limits for the benchmarks' roofline (bench/roofline.ts compiles and runs it):
 * the float32 FMA peak (independent 8-wide AVX2 FMA chains, no memory traffic) and the memory
 * bandwidth (STREAM's copy and triad on arrays far larger than the caches), each on 1 thread
 * and on `threads` threads (pthreads). Prints one JSON line. Depends on libc, pthreads and
 * <immintrin.h> only; built with -O2 -march=native: 16-wide AVX-512 FMAs where the CPU has them,
 * else 8-wide AVX2 FMAs (FMA peak 0 when built for neither).
 * Usage: peak <threads> <array MiB per thread> */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#define VEC __m512
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMADD _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define STOREU _mm512_storeu_ps
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define VEC __m256
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMADD _mm256_fmadd_ps
#define ADD _mm256_add_ps
#define STOREU _mm256_storeu_ps
#else
#define LANES 0
#endif

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#define CHAINS 12 /* the accumulators c0..c11 of fma_loop */
#define FMA_ITERS 20000000L

/* FLOPs done: CHAINS chains × FMA_ITERS FMAs × LANES lanes × 2 (multiply and add). */
static void *fma_loop(void *out) {
#if LANES > 0
  /* CHAINS independent accumulators in registers (written out, so no compiler keeps them in
   * memory): each FMA waits only on its own chain, so every FMA pipe stays busy */
  const VEC a = SET1(0.999999f), b = SET1(1e-7f);
  VEC c0 = SET1(0), c1 = SET1(1), c2 = SET1(2), c3 = SET1(3), c4 = SET1(4), c5 = SET1(5);
  VEC c6 = SET1(6), c7 = SET1(7), c8 = SET1(8), c9 = SET1(9), c10 = SET1(10), c11 = SET1(11);
  for (long i = 0; i < FMA_ITERS; i++) {
    c0 = FMADD(c0, a, b), c1 = FMADD(c1, a, b), c2 = FMADD(c2, a, b), c3 = FMADD(c3, a, b);
    c4 = FMADD(c4, a, b), c5 = FMADD(c5, a, b), c6 = FMADD(c6, a, b), c7 = FMADD(c7, a, b);
    c8 = FMADD(c8, a, b), c9 = FMADD(c9, a, b), c10 = FMADD(c10, a, b), c11 = FMADD(c11, a, b);
  }
  VEC s = ADD(ADD(ADD(c0, c1), ADD(c2, c3)), ADD(ADD(c4, c5), ADD(c6, c7)));
  s = ADD(s, ADD(ADD(c8, c9), ADD(c10, c11)));
  float lanes[LANES];
  STOREU(lanes, s);
  *(float *)out = lanes[0];
#else
  *(float *)out = 0;
#endif
  return NULL;
}

typedef struct {
  float *a, *b, *c;
  size_t n;
  int kind; /* 0 copy (c = a), 1 triad (a = b + s·c) */
} Stream;

static void *stream_loop(void *p) {
  Stream *s = p;
  if (s->kind == 0) {
    memcpy(s->c, s->a, s->n * sizeof(float));
  } else {
    const float k = 3.0f;
    for (size_t i = 0; i < s->n; i++) s->a[i] = s->b[i] + k * s->c[i];
  }
  return NULL;
}

/* Runs fn on `threads` threads at once (each with its own argument), returns the seconds. */
static double run(int threads, void *(*fn)(void *), void *args, size_t size) {
  pthread_t th[64];
  double t0 = now();
  for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, fn, (char *)args + i * size);
  for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
  return now() - t0;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2;
  size_t mib = argc > 2 ? (size_t)atol(argv[2]) : 256;
  if (threads < 1 || threads > 64) threads = 2;
  printf("{");
  int first = 1;
  for (int t = 1; t <= threads; t = t == threads ? threads + 1 : threads) {
    float sinks[64];
    double best = 1e30;
    for (int r = 0; r < 7; r++) {
      double s = run(t, fma_loop, sinks, sizeof(float));
      if (s < best) best = s;
    }
    double flops = (double)t * CHAINS * FMA_ITERS * LANES * 2;
    double gflops = flops / best / 1e9;
    /* STREAM: three arrays of `mib` MiB per thread; copy moves 2 × n × 4 bytes (read a, write
     * c), triad 3 × n × 4 (read b and c, write a), counted as STREAM counts them. */
    size_t n = mib * 1024 * 1024 / sizeof(float);
    Stream st[64];
    for (int i = 0; i < t; i++) {
      st[i].a = malloc(n * sizeof(float));
      st[i].b = malloc(n * sizeof(float));
      st[i].c = malloc(n * sizeof(float));
      st[i].n = n;
      for (size_t j = 0; j < n; j++) st[i].a[j] = 1, st[i].b[j] = 2, st[i].c[j] = 0;
    }
    double bw[2] = {0, 0};
    for (int kind = 0; kind < 2; kind++) {
      double bestS = 1e30;
      for (int i = 0; i < t; i++) st[i].kind = kind;
      for (int r = 0; r < 5; r++) {
        double s = run(t, stream_loop, st, sizeof(Stream));
        if (s < bestS) bestS = s;
      }
      bw[kind] = (double)t * n * sizeof(float) * (kind == 0 ? 2 : 3) / bestS / 1e9;
    }
    for (int i = 0; i < t; i++) free(st[i].a), free(st[i].b), free(st[i].c);
    printf("%s\"%d\": {\"fma_gflops\": %.1f, \"copy_gbs\": %.2f, \"triad_gbs\": %.2f, \"lanes\": %d}",
           first ? "" : ", ", t, gflops, bw[0], bw[1], LANES);
    first = 0;
  }
  printf("}\n");
  return 0;
}
