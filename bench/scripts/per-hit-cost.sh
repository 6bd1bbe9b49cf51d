#!/usr/bin/env bash
# Per-hit cost of a uprobe on loop's f(), whole run, every tracer in the same run.
#
# Usage: sudo bench/scripts/per-hit-cost.sh            (REPS=5 N=100000 by default)
#
# Configurations, run round-robin (one repetition of each, then the next), median of REPS:
#   none        no tracer
#   floor       perf probe f + perf stat: the bare kernel counter on one uprobe (the physical floor)
#   floor-pair  perf probe f and f%return + perf stat on both: the floor for an entry+return pair
#   bpftrace    bpftrace counting: uprobe:LOOP:f { @ = count(); }
#   fleettap    fleettap count -c (kernel counter, no sample reaches user space)
#   ft-pair     fleettap count --sample on f and f.return (every hit sampled, counted in Java)
#   bt-pair     bpftrace entry+return pair: nsecs in a map on entry, hist of the delta on return
#   pr-pair     perf record on f and f%return: the kernel's own sampling path into a perf ring buffer, read by perf
#               (the peer for ft-pair's kernel side: same records, different reader)
#   ft-settled, ft-pair-settled   fleettap and ft-pair again, but loop starts 3 s after the probes are attached
#               (a launcher sleeps, then execs): shows what the JVM's own start-up work (JIT, GC threads) costs the
#               traced program on a machine with few CPUs, apart from the probe path
#
# METRIC=cpu (default): the loop process's own CPU time (user + sys, getrusage at exit): a uprobe trap is charged
# to the process that hits it, and on this shared VM CPU time is far steadier than wall time (the guest kernel
# leaves out time stolen by the host). METRIC=wall: its wall time instead.
#
# What is timed: the loop process only, from its exec to its exit, so tracer start-up, attach and detach are left
# out. A tiny launcher (timeit) puts CLOCK_MONOTONIC in the environment and execs loop in place (no fork: the
# pid stays the one the tracer follows); a preloaded library's destructor reads the clock again when loop exits
# and appends the elapsed nanoseconds to a file. Every tracer starts the launcher only after its probes are
# attached (perf stat, bpftrace -c, fleettap -c all hold the command until then).
#
# Every repetition checks that the tracer counted exactly N hits (N entries and N returns for pairs). A repetition
# with a wrong count (e.g. samples lost) is reported and left out of the median, and the script then exits
# non-zero, as it does when a tool is missing.
set -euo pipefail

REPS=${REPS:-5}
N=${N:-100000}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ -n "${CONFIGS:-}" ]; then read -r -a CONFIGS <<<"$CONFIGS"; else
  CONFIGS=(none floor floor-pair bpftrace fleettap ft-pair bt-pair pr-pair ft-settled ft-pair-settled)
fi
SETTLE_MS=${SETTLE_MS:-3000}

die() { echo "per-hit-cost: $*" >&2; exit 1; }

for tool in perf bpftrace gcc make java mvn awk; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
[ "$(id -u)" -eq 0 ] || die "needs root (uprobes, perf probe, bpftrace)"

work="$(mktemp -d)"
cleanup() {
  perf probe -q -d 'ftbench:*' >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- build --------------------------------------------------------------------------------------------------
make -s -C "$root/agent/src/test/c" OUT="$work" "$work/loop" >&2 || die "building the loop fixture failed"
loop="$work/loop"

cat > "$work/timeit.c" <<'EOF'
/* timeit LIB OUT CMD [ARG...]: records CLOCK_MONOTONIC, then execs CMD in place with LIB preloaded. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: timeit LIB OUT CMD [ARG...]\n"); return 2; }
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
    setenv("TIMEIT_T0", buf, 1);
    setenv("TIMEIT_OUT", argv[2], 1);
    setenv("LD_PRELOAD", argv[1], 1);
    execv(argv[3], argv + 3);
    perror("execv");
    return 127;
}
EOF
cat > "$work/libtimeit.c" <<'EOF'
/* Preloaded into the timed program: at exit, appends "WALL_NS CPU_NS" to $TIMEIT_OUT: now - $TIMEIT_T0, and the
   process's user + system time so far. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
__attribute__((destructor)) static void timeit_done(void) {
    const char *t0 = getenv("TIMEIT_T0"), *out = getenv("TIMEIT_OUT");
    if (!t0 || !out) return;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    long long ns = (long long)t.tv_sec * 1000000000LL + t.tv_nsec - atoll(t0);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long long cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL
            + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
    FILE *f = fopen(out, "a");
    if (!f) return;
    fprintf(f, "%lld %lld\n", ns, cpu);
    fclose(f);
}
EOF
cat > "$work/sleepexec.c" <<'EOF'
/* sleepexec MS CMD [ARG...]: sleeps MS milliseconds, then execs CMD in place (same pid, no fork). */
#include <stdlib.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: sleepexec MS CMD [ARG...]\n"); return 2; }
    usleep((useconds_t)atoi(argv[1]) * 1000);
    execv(argv[2], argv + 2);
    perror("execv");
    return 127;
}
EOF
gcc -O2 -o "$work/timeit" "$work/timeit.c" || die "building timeit failed"
gcc -O2 -o "$work/sleepexec" "$work/sleepexec.c" || die "building sleepexec failed"
gcc -O2 -shared -fPIC -o "$work/libtimeit.so" "$work/libtimeit.c" || die "building libtimeit.so failed"

