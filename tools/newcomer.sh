#!/usr/bin/env bash
# Meets Kiln as a newcomer does: a fresh clone, `npm install`, the README's main command, the
# tests, each timed. Prints a Markdown table for the README.
#   bash tools/newcomer.sh [--skip-tests] [repository]   (default repository: this checkout)
# The clone goes to a temporary directory that is removed at the end.
set -euo pipefail

skip_tests=0
if [[ "${1:-}" == "--skip-tests" ]]; then
  skip_tests=1
  shift
fi
repo="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
rows=()

# Runs a command in the clone, prints its output with the seconds since its start, and records
# the time to its first line of output (npm's own "> script" header lines excluded) and in all.
timed() {
  local label="$1"
  shift
  local start first="" line t
  start="$(now)"
  while IFS= read -r line; do
    t="$(now)"
    if [[ -z "$first" && -n "$line" && "$line" != ">"* ]]; then first="$(secs "$start" "$t")"; fi
    printf '%6ss  %s\n' "$(secs "$start" "$t")" "$line"
  done < <(cd "$work/kiln" && "$@" 2>&1; echo "exit status $?")
  rows+=("| \`$*\` | ${first:-none} | $(secs "$start" "$(now)") |")
  echo "== $label: first line after ${first:-none} s, done after $(secs "$start" "$(now)") s"
}

echo "== machine: $(nproc) cores, node $(node --version), npm $(npm --version), $(date -u +%F)"
start="$(now)"
git clone --quiet "$repo" "$work/kiln"
rows+=("| \`git clone\` | - | $(secs "$start" "$(now)") |")
timed "install" npm install --no-fund --no-audit
timed "main command" npm run kiln -- train
if [[ "$skip_tests" == 0 ]]; then timed "tests" npm test; fi

echo
echo "| step | first line (s) | total (s) |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"
