#!/usr/bin/env bash
# Side-by-side benchmark of numkeep against Remind, plus the daemon's idle figures.
#
#   benches/run.sh                 0, 10, 1k, 10k, 100k numbers
#   benches/run.sh --with-1m       also 1M (a ~100 MB TOML; a few minutes)
#   benches/run.sh --sizes "100000" --runs 20   just the key comparison, more runs
#   benches/run.sh --no-daemon     skip the `numkeep run` measurements
#   benches/run.sh --no-includes   skip `check` on 1k and 10k included files
#   benches/run.sh --out FILE --raw DIR   write the report / raw exports elsewhere
#
# Size 0 (an empty config) shows the fixed start-up cost. Writes benches/results.md (and raw
# hyperfine/daemon exports in benches/results/) and prints it. Inputs and the copy of the
# binary under test live in $BENCH_DIR (default /tmp/numkeep-bench). Needs root for apt-get only when a tool is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCHES="$ROOT/benches"
BENCH_DIR=${BENCH_DIR:-/tmp/numkeep-bench}
SIZES="0 10 1000 10000 100000"
OUT="$BENCHES/results.md"
RAW="$BENCHES/results"
RUNS=10
WARMUP=2
BIG_RUNS=3      # runs for 1M (each run takes seconds)
DAEMON=1
INCLUDES=1
BUILD=1

while [ $# -gt 0 ]; do
    case "$1" in
        --with-1m) SIZES="$SIZES 1000000" ;;
        --sizes) SIZES="$2"; shift ;;
        --runs) RUNS="$2"; shift ;;
        --no-daemon) DAEMON=0 ;;
        --no-includes) INCLUDES=0 ;;
        --no-build) BUILD=0 ;;
        --out) OUT="$2"; shift ;;
        --raw) RAW="$2"; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
    shift
done

# --- tools -----------------------------------------------------------------------------
missing=()
command -v remind >/dev/null || missing+=(remind)
command -v hyperfine >/dev/null || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- build: measure a private copy, so a concurrent rebuild cannot swap it mid-run ----------
mkdir -p "$BENCH_DIR" "$RAW"
LOAD_START=$(cut -d" " -f1-3 /proc/loadavg)
if [ "$BUILD" = 1 ]; then
    (cd "$ROOT" && cargo build --release --quiet)
fi
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
cp "$TARGET_DIR/release/numkeep" "$BENCH_DIR/numkeep"
NUMKEEP="$BENCH_DIR/numkeep"
REV=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(cd "$ROOT" && git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null | wc -l)

# --- inputs (regenerated when the generator changed) ------------------------------------
for n in $SIZES; do
    if [ ! -f "$BENCH_DIR/numbers-$n.toml" ] || [ "$BENCHES/generate.py" -nt "$BENCH_DIR/numbers-$n.toml" ]; then
        echo "generating $n numbers" >&2
        python3 "$BENCHES/generate.py" "$n" --dir "$BENCH_DIR"
    fi
done

# Peak RSS in KiB: the largest of three runs of /usr/bin/time -v.
peak_rss() {
    local best=0 kb tmp
    tmp=$(mktemp)
    for _ in 1 2 3; do
        /usr/bin/time -v -o "$tmp" "$@" >/dev/null 2>&1
        kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp")
        [ "$kb" -gt "$best" ] && best=$kb
    done
    rm -f "$tmp"
    echo "$best"
}

