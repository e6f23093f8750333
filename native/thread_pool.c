/* A persistent thread pool: workers sleep on a condition variable between jobs, the caller
 * runs share 0 itself, so n threads never exceed the cores in use. Threads are plain pthreads,
 * not libuv handles, so they never keep Node's event loop alive; kiln_pool_shutdown joins them.
 * This file holds the only OS calls of the native kernels. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#include "kiln.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
/* Serialises users (Node worker threads each load the addon but share this pool). */
static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;
static pthread_t workers[KILN_MAX_THREADS];
static int started = 0;     /* workers created (tids 1..started) */
static int wanted = 0;      /* threads a parallel region uses, 0 until set */
static atomic_long generation = 0; /* bumped once per job, after the job fields are set */
static atomic_int quitting = 0;
static kiln_task job_fn;
static void *job_ctx;
static int job_n;
/* Share tid of a job is run by whoever claims it first: its worker, or the caller once its own
 * share is done. ticket[tid] holds the job's generation until the share is claimed (then 0),
 * so a worker the OS has not scheduled yet (another process, or the JavaScript engine's GC
 * threads on a two-core machine) delays nothing: the caller runs its share and returns, and the
 * worker, waking later, finds the ticket gone. Results do not change: share tid computes the
 * same thing with the same scratch whoever runs it. `running` counts claimed worker shares. */
static atomic_long ticket[KILN_MAX_THREADS];
static atomic_int running;
static void *scratch[KILN_MAX_THREADS][2];
/* The generation a worker was created in: it takes part from the next job on. */
static long born[KILN_MAX_THREADS];

static int cores(void) {
#ifdef CPU_COUNT
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

int kiln_max_threads(void) {
  int c = cores();
  return c < KILN_MAX_THREADS ? c : KILN_MAX_THREADS;
}

int kiln_get_num_threads(void) {
  if (wanted == 0) {
    int n = 0;
    const char *env = getenv("KILN_NUM_THREADS");
    if (env != NULL) n = atoi(env);
    wanted = n > 0 && n < kiln_max_threads() ? n : kiln_max_threads();
  }
  return wanted;
}

int kiln_set_num_threads(int n) {
  int max = kiln_max_threads();
  wanted = n < 1 ? 1 : n > max ? max : n;
  return wanted;
}

static void *alloc_scratch(size_t bytes) {
  void *p = NULL;
  if (posix_memalign(&p, 64, bytes) != 0) return NULL;
  return p;
}

void *kiln_scratch(int tid, int which) {
  if (scratch[tid][which] == NULL)
    scratch[tid][which] =
        alloc_scratch(which == 0 ? KILN_SCRATCH_A_BYTES : KILN_SCRATCH_BYTES);
  return scratch[tid][which];
}

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* A worker spins this many pauses (about ten microseconds) for the next job before it sleeps:
 * kernels of a training step often come back to back, and waking a sleeping thread costs more
 * than that on a virtual machine. Longer spins cost more than they save: measured on the MNIST
 * CNN epoch with 2 threads, 4000 pauses made it 20% slower, 20000 up to 80% slower, since the
 * spinning core is the one the JavaScript engine's garbage collector threads need. */
#define WORKER_SPIN 500

static void *worker_main(void *arg) {
  int tid = (int)(intptr_t)arg;
  long seen = born[tid];
  for (;;) {
    for (int spin = 0; spin < WORKER_SPIN; spin++) {
      if (atomic_load_explicit(&generation, memory_order_acquire) != seen ||
          atomic_load_explicit(&quitting, memory_order_relaxed))
        break;
      cpu_relax();
    }
    if (atomic_load_explicit(&generation, memory_order_acquire) == seen) {
      pthread_mutex_lock(&lock);
      while (atomic_load(&generation) == seen && !atomic_load(&quitting))
        pthread_cond_wait(&wake, &lock);
      pthread_mutex_unlock(&lock);
    }
    if (atomic_load(&quitting)) return NULL;
    seen = atomic_load_explicit(&generation, memory_order_acquire);
    atomic_fetch_add(&running, 1);
    long mine = seen;
    if (atomic_compare_exchange_strong(&ticket[tid], &mine, 0)) job_fn(job_ctx, tid, job_n);
    if (atomic_fetch_sub(&running, 1) == 1) {
      pthread_mutex_lock(&lock);
      pthread_cond_signal(&done);
      pthread_mutex_unlock(&lock);
    }
  }
}

/* Creates workers up to n-1 and their scratch; returns the thread count available. */
static int ensure_workers(int n) {
  while (started < n - 1) {
    int tid = started + 1;
    kiln_scratch(tid, 0);
    kiln_scratch(tid, 1);
    if (scratch[tid][0] == NULL || scratch[tid][1] == NULL) break;
    born[tid] = atomic_load(&generation);
    if (pthread_create(&workers[started], NULL, worker_main, (void *)(intptr_t)tid) != 0) break;
    started++;
  }
  return started + 1 < n ? started + 1 : n;
}

void kiln_pool_acquire(void) { pthread_mutex_lock(&busy); }
void kiln_pool_release(void) { pthread_mutex_unlock(&busy); }

void kiln_parallel(kiln_task fn, void *ctx, int n) {
  if (n > 1) n = ensure_workers(n);
  if (n <= 1) {
    fn(ctx, 0, 1);
    return;
  }
  pthread_mutex_lock(&lock);
  job_fn = fn;
  job_ctx = ctx;
  job_n = n;
  const long gen = atomic_load(&generation) + 1;
  for (int t = 1; t < n; t++) atomic_store(&ticket[t], gen);
  atomic_store_explicit(&generation, gen, memory_order_release);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  fn(ctx, 0, n);
  for (int t = 1; t < n; t++) {
    long mine = gen;
    if (atomic_compare_exchange_strong(&ticket[t], &mine, 0)) fn(ctx, t, n);
  }
  /* every share is claimed now; wait for the workers still running theirs */
  for (int spin = 0; spin < 2000 && atomic_load(&running) > 0; spin++) cpu_relax();
  if (atomic_load(&running) > 0) {
    pthread_mutex_lock(&lock);
    while (atomic_load(&running) > 0) pthread_cond_wait(&done, &lock);
    pthread_mutex_unlock(&lock);
  }
}

void kiln_pool_shutdown(void) {
  pthread_mutex_lock(&busy);
  pthread_mutex_lock(&lock);
  atomic_store(&quitting, 1);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  for (int i = 0; i < started; i++) pthread_join(workers[i], NULL);
  started = 0;
  atomic_store(&quitting, 0);
  pthread_mutex_unlock(&busy);
}
