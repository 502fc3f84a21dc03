#!/usr/bin/env bash
# Repeatable cost profile of numkeep on N numbers (default 100,000):
#   * instruction counts (valgrind callgrind) of `status --json --at 2026-11-23` and `check`:
#     total Ir, the top 15 functions by self cost and the top 20 by inclusive cost;
#   * peak heap (valgrind massif) of `status --json`: what is live at the peak.
#
#   benches/profile.sh [N] [--no-massif] [--no-check]
#
# Builds the release profile with symbols and line tables into target/profiling. Codegen is
# the release one (lto, codegen-units=1, panic=abort); only strip/debug differ, set through
# CARGO_PROFILE_RELEASE_* so Cargo.toml is untouched. Reports go to benches/results/
# (profile-N-*.md) and the raw callgrind/massif files to $BENCH_DIR, for drill-down:
#   callgrind_annotate $BENCH_DIR/callgrind-N-status.out --tree=caller
#   ms_print $BENCH_DIR/massif-N-status.out
#
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCHES="$ROOT/benches"
BENCH_DIR=${BENCH_DIR:-/tmp/numkeep-bench}
N=100000
MASSIF=1
CHECK=1
for arg in "$@"; do
    case "$arg" in
        --no-massif) MASSIF=0 ;;
        --no-check) CHECK=0 ;;
        [0-9]*) N=$arg ;;
        *) echo "usage: $0 [N] [--no-massif] [--no-check]" >&2; exit 2 ;;
    esac
done

if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi

PROFILE_TARGET="$ROOT/target/profiling"
(cd "$ROOT" && CARGO_TARGET_DIR="$PROFILE_TARGET" CARGO_PROFILE_RELEASE_STRIP=false \
    CARGO_PROFILE_RELEASE_DEBUG=line-tables-only cargo build --release --quiet)
mkdir -p "$BENCH_DIR" "$BENCHES/results"
# The tables are measured on a copy without line tables (symbols only): callgrind then gives
# each function one cost centre, its inlined callees included, and exact inclusive costs.
# (With line tables it splits a function per source file of its inlined code, and the
# inclusive figures of the parts overlap.) For per-line drill-down run callgrind on
# target/profiling/release/numkeep itself and use callgrind_annotate --auto=yes.
BIN="$BENCH_DIR/numkeep-profiling"
BIN_LINES="$BENCH_DIR/numkeep-profiling-lines"   # with line tables: for massif's call stacks
cp "$PROFILE_TARGET/release/numkeep" "$BIN_LINES"
cp "$PROFILE_TARGET/release/numkeep" "$BIN"
objcopy --strip-debug "$BIN"

TOML="$BENCH_DIR/numbers-$N.toml"
if [ ! -f "$TOML" ] || [ "$BENCHES/generate.py" -nt "$TOML" ]; then
    python3 "$BENCHES/generate.py" "$N" --dir "$BENCH_DIR"
fi
OUT="$BENCHES/results"
REV=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(cd "$ROOT" && git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null)" ]; then
    REV="$REV + uncommitted changes in src/"
fi

# Sums callgrind_annotate's rows per function; prints the top ones as a table.
summarize() {  # data file, N
    local data=$1 n=$2 self inclusive
    self=$(mktemp) inclusive=$(mktemp)
    callgrind_annotate --auto=no --threshold=100 "$data" > "$self" 2>/dev/null
    callgrind_annotate --auto=no --inclusive=yes --threshold=100 "$data" > "$inclusive" 2>/dev/null
    python3 - "$self" "$inclusive" "$n" <<'PY'
import re, sys
self_path, incl_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
row = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*?)(?:\s+\[(.*)\])?\s*$")
def load(path):
    total, per, in_table = None, {}, False
    for line in open(path):
        if "PROGRAM TOTALS" in line:
            total = int(line.split()[0].replace(",", ""))
            continue
        if line.strip().endswith("file:function"):
            in_table = True
            continue
        if not in_table or line.startswith("-----"):
            continue
        if not line.strip():
            break
        m = row.match(line)
        if not m:
            continue
        ir, name = int(m.group(1).replace(",", "")), m.group(2)
        # "file:function": drop the file part (the first ':' not inside '::').
        func = re.split(r"(?<!:):(?!:)", name, maxsplit=1)[-1]
        per[func] = per.get(func, 0) + ir
    return total, per
total, own = load(self_path)
_, incl = load(incl_path)
print(f"total instructions (Ir): {total:,} ({total / n:,.0f} per number)\n")
def table(title, per, count, skip_above=None):
    print(f"#### {title}\n")
    print("| Ir | % | function |\n|---:|---:|---|")
    shown = 0
    for func, ir in sorted(per.items(), key=lambda kv: -kv[1]):
        if skip_above and (ir > skip_above * total or re.search(r"'\d+$", func)):
            continue  # wrappers, and recursive activations (inclusive cost counted twice)
        print(f"| {ir:,} | {100 * ir / total:.1f} | `{func[:150]}` |")
        shown += 1
        if shown == count:
            break
    print()
table("top 15 by self cost (inlined callees included in their caller)", own, 15)
table("top 20 by inclusive cost (wrappers above 99% and recursive activations like `quicksort'2` left out)", incl, 20, skip_above=0.99)
PY
    rm -f "$self" "$inclusive"
}