# Build the jar up front (offline if the local repository has everything), so no repetition pays for it.
(cd "$root" && { mvn -q -B -o -DskipTests -pl query-cli -am install || mvn -q -B -DskipTests -pl query-cli -am install; }) >&2 \
  || die "building fleettap failed"
fleettap="$root/bin/fleettap"

perf probe -q -d 'ftbench:*' >/dev/null 2>&1 || true
perf probe -q -x "$loop" -a 'ftbench:f=f' || die "perf probe -x $loop f failed"
perf probe -q -x "$loop" -a 'ftbench:fret=f%return' || die "perf probe -x $loop f%return failed"

# --- one repetition -----------------------------------------------------------------------------------------
tfile="$work/elapsed"
timed="$work/timeit $work/libtimeit.so $tfile $loop $N"
point="process(\"$loop\").function(\"f\")"
log="$work/log"

bad="$work/bad"
expect() {  # expect NAME WHAT GOT: a wrong count marks the repetition bad (see $bad) and shows the tool's output
  [ "$3" = "$N" ] && return 0
  echo "--- output of $1:" >&2
  cat "$log" >&2
  echo "per-hit-cost: $1: $2 counted '$3', expected $N" | tee -a "$bad" >&2
}

run_one() {
  local cfg=$1
  rm -f "$tfile" "$bad"
  local settled="$work/sleepexec $SETTLE_MS $timed"
  case $cfg in
    none)
      local rc=0
      $timed >"$log" 2>&1 || rc=$?
      expect "$cfg" "exit status (count & 0xff)" "$([ "$rc" -eq $((N & 255)) ] && echo "$N" || echo "rc=$rc")"
      ;;
    floor)
      perf stat -x, -o "$work/stat" -e ftbench:f -- $timed >"$log" 2>&1
      cat "$work/stat" >>"$log"
      expect "$cfg" f "$(awk -F, '$3 == "ftbench:f" { print $1 }' "$work/stat")"
      ;;
    floor-pair)
      perf stat -x, -o "$work/stat" -e ftbench:f -e ftbench:fret__return -- $timed >"$log" 2>&1
      cat "$work/stat" >>"$log"
      expect "$cfg" f "$(awk -F, '$3 == "ftbench:f" { print $1 }' "$work/stat")"
      expect "$cfg" f%return "$(awk -F, '$3 == "ftbench:fret__return" { print $1 }' "$work/stat")"
      ;;
    bpftrace)
      bpftrace -e "uprobe:$loop:f { @ = count(); }" -c "$timed" >"$log" 2>&1
      expect "$cfg" f "$(awk '$1 == "@:" { print $2 }' "$log")"
      ;;
    fleettap)
      "$fleettap" count -c "$timed" "$point" >"$log" 2>&1
      expect "$cfg" f "$(awk 'NF == 1 && $1 ~ /^[0-9]+$/ { print $1 }' "$log")"
      ;;
    ft-settled)
      "$fleettap" count -c "$settled" "$point" >"$log" 2>&1
      expect "$cfg" f "$(awk 'NF == 1 && $1 ~ /^[0-9]+$/ { print $1 }' "$log")"
      ;;
    ft-pair|ft-pair-settled)
      "$fleettap" count --sample -c "$([ "$cfg" = ft-pair ] && echo "$timed" || echo "$settled")" \
          "$point" "$point.return" >"$log" 2>&1
      expect "$cfg" f "$(awk -v p="$point" '$2 == p { print $1 }' "$log")"
      expect "$cfg" f.return "$(awk -v p="$point.return" '$2 == p { print $1 }' "$log")"
      ;;
    pr-pair)
      perf record -q -o "$work/perf.data" -e ftbench:f -e ftbench:fret__return -- $timed >"$log" 2>&1
      perf script -i "$work/perf.data" -F event 2>/dev/null | sort | uniq -c >>"$log"
      expect "$cfg" f "$(awk '$2 == "ftbench:f:" { print $1 }' "$log")"
      expect "$cfg" f%return "$(awk '$2 == "ftbench:fret__return:" { print $1 }' "$log")"
      ;;
    bt-pair)
      bpftrace -e "uprobe:$loop:f { @s[tid] = nsecs; } uretprobe:$loop:f { @h = hist(nsecs - @s[tid]); }
                   END { clear(@s); }" -c "$timed" >"$log" 2>&1
      # Every return lands in one histogram bucket: the buckets add up to the number of pairs.
      expect "$cfg" "entry+return pairs" "$(awk '/^\[/ { n += $3 } END { print n + 0 }' "$log")"
      ;;
  esac
  [ -s "$tfile" ] && [ "$(wc -l <"$tfile")" -eq 1 ] || die "$cfg: the timed program left no single timing line"
  awk -v m="${METRIC:-cpu}" '{ print (m == "wall") ? $1 : $2 }' "$tfile"
}

