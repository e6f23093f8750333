#!/usr/bin/env bash
# Builds the `wasm` backend's modules from the same C kernels as the native addon (native/*.c
# minus the N-API glue and the pthread pool, plus wasm/kiln_wasm.c): wasm/kiln.wasm, single-
# threaded with its own memory (browsers without cross-origin isolation), and wasm/kiln-mt.wasm,
# threaded over an imported shared memory (atomics; Node's worker_threads). Reproducible: same
# toolchain, same bytes (no paths, timestamps or debug info; the producers section names clang).
# Toolchain (Debian bookworm):
#   apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32
# (wasi-libc gives the math functions, musl's; libclang-rt the wasm32 builtins.)
# Usage: tools/build-wasm.sh [outdir]   (default wasm/; `npm run build:wasm`)
set -euo pipefail
cd "$(dirname "$0")/.."
outdir="${1:-wasm}"
CC="${KILN_WASM_CC:-clang}"

# The kernels: binding.gyp's sources (so a new kernel file joins both builds) minus the N-API glue
# (addon.c, fused_addon.c) and the pthread pool (thread_pool.c; kiln_wasm.c stands in for it).
# x86-only code in them is behind `#if defined(__x86_64__)` and runtime CPU-path checks
# (kiln_cpu_path() is always "portable" here), so no source edits are needed.
mapfile -t SOURCES < <(node -e '
  const gyp = JSON.parse(require("fs").readFileSync("binding.gyp", "utf8"));
  const skip = new Set(["native/addon.c", "native/fused_addon.c", "native/thread_pool.c"]);
  for (const s of gyp.targets[0].sources.filter((s) => !skip.has(s)).sort()) console.log(s);')
SOURCES+=(wasm/kiln_wasm.c)

CFLAGS=(--target=wasm32-wasi -msimd128 -O3 -std=c11 -fno-math-errno -ffp-contract=off
  -Wall -Wextra -Wno-unused-parameter)
# -ffp-contract=off: no fused multiply-adds (wasm SIMD128 has none; keeps scalar code exact too).
LDFLAGS=(-nostartfiles -Wl,--no-entry -Wl,--strip-all -Wl,--export=__heap_base
  -Wl,-z,stack-size=1048576 -Wl,--max-memory=4294967296 -lm)

MT_CFLAGS=(-matomics -mbulk-memory -mmutable-globals -DKILN_WASM_THREADS)
MT_LDFLAGS=(-Wl,--shared-memory -Wl,--import-memory -Wl,--initial-memory=4194304
  -Wl,--export=__stack_pointer)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/st" "$tmp/mt"
# Compiles both variants in parallel (one job per core); the link order is the sorted source order.
jobs="$(nproc 2>/dev/null || echo 2)"
st_objs=()
mt_objs=()
pids=()
compile() {
  "$CC" "$@" &
  pids+=($!)
  if ((${#pids[@]} >= jobs)); then
    wait "${pids[0]}"
    pids=("${pids[@]:1}")
  fi
}
for src in "${SOURCES[@]}"; do
  name="$(basename "$src" .c).o"
  compile "${CFLAGS[@]}" -c "$src" -o "$tmp/st/$name"
  compile "${CFLAGS[@]}" "${MT_CFLAGS[@]}" -c "$src" -o "$tmp/mt/$name"
  st_objs+=("$tmp/st/$name")
  mt_objs+=("$tmp/mt/$name")
done
for pid in "${pids[@]}"; do wait "$pid"; done
"$CC" --target=wasm32-wasi "${st_objs[@]}" "${LDFLAGS[@]}" -o "$tmp/kiln.wasm"
"$CC" --target=wasm32-wasi "${mt_objs[@]}" "${LDFLAGS[@]}" "${MT_LDFLAGS[@]}" -o "$tmp/kiln-mt.wasm"
mkdir -p "$outdir"
for f in kiln.wasm kiln-mt.wasm; do
  # A module must need nothing from its host but memory (no WASI or other env imports).
  if grep -q -a 'wasi_snapshot_preview1' "$tmp/$f"; then
    echo "build-wasm: $f imports WASI functions (a libc call needing the OS slipped in)" >&2
    exit 1
  fi
  cp "$tmp/$f" "$outdir/$f"
  echo "build-wasm: wrote $outdir/$f ($(wc -c <"$outdir/$f") bytes, sha256 $(sha256sum "$outdir/$f" | cut -c1-16))"
done
