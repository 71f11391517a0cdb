#!/usr/bin/env bash
# Measures `sleuth analyze --json` against ripgrep searching the same file for every anchor
# pattern of the catalog (case-insensitive), interleaved, and prints the median wall times,
# their ratio, and peak memory.
#
# usage: scripts/bench.sh [SIZE_BYTES] [RUNS]     (default 100000000 bytes, 5 runs)
# needs: go, python3, ripgrep (apt-get install -y ripgrep), GNU time (/usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-100000000}
runs=${2:-5}
bench_dir=${SLEUTH_BENCH_DIR:-../shared/bench}
out=${SLEUTH_BENCH_OUT:-bench-out}
mkdir -p "$out"

for tool in rg python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install -y ripgrep time python3)" >&2; exit 2; }
done

log="$out/ci-$size.log"
if [ ! -s "$log" ]; then
  echo "generating $log ..." >&2
  python3 "$bench_dir/gen_noise.py" "$size" "$bench_dir/tail-ghcr-push.log" "$log" 2 >&2
fi
go build -o "$out/sleuth" ./cmd/sleuth
"$out/sleuth" list --patterns > "$out/patterns.txt"

measure() { # prints "seconds maxrss_kb"
  /usr/bin/time -f '%e %M' -o "$out/time.txt" "$@" > /dev/null 2>&1 || true
  cat "$out/time.txt"
}

: > "$out/sleuth.times"; : > "$out/rg.times"
for _ in $(seq "$runs"); do
  measure "$out/sleuth" analyze --json "$log" >> "$out/sleuth.times"
  measure rg -c -i -f "$out/patterns.txt" "$log" >> "$out/rg.times"
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
s_time=$(cut -d' ' -f1 "$out/sleuth.times" | median)
r_time=$(cut -d' ' -f1 "$out/rg.times" | median)
s_rss=$(cut -d' ' -f2 "$out/sleuth.times" | sort -n | tail -1)
r_rss=$(cut -d' ' -f2 "$out/rg.times" | sort -n | tail -1)
patterns=$(wc -l < "$out/patterns.txt")
echo "log: $log ($size bytes), catalog: $patterns anchor patterns, $runs runs each, interleaved"
echo "sleuth analyze --json: median ${s_time}s, peak RSS $((s_rss / 1024)) MB"
echo "rg -c -i -f patterns:  median ${r_time}s, peak RSS $((r_rss / 1024)) MB"
awk -v s="$s_time" -v r="$r_time" 'BEGIN { if (r > 0) printf "ratio sleuth/ripgrep: %.2f\n", s / r }'
