/* Runtime CPU dispatch: the best kernel path this CPU supports, detected once. The build never
 * uses -march=native; faster paths are compiled with per-function target attributes. */
#include "kiln.h"

static int detected = -1;
static int active = -1;

static int detect(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return KILN_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return KILN_AVX2;
#endif
  return KILN_PORTABLE;
}

int kiln_cpu_path(void) {
  if (detected < 0) detected = active = detect();
  return active;
}

int kiln_set_cpu_path(int path) {
  kiln_cpu_path();
  active = path < 0 || path > detected ? detected : path;
  return active;
}

const char *kiln_cpu_path_name(int path) {
  return path == KILN_AVX512 ? "avx512" : path == KILN_AVX2 ? "avx2" : "portable";
}
