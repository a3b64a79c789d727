#!/usr/bin/env bash
# pack-benchmark.sh: how fast does archcore write a pacman package, next to makepkg and bsdtar?
#
# Usage: bench/pack-benchmark.sh [options] [WORKDIR]
#
#   WORKDIR            where the tree, packages, logs and results go (default /tmp/archcore-bench). The pkg/
#                      tree is generated once and cached there (regenerated when bench/GenTree.java changes).
#   -n, --runs N       timed runs per tool (default 5, or $BENCH_RUNS); each tool also gets one untimed warm-up.
#   --phases           also run PackBenchmark --phases: times scan, digests, tar, zstd... separately.
#   --no-makepkg       skip makepkg (e.g. on a machine without it).
#   --regen            regenerate the pkg/ tree.
#   --idle-wait S      before each round of runs, wait up to S seconds (default 60, 0 = never) for the machine to be
#                      idle (< 15% CPU busy over one second): others' builds on a shared box skew timings.
#   BENCH_JAVA_OPTS    extra JVM options for PackBenchmark, e.g. a Flight Recorder profile:
#                      BENCH_JAVA_OPTS='-XX:StartFlightRecording=filename=/tmp/pack.jfr,settings=profile'
#   MVN                the Maven command (default mvn).
#   -h, --help
#
# What it does:
#   1. Generates WORKDIR/pkg (java bench/GenTree.java): a deterministic ~105 MiB, ~6,350-entry tree shaped like an
#      application package (source and docs text, configs, JSON, icons, incompressible assets, copies of host ELF
#      binaries and .so files, nested dirs, symlinks, hard links, empty dirs).
#   2. Builds a classpath: `mvn -q -f archcore-maven-plugin/pom.xml dependency:build-classpath`, a snapshot of
#      archcore-maven-plugin/target/classes (running `mvn -q -f ... test-compile` first if it is missing), and
#      PackBenchmark compiled with javac into WORKDIR (so others' half-written tests cannot break the benchmark
#      and a concurrent `mvn clean` cannot pull classes away mid-run).
#   3. Times, round-robin so background load hits every tool alike, each N times after one warm-up:
#        archcore-cold  a fresh JVM per run: `PackBenchmark PKGDIR OUT 1 --no-warmup`. Reports the JVM's wall time
#                       (start-up included, what a one-shot CLI would cost) and the in-JVM time of that cold pack
#                       (what the first pack in an already running Maven costs).
#        makepkg        `makepkg --repackage --nodeps --noconfirm -f` (as user "builder" when run as root: makepkg
#                       refuses root), PKGEXT=.pkg.tar.zst, SOURCE_DATE_EPOCH set. makepkg -R deletes $pkgdir and
#                       re-runs package(), so package() moves the tree in (one rename) and this script moves it
#                       back after each run, untimed. makepkg touches every mtime: harmless here.
#        bsdtar         `bsdtar --zstd -cf OUT -C PKGDIR .`: the floor (one C process, no digests, no .MTREE).
#      and once: archcore-warm, one JVM doing 1 warm-up + N packs, reporting PackBenchmark's own median.
#      Timing uses bash's `time` (wall, user, sys); hyperfine is not used because makepkg needs the tree moved
#      back between runs.
#   4. Prints a summary: median seconds, the ratios makepkg/archcore (target >= 5) and archcore/bsdtar
#      (target <= 1.5), package sizes, and sanity checks: testpkg accepts the archcore package, pacman -Qip names
#      it "bench", and its member list equals makepkg's. Also where makepkg's time goes (its messages are
#      timestamped) and, with --phases, where archcore's goes. bench/README.md explains the numbers.
#
# Needs: java 17+, mvn (with the project's dependencies in the local repository), bsdtar, makepkg + fakeroot,
# testpkg, pacman (all installed by scripts/setup; see docs in /work/shared/docs/test-tools.md). Runs as root
# (creates user "builder" if missing, chowns WORKDIR to it) or as a normal user. Results: WORKDIR/results/.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PLUGIN=$REPO/archcore-maven-plugin
MVN=${MVN:-mvn}
RUNS=${BENCH_RUNS:-5}
PHASES=0
MAKEPKG=1
REGEN=0
IDLE_WAIT=60
WORK=
EPOCH=1700000000

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

while (($#)); do
    case $1 in
        -n|--runs) RUNS=$2; shift ;;
        --phases) PHASES=1 ;;
        --no-makepkg) MAKEPKG=0 ;;
        --regen) REGEN=1 ;;
        --idle-wait) IDLE_WAIT=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [[ -z $WORK ]] || die "one WORKDIR only"; WORK=$1 ;;
    esac
    shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
