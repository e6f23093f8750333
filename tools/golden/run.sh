#!/usr/bin/env bash
# Regenerates every PyTorch golden fixture under test/golden/ with Debian's PyTorch.
# Needs: apt-get install -y python3-torch libopenblas0-pthread (run as /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1
for script in tools/golden/*.py; do
  case "$script" in *_check.py) continue ;; esac
  echo "== $script"
  /usr/bin/python3 "$script"
done