# --- run ----------------------------------------------------------------------------------------------------
declare -A times bads
failed=0
for rep in $(seq 1 "$REPS"); do
  for cfg in "${CONFIGS[@]}"; do
    ns=$(run_one "$cfg")
    note=""
    if [ -e "$bad" ]; then
      bads[$cfg]=$(( ${bads[$cfg]:-0} + 1 ))
      failed=1
      note="  WRONG COUNT, left out"
    else
      times[$cfg]+="$ns "
    fi
    printf 'rep %d %-15s %8.1f ms%s\n' "$rep" "$cfg" "$(awk -v n="$ns" 'BEGIN { print n / 1e6 }')" "$note" >&2
  done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
minimum() { tr ' ' '\n' | grep . | sort -n | head -1; }
maximum() { tr ' ' '\n' | grep . | sort -n | tail -1; }

declare -A med mn
for cfg in "${CONFIGS[@]}"; do
  med[$cfg]=$(median <<<"${times[$cfg]:-}")
  mn[$cfg]=$(minimum <<<"${times[$cfg]:-}")
done

floor_of() {
  case $1 in
    floor|bpftrace|fleettap|ft-settled) echo floor ;;
    floor-pair|bt-pair|pr-pair|ft-pair|ft-pair-settled) echo floor-pair ;;
  esac
}

echo
metric=${METRIC:-cpu}
echo "loop $N calls of f(); $REPS repetitions, median (min-max) of those with exact counts; metric: the loop's $metric time; $(nproc) CPUs, $(uname -r)"
printf '%-15s %5s %24s %11s %27s\n' config ok "$metric ms" "per hit us" "added per hit over floor"
for cfg in "${CONFIGS[@]}"; do
  fl=$(floor_of "$cfg")
  awk -v c="$cfg" -v m="${med[$cfg]}" -v lo="$(minimum <<<"${times[$cfg]:-}")" -v hi="$(maximum <<<"${times[$cfg]:-}")" \
      -v ok="$((REPS - ${bads[$cfg]:-0}))/$REPS" -v none="${med[none]}" -v f="${fl:+${med[$fl]}}" -v fl="$fl" \
      -v n="$N" 'BEGIN {
    if (m == "") { printf "%-15s %5s %24s\n", c, ok, "n/a"; exit }
    range = sprintf("%.1f (%.1f-%.1f)", m / 1e6, lo / 1e6, hi / 1e6)
    hit = c == "none" ? "-" : sprintf("%.3f", (m - none) / n / 1e3)
    add = (fl == "" || fl == c || f == "") ? "-" : sprintf("%+.3f us (%s)", (m - f) / n / 1e3, fl)
    printf "%-15s %5s %24s %11s %27s\n", c, ok, range, hit, add
  }'
done

echo
ratios() {  # ratios LABEL NUMERATOR-CONFIG FLOOR-CONFIG DENOMINATOR-CONFIG GOAL: from medians and from minimums
  awk -v l="$1" -v a="${med[$2]:-}" -v f="${med[$3]:-}" -v b="${med[$4]:-}" \
      -v a2="${mn[$2]:-}" -v f2="${mn[$3]:-}" -v b2="${mn[$4]:-}" -v g="$5" '
    function r(x, y, z) { return (x == "" || y == "" || z == "") ? "n/a" : (z - y <= 0) ? "n/a(<=0)" : sprintf("%.3f", (x - y) / (z - y)) }
    BEGIN { printf "%-48s %9s %9s%s\n", l, r(a, f, b), r(a2, f2, b2), g == "" ? "" : "   (goal " g ")" }'
}
printf '%-48s %9s %9s\n' "ratio" "medians" "minimums"
# Per hit over no tracer: (t - none) / (t_floor - none). Pairs: added over the pair floor, fleettap / bpftrace.
ratios "fleettap counting / floor (per hit):" fleettap none floor "<= 1.05"
ratios "fleettap counting, settled / floor (per hit):" ft-settled none floor "<= 1.05"
ratios "bpftrace counting / floor (per hit):" bpftrace none floor ""
ratios "fleettap pair added / bpftrace pair added:" ft-pair floor-pair bt-pair "<= 1.0"
ratios "fleettap pair, settled, added / bpftrace's:" ft-pair-settled floor-pair bt-pair "<= 1.0"
ratios "fleettap pair added / perf record pair added:" ft-pair floor-pair pr-pair ""

[ "$failed" -eq 0 ] || die "some repetitions counted wrong (see above); their times are left out"