WORK=${WORK:-/tmp/archcore-bench}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
PKG=$WORK/pkg
RES=$WORK/results
LOGS=$WORK/logs
MKDIR=$WORK/makepkg

for tool in java javac bsdtar; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/setup)"
done
if ((MAKEPKG)); then
    for tool in makepkg fakeroot; do
        command -v "$tool" >/dev/null || die "$tool not found: run scripts/setup, or pass --no-makepkg"
    done
fi

# ---------------------------------------------------------------- helpers

wait_idle() {
    ((IDLE_WAIT > 0)) || return 0
    local waited=0 busy
    while busy=$(cpu_busy); ((busy >= 15)); do
        if ((waited >= IDLE_WAIT)); then
            echo "    (machine still ${busy}% busy after ${IDLE_WAIT}s: measuring anyway; see load in results)"
            return 0
        fi
        ((waited == 0)) && echo "    waiting for the machine to go idle (${busy}% busy)..."
        waited=$((waited + 1))
    done
}

# timed LABEL RUN CMD...: runs CMD with output to logs/LABEL.RUN.log, appends "real user sys" to results/LABEL.times
timed() {
    local label=$1 run=$2; shift 2
    local TIMEFORMAT='%3R %3U %3S' log=$LOGS/$label.$run.log t
    if ! t=$( { time "$@" >"$log" 2>&1 ; } 2>&1 ); then
        tail -n 20 "$log" >&2
        die "$label run $run failed; see $log"
    fi
    echo "$t" >>"$RES/$label.times"
    printf '    %-14s run %-2s %6.3f s wall  (user %s, sys %s)\n' "$label" "$run" ${t% * *} $(echo "$t" | cut -d' ' -f2) $(echo "$t" | cut -d' ' -f3)
}

# ---------------------------------------------------------------- 1. the tree

AS_BUILDER=()
if ((EUID == 0)) && ((MAKEPKG)); then
    id -u builder >/dev/null 2>&1 || useradd -m builder
    AS_BUILDER=(runuser -u builder --)
fi

# an interrupted makepkg run can leave the tree inside makepkg's pkg/
if [[ ! -d $PKG && -d $MKDIR/pkg/bench ]]; then
    mv "$MKDIR/pkg/bench" "$PKG"
fi
[[ -d $PKG ]] && rm -f "$PKG/.PKGINFO" "$PKG/.BUILDINFO" "$PKG/.MTREE"

STAMP=$WORK/.tree-$(sha256sum "$REPO/bench/GenTree.java" | cut -c1-16)
if ((REGEN)) || [[ ! -f $STAMP || ! -d $PKG ]]; then
    say "generating $PKG (once; cached)"
    rm -rf "$PKG" "$PKG.tmp" "$WORK"/.tree-*
    java "$REPO/bench/GenTree.java" "$PKG.tmp"
    mv "$PKG.tmp" "$PKG"
    touch "$STAMP"
fi
rm -rf "$RES" "$LOGS" "$WORK"/out-*
mkdir -p "$RES" "$LOGS" "$WORK/out-archcore" "$WORK/out-makepkg" "$WORK/out-bsdtar"