profile() {  # name, then the numkeep arguments
    local name=$1; shift
    local data="$BENCH_DIR/callgrind-$N-$name.out"
    echo "callgrind: numkeep $* ($N numbers)..." >&2
    valgrind --tool=callgrind --callgrind-out-file="$data" "$BIN" --config "$TOML" "$@" \
        >/dev/null 2>"$BENCH_DIR/callgrind-$N-$name.log"
    {
        echo "### callgrind: \`numkeep $*\`, $N numbers (commit $REV)"
        echo
        summarize "$data" "$N"
    } > "$OUT/profile-$N-$name.md"
    cat "$OUT/profile-$N-$name.md"
}

# The peak snapshot of massif, one line per top-level allocation site: its size and the
# first frames outside the standard library (who asked for the memory).
massif() {
    local data="$BENCH_DIR/massif-$N-status.out"
    echo "massif: numkeep status --json ($N numbers)..." >&2
    valgrind --tool=massif --massif-out-file="$data" --threshold=1 "$BIN_LINES" --config "$TOML" \
        status --json --at 2026-11-23 >/dev/null 2>"$BENCH_DIR/massif-$N-status.log"
    ms_print --threshold=1 "$data" > "$BENCH_DIR/massif-$N-status.txt"
    python3 - "$BENCH_DIR/massif-$N-status.txt" "$N" "$REV" <<'PY' | tee "$OUT/profile-$N-massif.md"
import re, sys
text, n = open(sys.argv[1]).read().splitlines(), int(sys.argv[2])
peak_line = next(l for l in text if "Detailed snapshots" in l)
peak = int(re.search(r"(\d+) \(peak\)", peak_line).group(1))
start = next(i for i, l in enumerate(text) if re.match(rf"^\s*{peak}\s+[\d,]+\s+[\d,]+", l))
cols = text[start].split()
print(f"### massif: `numkeep status --json`, {n} numbers (commit {sys.argv[3]})\n")
print(f"peak heap: {int(cols[2].replace(',', '')) / 2**20:.1f} MiB "
      f"(useful {int(cols[3].replace(',', '')) / 2**20:.1f} MiB, allocator overhead "
      f"{int(cols[4].replace(',', '')) / 2**20:.1f} MiB) at {int(cols[1].replace(',', '')):,} instructions "
      f"into the run; {int(cols[2].replace(',', '')) / n:,.0f} bytes per number\n")
print("| share | MiB | allocated by (first frames outside std) |\n|---:|---:|---|")
entry = re.compile(r"^(?P<indent>[| ]*)->(?P<pct>[\d.]+)% \((?P<bytes>[\d,]+)B\) (?:0x[0-9A-F]+: )?(?P<frame>.*)$")
i = start + 2
top = None
def boring(frame):
    return (frame.startswith(("UnknownInlinedFun (library/", "alloc::", "core::", "std::", "realloc", "malloc", "grow", "alloc ", "allocate", "reserve", "new", "try_", "with_capacity", "clone", "to_vec", "from ", "extend", "spec_", "push", "insert", "from_iter", "collect", "into", "to_owned", "call_once", "<alloc", "<core", "<std", "UnknownInlinedFun (src/alloc"))
            or "(library/" in frame)
rows = []
while i < len(text) and not text[i].startswith("----") and not re.match(r"^\s*\d+\s+[\d,]+", text[i]):
    m = entry.match(text[i])
    if m and m.group("indent") == "":
        if top: rows.append(top)
        top = [float(m.group("pct")), int(m.group("bytes").replace(",", "")), []]
        if not boring(m.group("frame")):
            top[2].append(m.group("frame"))
    elif m and top is not None and len(top[2]) < 3 and not boring(m.group("frame")):
        f = re.sub(r"<[^<>]*(<[^<>]*(<[^<>]*>[^<>]*)*>[^<>]*)*>", "<…>", m.group("frame"))
        if not top[2] or top[2][-1] != f:
            top[2].append(f)
    elif not m and top is not None and "below massif's threshold" in text[i]:
        pass
    i += 1
if top: rows.append(top)
for pct, size, frames in rows:
    print(f"| {pct:.1f}% | {size / 2**20:.1f} | {' ← '.join(f'`{f[:110]}`' for f in frames) or '(see ms_print)'} |")
print()
PY
}

# The peer, for an instruction budget: Remind on the equivalent file.
REM="$BENCH_DIR/numbers-$N.rem"
if command -v remind >/dev/null && [ -f "$REM" ]; then
    valgrind --tool=callgrind --callgrind-out-file="$BENCH_DIR/callgrind-$N-remind.out" \
        remind -q "$REM" 23 Nov 2026 >/dev/null 2>"$BENCH_DIR/callgrind-$N-remind.log"
    remind_ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$BENCH_DIR/callgrind-$N-remind.out")
    python3 -c 'import sys; n, ir = int(sys.argv[1]), int(sys.argv[2]); print(f"### the peer: `remind -q numbers-{n}.rem 23 Nov 2026`\n\ntotal instructions (Ir): {ir:,} ({ir // n:,} per number)\n")' \
        "$N" "$remind_ir" | tee "$OUT/profile-$N-remind.md"
fi

profile status status --json --at 2026-11-23
[ "$CHECK" = 1 ] && profile check check
[ "$MASSIF" = 1 ] && massif
echo "reports: $OUT/profile-$N-*.md; raw data: $BENCH_DIR/{callgrind,massif}-$N-*" >&2