# --- side by side --------------------------------------------------------------------------
ROWS="$BENCH_DIR/rows.tsv"
: > "$ROWS"
for n in $SIZES; do
    toml="$BENCH_DIR/numbers-$n.toml"
    rem="$BENCH_DIR/numbers-$n.rem"
    runs=$RUNS warmup=$WARMUP
    if [ "$n" -ge 1000000 ]; then runs=$BIG_RUNS warmup=1; fi
    # Sanity: both must succeed before timing them.
    "$NUMKEEP" --config "$toml" check >/dev/null
    "$NUMKEEP" --config "$toml" status --json --at 2026-11-23 >/dev/null
    remind -q "$rem" 23 Nov 2026 >/dev/null
    echo "== $n numbers: hyperfine ($runs runs)" >&2
    # -N: no intermediate shell; output goes to /dev/null (hyperfine's --output=null).
    hyperfine -N --style basic --warmup "$warmup" --runs "$runs" --output=null \
        --export-json "$RAW/hyperfine-$n.json" \
        --export-markdown "$RAW/hyperfine-$n.md" \
        -n "numkeep status --json" "$NUMKEEP --config $toml status --json --at 2026-11-23" \
        -n "numkeep check" "$NUMKEEP --config $toml check" \
        -n "remind -q" "remind -q $rem 23 Nov 2026" >&2
    rss_status=$(peak_rss "$NUMKEEP" --config "$toml" status --json --at 2026-11-23)
    rss_check=$(peak_rss "$NUMKEEP" --config "$toml" check)
    rss_remind=$(peak_rss remind -q "$rem" 23 Nov 2026)
    out_status=$("$NUMKEEP" --config "$toml" status --json --at 2026-11-23 | wc -c)
    out_remind=$(remind -q "$rem" 23 Nov 2026 | wc -c)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$rss_status" "$rss_check" "$rss_remind" \
        "$out_status" "$out_remind" "$(stat -c %s "$toml")" >> "$ROWS"
done

# --- many included files: loading must stay linear (10x the files, about 10x the time) -------
if [ "$INCLUDES" = 1 ]; then
    for n in 1000 10000; do
        dir="$BENCH_DIR/included-$n"
        if [ ! -f "$dir/config.toml" ] || [ "$BENCHES/generate.py" -nt "$dir/config.toml" ]; then
            rm -rf "$dir"
            python3 "$BENCHES/generate.py" "$n" --dir "$BENCH_DIR" --included
        fi
        "$NUMKEEP" --config "$dir/config.toml" check >/dev/null
        echo "== check, $n included files" >&2
        hyperfine -N --style basic --warmup 1 --runs 5 --output=null \
            --export-json "$RAW/included-$n.json" \
            -n "numkeep check" "$NUMKEEP --config $dir/config.toml check" >&2
    done
fi

# --- daemon --------------------------------------------------------------------------------
if [ "$DAEMON" = 1 ]; then
    for n in 1000 100000; do
        dir="$BENCH_DIR/daemon-$n"   # its own directory: the daemon watches it with inotify
        mkdir -p "$dir"
        if [ ! -f "$dir/numbers-$n.toml" ] || [ "$BENCHES/generate.py" -nt "$dir/numbers-$n.toml" ]; then
            python3 "$BENCHES/generate.py" "$n" --dir "$dir" --check-at "0 9 29 2 *" --no-rem
        fi
        echo "== daemon, $n numbers" >&2
        python3 "$BENCHES/daemon.py" "$NUMKEEP" "$dir/numbers-$n.toml" --starts 5 --idle 10 \
            --log "$BENCH_DIR/daemon-$n.log" --json "$RAW/daemon-$n.json" >/dev/null
    done
fi

# --- report --------------------------------------------------------------------------------
python3 - "$RAW" "$ROWS" "$DAEMON" "$REV" "$DIRTY" "$OUT" "$LOAD_START" "$INCLUDES" <<'PY'
import datetime, json, os, platform, subprocess, sys
raw, rows_path, daemon, rev, dirty, out_path, load_start, includes = sys.argv[1:]
out = []
load = open("/proc/loadavg").read().split()[:3]
remind_version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "remind"],
                                capture_output=True, text=True).stdout or "?"
out.append("# numkeep benchmark results (generated by benches/run.sh)\n")
out.append(f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
           f"commit {rev}{' + uncommitted changes in src/' if dirty != '0' else ''}")
out.append(f"- machine: {os.cpu_count()} cores, {platform.machine()}, load average at start {load_start}, at the end {' '.join(load)} "
           "(shared machine: other work runs concurrently, expect noise)")
