#!/usr/bin/env bash
# Attach and detach of 1000 uprobes (fn_0000 .. fn_0999 of the `many` fixture, each called once), whole run:
# fleettap count -v -c vs bpftrace -c. Takes minutes (closing one uprobe perf event costs tens of ms here).
#
# Usage: sudo bench/scripts/attach-detach.sh
#
# Figures per tool:
#   total       wall time of the whole tool command (start-up, attach, the run of many, detach, exit)
#   to exit     tool start to the exit of many (start-up + attach + the ~ms run); taken from a clock stamp that
#               a preloaded library's destructor writes when many exits
#   after exit  exit of many to the tool's exit (detach + teardown)
#   fleettap also logs with -v: "attached N sites (M perf events) in X ms" and "detached M perf events in Y ms".
# Checks: each tool counted exactly 1000 hits and fleettap attached 1000 sites; exits non-zero otherwise, or when
# a tool is missing.
set -euo pipefail

FNS=1000
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

die() { echo "attach-detach: $*" >&2; exit 1; }

for tool in bpftrace gcc make nm java mvn awk; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
[ "$(id -u)" -eq 0 ] || die "needs root (uprobes, bpftrace)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- build --------------------------------------------------------------------------------------------------
make -s -C "$root/agent/src/test/c" OUT="$work" "$work/many" >&2 || die "building the many fixture failed"
many="$work/many"
[ "$(nm "$many" | grep -c ' T fn_[0-9]*$')" -eq "$FNS" ] || die "$many does not define $FNS fn_* functions"

cat > "$work/stampexec.c" <<'EOF'
/* stampexec LIB OUT CMD [ARG...]: execs CMD in place with LIB preloaded and $STAMP_OUT=OUT. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: stampexec LIB OUT CMD [ARG...]\n"); return 2; }
    setenv("STAMP_OUT", argv[2], 1);
    setenv("LD_PRELOAD", argv[1], 1);
    execv(argv[3], argv + 3);
    perror("execv");
    return 127;
}
EOF
cat > "$work/libstamp.c" <<'EOF'
/* Preloaded into the traced program: at exit, appends CLOCK_REALTIME (ns) to $STAMP_OUT. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
__attribute__((destructor)) static void stamp_exit(void) {
    const char *out = getenv("STAMP_OUT");
    if (!out) return;
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    FILE *f = fopen(out, "a");
    if (!f) return;
    fprintf(f, "%lld\n", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
    fclose(f);
}
EOF
gcc -O2 -o "$work/stampexec" "$work/stampexec.c" || die "building stampexec failed"
gcc -O2 -shared -fPIC -o "$work/libstamp.so" "$work/libstamp.c" || die "building libstamp.so failed"

(cd "$root" && { mvn -q -B -o -DskipTests -pl query-cli -am install || mvn -q -B -DskipTests -pl query-cli -am install; }) >&2 \
  || die "building fleettap failed"
fleettap="$root/bin/fleettap"

stamp="$work/stamp"
cmd="$work/stampexec $work/libstamp.so $stamp ./many"
now() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) / 1e6 }'; }

# --- fleettap -----------------------------------------------------------------------------------------------
cd "$work"
rm -f "$stamp"
t0=$(now)
"$fleettap" count -v -c "$cmd" "process(\"$many\").function(\"fn_*\")" >"$work/ft.out" 2>"$work/ft.err" \
  || { cat "$work/ft.err" >&2; die "fleettap failed"; }
t1=$(now)
[ -s "$stamp" ] || die "fleettap: many left no exit stamp"
ft_exit=$(cat "$stamp")
ft_count=$(awk 'NF == 1 && $1 ~ /^[0-9]+$/ { print $1 }' "$work/ft.out")
[ "$ft_count" = "$FNS" ] || { cat "$work/ft.out" >&2; die "fleettap counted '$ft_count', expected $FNS"; }
read -r ft_sites ft_events ft_attach < <(sed -n 's/.*attached \([0-9]*\) sites (\([0-9]*\) perf events) in \([0-9]*\) ms.*/\1 \2 \3/p' "$work/ft.err")
ft_detach=$(sed -n 's/.*detached [0-9]* perf events in \([0-9]*\) ms.*/\1/p' "$work/ft.err")
[ "${ft_sites:-}" = "$FNS" ] || { grep -v 'on 1 (pid' "$work/ft.err" >&2; die "fleettap attached '${ft_sites:-?}' sites, expected $FNS"; }
[ -n "$ft_detach" ] || die "fleettap -v logged no detach time"

# --- bpftrace -----------------------------------------------------------------------------------------------
rm -f "$stamp"
t2=$(now)
BPFTRACE_MAX_PROBES=2000 bpftrace -e "uprobe:$many:fn_* { @ = count(); }" -c "$cmd" >"$work/bt.out" 2>"$work/bt.err" \
  || { cat "$work/bt.out" "$work/bt.err" >&2; die "bpftrace failed"; }
t3=$(now)
[ -s "$stamp" ] || die "bpftrace: many left no exit stamp"
bt_exit=$(cat "$stamp")
bt_count=$(awk '$1 == "@:" { print $2 }' "$work/bt.out")
[ "$bt_count" = "$FNS" ] || { cat "$work/bt.out" >&2; die "bpftrace counted '$bt_count', expected $FNS"; }
bt_probes=$(sed -n 's/^Attaching \([0-9]*\) probes.*/\1/p' "$work/bt.out")

# --- table --------------------------------------------------------------------------------------------------
echo
echo "$FNS uprobes on many (each function called once); $(nproc) CPUs, $(uname -r)"
printf '%-9s %7s %12s %11s %11s %11s %11s\n' tool probes "total ms" "to exit ms" "after exit" "attach -v" "detach -v"
printf '%-9s %7s %12s %11s %11s %11s %11s\n' fleettap "$ft_events" "$(ms "$t0" "$t1")" "$(ms "$t0" "$ft_exit")" \
  "$(ms "$ft_exit" "$t1")" "$ft_attach" "$ft_detach"
printf '%-9s %7s %12s %11s %11s %11s %11s\n' bpftrace "${bt_probes:-?}" "$(ms "$t2" "$t3")" "$(ms "$t2" "$bt_exit")" \
  "$(ms "$bt_exit" "$t3")" - -
echo
echo "counts: fleettap $ft_count, bpftrace $bt_count (expected $FNS each)"