n_files=$(find "$PKG" -type f | wc -l)
n_links=$(find "$PKG" -type l | wc -l)
n_dirs=$(find "$PKG" -mindepth 1 -type d | wc -l)
n_hard=$(find "$PKG" -type f -links +1 | wc -l)
tree_bytes=$(find "$PKG" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
tree_id=$(cd "$PKG" && find . -printf '%P %y %s %m %l\n' | LC_ALL=C sort | sha256sum | cut -c1-16)
say "tree: $n_files files ($n_hard with several links), $n_links symlinks, $n_dirs dirs, $(awk -v b="$tree_bytes" 'BEGIN{printf "%.1f MiB", b/1048576}'), listing id $tree_id"

# ---------------------------------------------------------------- 2. the classpath

say "building the classpath"
if [[ ! -f $PLUGIN/target/classes/dev/archcore/pacman/PackageWriter.class ]]; then
    "$MVN" -q -f "$PLUGIN/pom.xml" test-compile || die "mvn test-compile failed"
fi
if [[ ! -s $WORK/deps.classpath || $PLUGIN/pom.xml -nt $WORK/deps.classpath || $REPO/pom.xml -nt $WORK/deps.classpath ]]; then
    "$MVN" -q -f "$PLUGIN/pom.xml" dependency:build-classpath -Dmdep.outputFile="$WORK/deps.classpath" >"$LOGS/classpath.log" 2>&1 \
        || { cat "$LOGS/classpath.log" >&2; die "mvn dependency:build-classpath failed"; }
fi
rm -rf "$WORK/classes" "$WORK/bench-classes"
cp -a "$PLUGIN/target/classes" "$WORK/classes"
CP=$WORK/classes:$(cat "$WORK/deps.classpath")
javac -nowarn -d "$WORK/bench-classes" -cp "$CP" "$PLUGIN/src/test/java/dev/archcore/bench/PackBenchmark.java" \
    || die "cannot compile PackBenchmark against target/classes (stale? run mvn -f archcore-maven-plugin/pom.xml test-compile)"
CP=$WORK/bench-classes:$CP
read -r -a JAVA_OPTS <<<"${BENCH_JAVA_OPTS:-}"
JAVA=(java "${JAVA_OPTS[@]}" -cp "$CP" dev.archcore.bench.PackBenchmark)

if ((MAKEPKG)); then
    mkdir -p "$MKDIR"
    cat >"$MKDIR/PKGBUILD" <<EOF
# written by bench/pack-benchmark.sh: repackages the benchmark tree unchanged
pkgname=bench
pkgver=1.0
pkgrel=1
pkgdesc='archcore pack benchmark'
arch=(x86_64)
url='https://example.invalid/bench'
license=(MIT)
# keep everything as it is: no strip, keep docs/.la/.a/empty dirs, no man page gzip, no purge
options=(!strip docs libtool staticlibs emptydirs !zipman !purge !debug !lto)

package() {
    # makepkg -R deletes and recreates \$pkgdir before package(): move the tree in (a rename);
    # pack-benchmark.sh moves it back after each run, outside the timing
    rmdir "\$pkgdir"
    mv '$PKG' "\$pkgdir"
}
EOF
    if ((${#AS_BUILDER[@]})); then
        chown -R builder: "$WORK"
        "${AS_BUILDER[@]}" test -w "$WORK" -a -x "$WORK" || die "user builder cannot write $WORK; pick a WORKDIR it can reach (e.g. under /tmp)"
    fi
fi

# prefixes each line with the time it arrived ($EPOCHREALTIME: no fork), to see where makepkg spends its time
stamp() {
    local line
    while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
}
run_makepkg() {
    { echo "==> (makepkg starts)"
      cd "$MKDIR" && "${AS_BUILDER[@]}" env PKGEXT=.pkg.tar.zst SOURCE_DATE_EPOCH=$EPOCH PKGDEST="$WORK/out-makepkg" \
        BUILDDIR="$MKDIR" makepkg --repackage --nodeps --noconfirm -f
      echo "==> (makepkg exits)"; } 2>&1 | stamp
}
# makepkg_steps LOG...: median seconds from each makepkg message to the next, in message order
makepkg_steps() {
    awk 'FNR == 1 { prev = ""; n = 0 }
         $2 == "==>" || $2 == "->" {
            t = $1; sub(/^[^ ]+ +[^ ]+ +/, ""); msg = $0
            sub(/ \(.*\)$/, "", msg); sub(/"bench"/, "", msg)
            if (prev != "") { print FILENAME "\t" n "\t" prev "\t" t - pt }
            prev = msg; pt = t; n++
         }' "$@" |
    sort -t$'\t' -k2,2n -k4,4g |
    awk -F'\t' '{ k = $2 "\t" $3; v[k] = v[k] " " $4; c[k]++ }
         END { for (k in v) { split(substr(v[k], 2), a, " "); m = c[k]; med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
                              split(k, kk, "\t"); printf "%s\t%.3f\t%s\n", kk[1], med, kk[2] } }' |
    sort -n | awk -F'\t' '{ printf "  %-44s %7.3f s\n", $3, $2 }'
}
restore_tree() {
    if [[ -d $MKDIR/pkg/bench && ! -e $PKG ]]; then
        mv "$MKDIR/pkg/bench" "$PKG"
    fi
    [[ -d $PKG ]] || die "lost the tree ($PKG); rerun with --regen"
    # makepkg leaves its metadata files in $pkgdir
    rm -f "$PKG/.PKGINFO" "$PKG/.BUILDINFO" "$PKG/.MTREE" "$PKG/.INSTALL" "$PKG/.CHANGELOG"
}
trap 'restore_tree 2>/dev/null || true' EXIT

# ---------------------------------------------------------------- 3. timings

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "warm-up (one untimed run of each; fills the page cache)"
wait_idle
bsdtar --zstd -cf "$WORK/out-bsdtar/bench.tar.zst" -C "$PKG" . >"$LOGS/bsdtar.warmup.log" 2>&1
"${JAVA[@]}" "$PKG" "$WORK/out-archcore" 1 --no-warmup >"$LOGS/archcore-cold.warmup.log" 2>&1 \
    || { cat "$LOGS/archcore-cold.warmup.log" >&2; die "PackBenchmark failed"; }
if ((MAKEPKG)); then
    run_makepkg >"$LOGS/makepkg.warmup.log" 2>&1 || { restore_tree; cat "$LOGS/makepkg.warmup.log" >&2; die "makepkg failed"; }
    restore_tree
fi

say "timing $RUNS runs each, round-robin"
for ((i = 1; i <= RUNS; i++)); do
    wait_idle
    timed bsdtar "$i" bsdtar --zstd -cf "$WORK/out-bsdtar/bench.tar.zst" -C "$PKG" .
    timed archcore-cold "$i" "${JAVA[@]}" "$PKG" "$WORK/out-archcore" 1 --no-warmup
    sed -n 's/^archcore run=1 ms=\([0-9.]*\) cpu_ms=\([0-9.]*\).*/\1 \2/p' "$LOGS/archcore-cold.$i.log" >>"$RES/archcore-cold.internal_ms"
    if ((MAKEPKG)); then
        timed makepkg "$i" run_makepkg
        restore_tree
    fi
done

say "archcore in one JVM: 1 warm-up + $RUNS packs$( ((PHASES)) && echo ', then --phases')"
wait_idle
phase_flag=()
((PHASES)) && phase_flag=(--phases)
timed archcore-warm 1 "${JAVA[@]}" "$PKG" "$WORK/out-archcore" "$RUNS" "${phase_flag[@]}"
WARM_LOG=$LOGS/archcore-warm.1.log
sed -n 's/^archcore run=[0-9]* ms=\([0-9.]*\) cpu_ms=\([0-9.]*\).*/\1 \2/p' "$WARM_LOG" >"$RES/archcore-warm.internal_ms"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- 4. summary

ARCH_PKG=$WORK/out-archcore/bench-1.0-1-x86_64.pkg.tar.zst
MK_PKG=$WORK/out-makepkg/bench-1.0-1-x86_64.pkg.tar.zst
BSD_PKG=$WORK/out-bsdtar/bench.tar.zst

warm_med=$(ms_to_s <"$RES/archcore-warm.internal_ms" | median)
warm_min=$(ms_to_s <"$RES/archcore-warm.internal_ms" | minimum)
warm_max=$(ms_to_s <"$RES/archcore-warm.internal_ms" | maximum)
warm_cpu=$(ms_to_s 2 <"$RES/archcore-warm.internal_ms" | median)
coldin_med=$(ms_to_s <"$RES/archcore-cold.internal_ms" | median)
coldin_min=$(ms_to_s <"$RES/archcore-cold.internal_ms" | minimum)
coldin_max=$(ms_to_s <"$RES/archcore-cold.internal_ms" | maximum)
coldin_cpu=$(ms_to_s 2 <"$RES/archcore-cold.internal_ms" | median)

row() { # label file-of-times size-file
    local f=$1 label=$2 size=$3
    printf '%-40s %8s %8s %8s %9s %9s\n' "$label" "$(col 1 "$f" | median)" "$(col 1 "$f" | minimum)" "$(col 1 "$f" | maximum)" \
        "$(paste -d' ' <(col 2 "$f") <(col 3 "$f") | awk '{printf "%.3f\n", $1+$2}' | median)" "$size"
}
mib() { [[ -f $1 ]] && awk -v b="$(stat -c %s "$1")" 'BEGIN{printf "%.1f", b/1048576}' || echo -; }
verdict() { awk -v r="$1" -v t="$2" -v op="$3" 'BEGIN{ ok = (op == ">=") ? (r >= t) : (r <= t); print ok ? "meets" : "MISSES" }'; }

bsd_med=$(col 1 "$RES/bsdtar.times" | median)
cold_wall_med=$(col 1 "$RES/archcore-cold.times" | median)
{
    echo
    echo "archcore pack benchmark  $(date -u +%Y-%m-%dT%H:%MZ)  $(uname -m), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM"
    echo "tree: $n_files files, $n_links symlinks, $n_dirs dirs, $(awk -v b="$tree_bytes" 'BEGIN{printf "%.1f MiB", b/1048576}') (id $tree_id); runs: $RUNS each after 1 warm-up"
    echo "load average before: $load_before  after: $load_after"
    if awk -v a="${load_before%% *}" -v b="${load_after%% *}" 'BEGIN { exit !(a > 1 || b > 1) }'; then
        echo "WARNING: the machine was busy (1-min load > 1 on $(nproc) CPUs): wall times are inflated and noisy;"
        echo "         the cpu s column is steadier. Rerun when idle for numbers to publish."
    fi
    echo
    printf '%-40s %8s %8s %8s %9s %9s\n' "" "median s" "min s" "max s" "cpu s" "size MiB"
    printf '%-40s %8s %8s %8s %9s %9s\n' "archcore, in-JVM, warm (PackBenchmark)" "$warm_med" "$warm_min" "$warm_max" "$warm_cpu" "$(mib "$ARCH_PKG")"
    printf '%-40s %8s %8s %8s %9s %9s\n' "archcore, in-JVM, first pack (cold JIT)" "$coldin_med" "$coldin_min" "$coldin_max" "$coldin_cpu" "$(mib "$ARCH_PKG")"
    row "$RES/archcore-cold.times" "archcore, whole JVM (start-up included)" "$(mib "$ARCH_PKG")"
    if ((MAKEPKG)); then
        row "$RES/makepkg.times" "makepkg --repackage" "$(mib "$MK_PKG")"
    fi
    row "$RES/bsdtar.times" "bsdtar --zstd (floor)" "$(mib "$BSD_PKG")"
    echo "(cpu s: user + sys of the process tree, or for in-JVM rows the JVM's process CPU time during the pack;"
    echo " in-JVM times are PackBenchmark's own clock around scan + write)"
    echo "JVM start-up, class loading and exit: about $(awk -v a="$cold_wall_med" -v b="$coldin_med" 'BEGIN{printf "%.3f", a-b}') s (whole-JVM wall - first pack, medians)"
    echo
    if ((MAKEPKG)); then
        mk_med=$(col 1 "$RES/makepkg.times" | median)
        r=$(ratio "$mk_med" "$warm_med")
        echo "makepkg/archcore  = $r  (warm in-JVM; target >= 5: $(verdict "$r" 5 '>='))"
        echo "                    $(ratio "$mk_med" "$coldin_med") with archcore's first pack in a JVM, $(ratio "$mk_med" "$cold_wall_med") against a whole fresh JVM"
    fi
    r=$(ratio "$warm_med" "$bsd_med")
    echo "archcore/bsdtar   = $r  (warm in-JVM; target <= 1.5: $(verdict "$r" 1.5 '<='))"
    echo "                    $(ratio "$coldin_med" "$bsd_med") for the first pack in a JVM, $(ratio "$cold_wall_med" "$bsd_med") for a whole fresh JVM"
    echo
    echo "sanity:"
    if command -v testpkg >/dev/null; then
        echo "  testpkg:       $(testpkg "$ARCH_PKG" 2>&1 | tr '\n' ' ')"
    fi
    if command -v pacman >/dev/null; then
        echo "  pacman -Qip:   $(pacman -Qip "$ARCH_PKG" 2>/dev/null | grep -E '^(Name|Version|Installed Size)' | sed 's/  */ /g' | paste -sd';' -)"
    fi
    if ((MAKEPKG)) && [[ -f $MK_PKG ]]; then
        if diff <(bsdtar -tf "$ARCH_PKG" | LC_ALL=C sort) <(bsdtar -tf "$MK_PKG" | LC_ALL=C sort) >"$RES/members.diff"; then
            echo "  members:       identical to makepkg's ($(bsdtar -tf "$ARCH_PKG" | wc -l) entries)"
        else
            echo "  members:       DIFFER from makepkg's, see $RES/members.diff"
        fi
    fi
    if ((MAKEPKG)); then
        echo
        echo "makepkg --repackage, time from each of its messages to the next (median of $RUNS):"
        makepkg_steps "$LOGS"/makepkg.[0-9]*.log
    fi
    if ((PHASES)); then
        echo
        echo "archcore phases (PackBenchmark --phases, in one warm JVM, median of $RUNS; sinks are /dev/null-like unless noted):"
        printf '  %-28s %10s %10s %10s %10s\n' phase "median ms" "min ms" "cpu ms" "first ms"
        sed -n 's/^phase name=\([^ ]*\) median_ms=\([^ ]*\) min_ms=\([^ ]*\) max_ms=[^ ]* first_ms=\([^ ]*\) cpu_ms=\([^ ]*\)/\1 \2 \3 \5 \4/p' "$WARM_LOG" \
            | awk '{printf "  %-28s %10.1f %10.1f %10.1f %10.1f\n", $1, $2, $3, $4, $5}'
        sed -n 's/^phase tar_bytes=/  uncompressed tar bytes: /p' "$WARM_LOG"
    fi
    echo
    echo "raw times: $RES/*.times (real user sys), logs: $LOGS/"
} | tee "$RES/summary.txt"
