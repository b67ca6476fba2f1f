#!/usr/bin/env bash
# Runs the benchmark suite and the compile-cost comparison in one go and writes BENCHMARKS.md:
# the machine, the date, the tables of medians and ratios, and the notes of benches/NOTES.md.
#
#   bash benches/compare.sh            # the full suite (several minutes)
#   bash benches/compare.sh --quick    # smaller sizes
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tables=$(mktemp)
compile=$(mktemp)

echo "== benchmark suite"
cargo bench -p jobloop-benches --bench suite -- --markdown "$tables" "$@"

echo "== the cost of the feature tracing (a span per task, no subscriber): debug_cost again"
with_tracing=$(mktemp)
cargo bench -p jobloop-benches --bench suite --features tracing -- debug_cost --markdown "$with_tracing" "$@"
cat "$with_tracing" >> "$tables"
rm -f "$with_tracing"

# The loop's rows against an earlier commit, in one run: that commit's suite, built in a worktree
# with a target dir of its own, and today's, run in turn (old, new, five times) on the same
# scenarios, each pinned to one core when `taskset` is there (between processes, unpinned, the
# same binary's pingpong moved by up to 40 % here); the table gives each one's median.
#   against COMMIT WHY SCENARIO...
# `cargo bench --no-run` names the binary it built: "Executable benches/suite.rs (PATH)".
bench_binary() { grep -o '(.*/deps/suite-[0-9a-f]*)' | tr -d '()' | head -1; }
# The rows of jobloop on the loop in markdown tables, as "table — row<TAB>nanoseconds".
loop_rows() {
    awk -F'|' '/^### / { title = substr($0, 5) }
        /^\| / {
            row = $2; gsub(/^ +| +$/, "", row)
            if (!(row ~ /^jobloop tasks!\[.*\] on EventLoop$/ || (title ~ /on EventLoop/ && row == "tasks![]"))) next
            v = $3; gsub(/ /, "", v); n = v + 0
            if (v ~ /ns$/) f = 1; else if (v ~ /µs$/) f = 1e3; else if (v ~ /ms$/) f = 1e6; else f = 1e9
            printf "%s — %s\t%.0f\n", title, row, n * f }' "$@"
}
against() {
    local base=$1 why=$2; shift 2
    echo "== the loop against $base ($why): $*"
    local basedir rounds old_bin new_bin pin=()
    basedir=$(mktemp -d); rounds=$(mktemp -d)
    git worktree add --detach "$basedir" "$base" >/dev/null 2>&1
    old_bin=$(cd "$basedir" && CARGO_TARGET_DIR="$root/target/before-$base" cargo bench --workspace --bench suite --no-run 2>&1 | bench_binary)
    new_bin=$(cargo bench --workspace --bench suite --no-run 2>&1 | bench_binary)
    case "$new_bin" in /*) ;; *) new_bin="$root/$new_bin" ;; esac
    if command -v taskset >/dev/null; then pin=(taskset -c 1); fi
    for round in 1 2 3 4 5; do
        (cd "$basedir" && "${pin[@]}" "$old_bin" --markdown "$rounds/old-$round.md" "$@" >/dev/null)
        "${pin[@]}" "$new_bin" --markdown "$rounds/new-$round.md" "$@" >/dev/null
    done
    git worktree remove --force "$basedir"
    {
        echo "### the embedded loop against $base ($why), in one run (median of 5 alternating rounds, pinned to one core)"
        echo
        echo "| scenario — row | $base: median (min–max of 5) | now: median (min–max of 5) | ratio of medians |"
        echo "|---|---|---|---|"
        # The five values of `key` in the rounds of one side, sorted: "min q1 median q3 max".
        values() { loop_rows "$rounds"/"$1"-*.md | awk -F'\t' -v k="$2" '$1 == k { print $2 }' | sort -n | tr '\n' ' '; }
        loop_rows "$rounds"/old-*.md | cut -f1 | awk '!seen[$0]++' | while IFS= read -r key; do
            old=$(values old "$key"); new=$(values new "$key")
            [ -n "$old" ] && [ -n "$new" ] || continue
            awk -v k="$key" -v o="$old" -v n="$new" 'BEGIN {
                split(o, a, " "); split(n, b, " ")
                printf "| %s | %.1f ms (%.1f–%.1f) | %.1f ms (%.1f–%.1f) | %.2f |\n", k,
                    a[3] / 1e6, a[1] / 1e6, a[5] / 1e6, b[3] / 1e6, b[1] / 1e6, b[5] / 1e6, b[3] / a[3] }'
        done
        echo
    } >> "$tables"
    rm -rf "$rounds"
}
against 156472b "before the restructuring of issue 10" spawn_join tasks_overhead sleep_many pingpong limit
against d15889c "before debug mode, which is off here" spawn_join pingpong

# The same scenarios of the loop, counted in instructions by callgrind: one run each of
# benches/instructions/main.rs, built against an earlier commit and against this tree, in a
# project of its own with each tree's Cargo.lock. The counts do not move from run to run as the
# times above do (±20 %), so they tell a change of a few per cent from the machine's noise.
# FEATURES are jobloop's cargo features on both sides ("" for the default ones).
#   instructions COMMIT FEATURES SCENARIO...
instructions() {
    local base=$1 features=$2; shift 2
    if ! command -v valgrind >/dev/null; then
        echo "== no valgrind here: the instruction counts against $base are left out"
        return
    fi
    echo "== instructions per item against $base (callgrind, features: ${features:-default}): $*"
    local basedir work n=100000 side tree list=""
    local feature
    for feature in $features; do list="$list${list:+, }\"$feature\""; done
    basedir=$(mktemp -d); work=$(mktemp -d)
    git worktree add --detach "$basedir" "$base" >/dev/null 2>&1
    for side in old new; do
        if [ "$side" = old ]; then tree=$basedir; else tree=$root; fi
        mkdir -p "$work/$side"
        cat > "$work/$side/Cargo.toml" <<EOF
[package]
name = "instructions"
version = "0.0.0"
edition = "2021"
publish = false

[[bin]]
name = "instructions"
path = "$root/benches/instructions/main.rs"

[dependencies]
jobloop = { path = "$tree", features = [$list] }
tokio = { version = "1.40", default-features = false, features = ["sync"] }
async-executor = "1.13"
async-io = "2.3"

[workspace]
EOF
        cp "$tree/Cargo.lock" "$work/$side/"
        CARGO_TARGET_DIR="$root/target/instructions-$side${features:+-features}" \
            cargo build --release --quiet --manifest-path "$work/$side/Cargo.toml"
    done
    git worktree remove --force "$basedir"
    count() {
        valgrind --tool=callgrind --callgrind-out-file=/dev/null \
            "$root/target/instructions-$1${features:+-features}/release/instructions" "$2" "$n" 2>&1 |
            awk '/Collected :/ { print $NF }'
    }
    {
        echo "### instructions per item on the embedded loop against $base, features: ${features:-default} (callgrind, one run of $n items each)"
        echo
        echo "| scenario | $base | now | ratio |"
        echo "|---|---|---|---|"
        local scenario old new
        for scenario in "$@"; do
            old=$(count old "$scenario"); new=$(count new "$scenario")
            awk -v s="$scenario" -v o="$old" -v n="$new" -v k="$n" 'BEGIN {
                printf "| %s | %.0f | %.0f | %.3f |\n", s, o / k, n / k, n / o }'
        done
        echo
    } >> "$tables"
    rm -rf "$work"
}
# The loop alone (the default features), and with the features the suite is built with: with
# `tokio` the loop also drives tokio's I/O and timers, from a thread of its own (issue 14).
instructions 156472b "" spawn_join tasks_overhead sleep_many pingpong limit local_executor
instructions 156472b "tokio smol" spawn_join tasks_overhead sleep_many pingpong limit

echo "== echo server: jobloop's default loop against tokio, the same client"
cargo bench -p jobloop-benches --bench echo -- --markdown "$tables" "$@"

echo "== the trace's memory: a million tasks with and without JOBLOOP_TRACE"
bash benches/trace_memory.sh "$tables"

echo "== compile cost: clean debug builds of the three-jobs program"
work=$(mktemp -d)
mkdir -p "$work/with_jobloop/src" "$work/with_tokio/src"
cat > "$work/with_jobloop/Cargo.toml" <<EOF
[package]
name = "with_jobloop"
version = "0.0.0"
edition = "2021"

[dependencies]
jobloop = { path = "$root" }

[workspace]
EOF
cp examples/three_jobs.rs "$work/with_jobloop/src/main.rs"
cat > "$work/with_tokio/Cargo.toml" <<'EOF'
[package]
name = "with_tokio"
version = "0.0.0"
edition = "2021"

[dependencies]
tokio = { version = "1", features = ["rt", "macros", "time"] }

[workspace]
EOF
cat > "$work/with_tokio/src/main.rs" <<'EOF'
use std::time::{Duration, Instant};

async fn job(id: u32) {
    println!("start job: {id}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("end job: {id}");
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let start = Instant::now();
    let handles: Vec<_> = (0..3).map(|id| tokio::spawn(job(id))).collect();
    for handle in handles {
        handle.await.unwrap();
    }
    println!("time: {:.6}", start.elapsed().as_secs_f64());
}
EOF
build() { # dir -> "seconds crates"
    rm -rf "$1/target"
    local start end crates
    start=$(date +%s.%N)
    crates=$(cd "$1" && cargo build 2>&1 | grep -c "Compiling" || true)
    end=$(date +%s.%N)
    echo "$(echo "$end - $start" | bc) $crates"
}
# Resolve and fetch first, so the timings are builds only.
(cd "$work/with_jobloop" && cargo fetch -q) && (cd "$work/with_tokio" && cargo fetch -q)
jobloop_times=(); tokio_times=()
for _ in 1 2 3; do
    read -r t c < <(build "$work/with_jobloop"); jobloop_times+=("$t"); jobloop_crates=$c
    read -r t c < <(build "$work/with_tokio"); tokio_times+=("$t"); tokio_crates=$c
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
jm=$(median "${jobloop_times[@]}"); tm=$(median "${tokio_times[@]}")
ratio=$(echo "scale=2; $jm / $tm" | bc)
{
    echo "### compile cost: clean debug build of the three-jobs program (median of 3, alternating)"
    echo
    echo "| program | median | crates compiled | ratio to tokio |"
    echo "|---|---|---|---|"
    echo "| examples/three_jobs.rs with jobloop (default features) | ${jm} s | $jobloop_crates | $ratio |"
    echo "| the same with \`#[tokio::main]\` (tokio: rt, macros, time) | ${tm} s | $tokio_crates | 1.00 |"
    echo
} > "$compile"
rm -rf "$work"

cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
{
    echo "# jobloop benchmarks"
    echo
    echo "Written by \`benches/compare.sh\` on $(date -u +%Y-%m-%d) in one run: $(nproc) cores ($cpu),"
    echo "$(free -g | awk '/Mem:/ {print $2}') GiB, $(rustc --version). Times are medians of repeated runs in"
    echo "one process (\`cargo bench\`); memory is the peak of live heap bytes during a run, per item."
    echo
    cat "$tables"
    cat "$compile"
    if [ -f benches/NOTES.md ]; then cat benches/NOTES.md; fi
} > BENCHMARKS.md
rm -f "$tables" "$compile"
echo "wrote BENCHMARKS.md"