out.append(f"- remind {remind_version}; wall times are hyperfine means (-N, output to /dev/null); "
           "RSS is the peak of 3 runs of /usr/bin/time -v\n")
def mib(kib): return f"{int(kib)/1024:.1f}"
out.append("| numbers | status --json ms | check ms | remind ms | status/remind | check/remind | ratios of min times "
           "| µs/number status | RSS status MiB | RSS check MiB | RSS remind MiB | status out MB | remind out MB |")
out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for line in open(rows_path):
    n, rss_s, rss_c, rss_r, out_s, out_r, toml_bytes = line.split("\t")
    res = {r["command"]: r for r in json.load(open(f"{raw}/hyperfine-{n}.json"))["results"]}
    s, c, r = (res[k] for k in ("numkeep status --json", "numkeep check", "remind -q"))
    per_number = f"{s['mean'] * 1e6 / int(n):.2f}" if int(n) else "–"
    fmt = lambda x: f"{x['mean']*1000:.1f} ± {x['stddev']*1000:.1f}" if x.get("stddev") is not None else f"{x['mean']*1000:.1f}"
    out.append(f"| {int(n):,} | {fmt(s)} | {fmt(c)} | {fmt(r)} | {s['mean']/r['mean']:.2f} | {c['mean']/r['mean']:.2f} | {s['min']/r['min']:.2f} / {c['min']/r['min']:.2f} "
               f"| {per_number} | {mib(rss_s)} | {mib(rss_c)} | {mib(rss_r)} "
               f"| {int(out_s)/1e6:.1f} | {int(out_r)/1e6:.2f} |")
out.append("\nRatios are of hyperfine means; 'ratios of min times' (status/remind, check/remind) are less\n"
           "sensitive to other load on the machine.\n")
out.append("Targets (issue): status/remind ≤ 1.0 and check/remind ≤ 1.0 at 100k; peak RSS ≤ 64 MiB.")
out.append(f"Medians and min/max per command are in {raw}/hyperfine-N.{{md,json}}.\n")
included = {n: f"{raw}/included-{n}.json" for n in (1000, 10000)}
if includes == "1" and all(os.path.exists(p) for p in included.values()):
    times = {n: json.load(open(p))["results"][0] for n, p in included.items()}
    out.append("## `check` on many included files (one number each)\n")
    out.append("| files | check ms (mean ± sd) | min ms |")
    out.append("|---:|---:|---:|")
    for n, t in times.items():
        out.append(f"| {n:,} | {t['mean']*1000:.1f} ± {t['stddev']*1000:.1f} | {t['min']*1000:.1f} |")
    out.append(f"\n10k/1k ratio of min times: {times[10000]['min']/times[1000]['min']:.1f} "
               "(linear: about 10; the quadratic duplicate check made it about 90).\n")
if daemon == "1":
    out.append("## `numkeep run` (daemon)\n")
    out.append("| numbers | READY=1 ms (median / max of 6 starts) | catch-up check done ms | idle VmRSS MiB | VmHWM MiB | threads | ctxt switches in idle window | exit on SIGTERM |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in (1000, 100000):
        p = f"{raw}/daemon-{n}.json"
        if not os.path.exists(p): continue
        d = json.load(open(p))
        out.append(f"| {n:,} | {d['ready_ms_median']:.1f} / {d['ready_ms_max']:.1f} | {d['catch_up_ms']:.1f} "
                   f"| {d['vm_rss_kib']/1024:.1f} | {d['vm_hwm_kib']/1024:.1f} | {d['threads_after']} "
                   f"| {d['ctxt_switches_idle']} in {d['idle_seconds']:.0f} s{' (thread set changed!)' if d['thread_ids_changed'] else ''} "
                   f"| {d['exit_code']} ({d['stop_ms']:.0f} ms) |")
    out.append("\nTargets (issue, 1,000 numbers): READY=1 ≤ 50 ms; idle RSS ≤ 8 MiB; ≤ 5 context switches in 10 s idle.")
text = "\n".join(out) + "\n"
open(out_path, "w").write(text)
print(text)
PY
