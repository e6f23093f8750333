/* How many threads a kernel gets for its work, and running it on them through the pool: the
 * shared threading policy of the im2col convolution, pooling and batch norm kernels. Internal
 * header (static inline); no allocation, no OS calls, no Node here. */
#ifndef KILN_PARALLEL_H
#define KILN_PARALLEL_H
#include "kiln.h"

/* Threads for about `work` flops: one unless there is enough to split. */
static inline int threads_for(int64_t work) {
  int nt = kiln_get_num_threads();
  return work >= (1 << 20) && nt > 1 ? nt : 1;
}

static inline void run(kiln_task fn, void *ctx, int64_t work) {
  kiln_pool_acquire();
  kiln_parallel(fn, ctx, threads_for(work));
  kiln_pool_release();
}

/* As run, on no more threads than there are units (images) to share. */
static inline void run_n(kiln_task fn, void *ctx, int64_t work, int64_t units) {
  int nt = threads_for(work);
  if (nt > units) nt = (int)units;
  kiln_pool_acquire();
  kiln_parallel(fn, ctx, nt < 1 ? 1 : nt);
  kiln_pool_release();
}

/* Memory-bound kernels (pooling, norms, softmax): two threads pay off from much less work than a
 * GEMM; on no more threads than the `units` (rows) there are to share. */
static inline void run_rows(kiln_task fn, void *ctx, int64_t elems, int64_t units) {
  int nt = kiln_get_num_threads();
  if (elems < (1 << 16)) nt = 1;
  if (nt > units) nt = units < 1 ? 1 : (int)units;
  kiln_pool_acquire();
  kiln_parallel(fn, ctx, nt);
  kiln_pool_release();
}

/* Pooling: as run_rows, the elements being the units. */
static inline void run_pool(kiln_task fn, void *ctx, int64_t elems) {
  run_rows(fn, ctx, elems, elems);
}

#endif
