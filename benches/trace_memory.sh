#!/usr/bin/env bash
# The memory of the trace (JOBLOOP_TRACE), in one run: a million trivial tasks (in groups of
# 1 000, tests/signals/src/bin/many_tasks.rs, release build), peak memory (VmHWM, Linux) without
# the trace, with the Chrome file and with the SVG picture; and the time of each run.
#
#   bash benches/trace_memory.sh [FILE]      # prints the table; appends it to FILE if given
set -euo pipefail
cd "$(dirname "$0")/.."
tasks=1000000
cargo build --release -q -p jobloop-signal-tests --bin many_tasks
binary=target/release/many_tasks
work=$(mktemp -d)
run() { # label, JOBLOOP_TRACE value (empty: off)
    local start end peak size
    start=$(date +%s.%N)
    peak=$(JOBLOOP_TRACE="$2" "$binary" "$tasks" | sed -n 's/^peak //p')
    end=$(date +%s.%N)
    size=$([ -n "$2" ] && du -h "$2" | cut -f1 || echo "–")
    printf '| %s | %s | %.2f s | %s |\n' "$1" "$peak" "$(echo "$end - $start" | bc)" "$size"
}
table=$(
    echo "### the trace's memory: $tasks trivial tasks in groups of 1 000 (peak VmHWM of the whole process, one run each)"
    echo
    echo "| JOBLOOP_TRACE | peak memory | time | file |"
    echo "|---|---|---|---|"
    run "off" ""
    run "trace.json (written as the program runs)" "$work/trace.json"
    run "timeline.svg (the first 2 000 tasks drawn)" "$work/timeline.svg"
    echo
)
rm -rf "$work"
echo "$table"
if [ $# -gt 0 ]; then echo "$table" >> "$1"; fi
