#!/usr/bin/env bash
# image-benchmark.sh: how fast does archcore:image turn a dependency closure into an image, next to the seed's
# way (pacman -S into a fresh root, then bsdtar -czf of that root, then docker import)?
#
# Usage: bench/image-benchmark.sh [options] [WORKDIR]
#
#   WORKDIR            where the repository, roots, images, logs and results go (default /tmp/archcore-image-bench).
#                      The repository is generated once and cached there (regenerated when the benchmark's source
#                      changes).
#   -n, --runs N       timed rounds (default 5, or $BENCH_RUNS), after one untimed warm-up round.
#   --phases [N]       also run ImageClosureBenchmark phases (N runs, default 3, in one JVM): where archcore's time
#                      goes (indexing, layer writing, gzip level, parallel layers). Adds about 4 min at N=3.
#   --no-docker        do not start a private dockerd (else used when dockerd and docker are installed).
#   --regen            regenerate the repository.
#   --idle-wait S      before each measurement wait up to S seconds (default 60, 0 = never) for the machine to be
#                      idle (< 15% CPU busy over one second): others' builds on a shared box skew timings.
#   BENCH_JAVA_OPTS    extra JVM options for the archcore runs (e.g. -XX:StartFlightRecording=...).
#   BENCH_LEVEL        gzip level of archcore's layers and of the floor (default 1, archcore:image's default).
#   MVN                the Maven command (default mvn, else the project's mvnw).
#   -h, --help
#
# What it does:
#   1. `ImageClosureBenchmark generate`: a local repository (WORKDIR/repo, written by RepoWriter) of 159
#      dependency packages and app 1-1, written by PackageWriter (zstd 3): 20,000 files, 300 MiB installed
#      (text 120 MiB, copies of the host's .so files 105 MiB, seeded random 45 MiB, table-like data 30 MiB), in a
#      dependency DAG whose roots the app depends on. Plus WORKDIR/pacman.conf (file:// server, SigLevel Never).
#   2. Builds the classpath as pack-benchmark.sh does (target/classes snapshot, dependencies from mvn,
#      ImageClosureBenchmark compiled with javac into WORKDIR).
#   3. Times N rounds, each:
#        seed-pacman   pacman --root R --dbpath R/var/lib/pacman --cachedir C --config pacman.conf -Sy --noconfirm app
#                      into a fresh R with an empty cache C (so it "downloads" from the file:// repository)
#        seed-bsdtar   bsdtar -czf seed.tar.gz -C R .   (libarchive's gzip, zlib level 6 by default)
#        seed-import   docker import seed.tar.gz (private dockerd, vfs storage), when docker is available
#        archcore-cold a fresh JVM doing what archcore:image does (ImageMojo's code path): read the app package,
#                      resolve + fetch its depends (DependencyClosure, lock file), ImageBuilder.build (OCI layout,
#                      docker-archive, SBOM, digest), with every archcore cache empty. The JVM prints its own
#                      resolve+fetch and image times; the whole JVM's wall time is also kept.
#        archcore-warm the same with the caches of the cold run kept and only the app changed: app N-1, new content,
#                      same depends (written untimed before the run, as archcore:pkg would have)
#        archcore-load docker load -i of archcore's docker-archive, when docker is available (for comparison)
#        floor-shell   zstdcat repo/*.pkg.tar.zst | gzip -LEVEL > /dev/null (every input read once, output compressed
#                      once; two processes, so decompression overlaps gzip)
#      then once: `ImageClosureBenchmark floor WORKDIR N --detail`: the floor in one JVM thread (zstd decompression
#      of every package and one gzip -LEVEL stream of all the bytes, the JDK zlib the layer writer uses), with the parts
#      and a 2-thread split.
#   4. Prints a summary: medians, (a) = seed-pacman + seed-bsdtar (per round), (b) = resolve+fetch+image cold and
#      warm, the ratios against the targets (a/cold >= 3, a/warm >= 20, cold/floor <= 2), the machine's load, and a
#      sanity check (archcore's image holds the same paths as pacman's root, apart from what each adds).
#
# Needs: java 17+, mvn, pacman, bsdtar, zstd, gzip; optionally docker + dockerd. Runs as root (pacman -S into a
# root needs it). Results: WORKDIR/results/ (summary.txt, *.times with "real user sys" per run, *.internal).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PLUGIN=$REPO/archcore-maven-plugin
SRC=$PLUGIN/src/test/java/dev/archcore/bench/ImageClosureBenchmark.java
if [[ -z ${MVN:-} ]]; then
    if command -v mvn >/dev/null; then MVN=mvn; else MVN=$REPO/mvnw; fi
fi
RUNS=${BENCH_RUNS:-5}
LEVEL=${BENCH_LEVEL:-1}
PHASES=0
PHASE_RUNS=3
DOCKER=1
REGEN=0
IDLE_WAIT=60
WORK=

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

while (($#)); do
    case $1 in
        -n|--runs) RUNS=$2; shift ;;
        --phases) PHASES=1; if [[ ${2:-} =~ ^[1-9][0-9]*$ ]]; then PHASE_RUNS=$2; shift; fi ;;
        --no-docker) DOCKER=0 ;;
        --regen) REGEN=1 ;;
        --idle-wait) IDLE_WAIT=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [[ -z $WORK ]] || die "one WORKDIR only"; WORK=$1 ;;
    esac
    shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
((EUID == 0)) || die "run as root: pacman -S into a fresh root needs it"
WORK=${WORK:-/tmp/archcore-image-bench}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
RES=$WORK/results
LOGS=$WORK/logs
ROOT=$WORK/seed-root
PCACHE=$WORK/seed-cache
ACACHE=$WORK/archcore-cache
AOUT=$WORK/archcore-out
DDIR=$WORK/dockerd

for tool in java javac pacman bsdtar zstdcat gzip; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/setup)"
done
if ((DOCKER)) && ! { command -v dockerd >/dev/null && command -v docker >/dev/null; }; then
    echo "image-benchmark: no docker/dockerd here: skipping docker import / docker load" >&2
    DOCKER=0
fi

# ---------------------------------------------------------------- helpers

# wait_idle LABEL: syncs, waits for < 15% busy (up to IDLE_WAIT s); logs the busy % and load average it started at
wait_idle() {
    local label=${1:-} waited=0 busy
    sync # the previous step's dirty pages (a root, an image) are written back now, not during the next one
    busy=$(cpu_busy)
    if ((IDLE_WAIT > 0)); then
        while ((busy >= 15)); do
            if ((waited >= IDLE_WAIT)); then
                echo "    (machine still ${busy}% busy after ${IDLE_WAIT}s: measuring anyway; see load in results)"
                break
            fi
            ((waited == 0)) && echo "    waiting for the machine to go idle (${busy}% busy)..."
            waited=$((waited + 1))
            busy=$(cpu_busy)
        done
    fi
    [[ -n $label ]] && echo "$label busy=$busy load=$(cut -d' ' -f1 /proc/loadavg) waited=$waited" >>"$RES/load.log"
    return 0
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
    printf '    %-14s run %-2s %7.3f s wall  (user %s, sys %s)\n' "$label" "$run" ${t% * *} $(echo "$t" | cut -d' ' -f2) $(echo "$t" | cut -d' ' -f3)
}

verdict() { awk -v r="$1" -v t="$2" -v op="$3" 'BEGIN{ ok = (op == ">=") ? (r >= t) : (r <= t); print ok ? "meets" : "MISSES" }'; }
mib() { awk -v b="$1" 'BEGIN{printf "%.1f", b/1048576}'; }

# ---------------------------------------------------------------- 1. classpath and repository

mkdir -p "$LOGS.tmp"
say "building the classpath"
if [[ ! -f $PLUGIN/target/classes/dev/archcore/image/ImageBuilder.class ]]; then
    $MVN -q -f "$PLUGIN/pom.xml" test-compile || die "mvn test-compile failed"
fi
if [[ ! -s $WORK/deps.classpath || $PLUGIN/pom.xml -nt $WORK/deps.classpath || $REPO/pom.xml -nt $WORK/deps.classpath ]]; then
    $MVN -q -f "$PLUGIN/pom.xml" dependency:build-classpath -Dmdep.outputFile="$WORK/deps.classpath" >"$LOGS.tmp/classpath.log" 2>&1 \
        || { cat "$LOGS.tmp/classpath.log" >&2; die "mvn dependency:build-classpath failed"; }
fi
rm -rf "$WORK/classes" "$WORK/bench-classes"
cp -a "$PLUGIN/target/classes" "$WORK/classes"
CP=$WORK/classes:$(cat "$WORK/deps.classpath")
javac -nowarn -d "$WORK/bench-classes" -cp "$CP" "$SRC" \
    || die "cannot compile ImageClosureBenchmark against target/classes (stale? run mvn -f archcore-maven-plugin/pom.xml test-compile)"
CP=$WORK/bench-classes:$CP
read -r -a JAVA_OPTS <<<"${BENCH_JAVA_OPTS:-}"
BENCH=(java "${JAVA_OPTS[@]}" -cp "$CP" dev.archcore.bench.ImageClosureBenchmark)

STAMP=$WORK/.repo-$(sha256sum "$SRC" | cut -c1-16)
if ((REGEN)) || [[ ! -f $STAMP || ! -f $WORK/repo/bench.db ]]; then
    say "generating the repository in $WORK/repo (once; cached)"
    rm -f "$WORK"/.repo-*
    "${BENCH[@]}" generate "$WORK" | tee "$WORK/generate.txt"
    touch "$STAMP"
fi
rm -rf "$RES" "$LOGS" "$AOUT" "$ACACHE" "$ROOT" "$PCACHE"
mkdir -p "$RES" "$LOGS"
mv "$LOGS.tmp"/* "$LOGS"/ 2>/dev/null || true
rmdir "$LOGS.tmp"
# warm runs' app versions from an earlier run
find "$WORK/app" -name 'app-*-1-x86_64.pkg.tar.zst' ! -name 'app-1-1-x86_64.pkg.tar.zst' -delete
APP1=$WORK/app/app-1-1-x86_64.pkg.tar.zst
[[ -f $APP1 ]] || die "missing $APP1; rerun with --regen"

n_pkgs=$(ls "$WORK"/repo/*.pkg.tar.zst | wc -l)
pkg_bytes=$(cat "$WORK"/repo/*.pkg.tar.zst | wc -c)
say "repository: $n_pkgs packages, $(mib "$pkg_bytes") MiB; $(grep -h '^generated packages' "$WORK/generate.txt" 2>/dev/null | cut -d' ' -f2-)"

# ---------------------------------------------------------------- 2. a private dockerd

DOCKER_PID=
stop_docker() {
    if [[ -n $DOCKER_PID ]] && kill -0 "$DOCKER_PID" 2>/dev/null; then
        kill "$DOCKER_PID" 2>/dev/null || true
        for _ in $(seq 1 30); do kill -0 "$DOCKER_PID" 2>/dev/null || break; sleep 0.5; done
        # dockerd leaves its network namespace bind-mounted under the exec root
        umount "$DDIR"/exec/netns/* 2>/dev/null || true
    fi
}
trap stop_docker EXIT
if ((DOCKER)); then
    say "starting a private dockerd (vfs) under $DDIR"
    rm -rf "$DDIR"
    mkdir -p "$DDIR"
    dockerd --iptables=false --ip-masq=false --bridge=none --storage-driver=vfs \
        --data-root "$DDIR/data" --exec-root "$DDIR/exec" --pidfile "$DDIR/docker.pid" \
        -H "unix://$DDIR/docker.sock" >"$DDIR/dockerd.log" 2>&1 &
    DOCKER_PID=$!
    export DOCKER_HOST=unix://$DDIR/docker.sock
    for _ in $(seq 1 60); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
    if ! docker version >/dev/null 2>&1; then
        echo "image-benchmark: dockerd did not start (see $DDIR/dockerd.log): skipping docker import / load" >&2
        stop_docker
        DOCKER=0
    fi
fi

# ---------------------------------------------------------------- 3. the runs

seed_pacman() {
    pacman --root "$ROOT" --dbpath "$ROOT/var/lib/pacman" --cachedir "$PCACHE" --config "$WORK/pacman.conf" \
        -Sy --noconfirm --noprogressbar app
}
fresh_seed_root() {
    rm -rf "$ROOT" "$PCACHE" "$WORK/seed.tar.gz"
    mkdir -p "$ROOT/var/lib/pacman" "$PCACHE"
}
archcore_build() { # CACHE OUT APP
    "${BENCH[@]}" build "$WORK" "$1" "$2" "$3" --log --level "$LEVEL"
}
# internal LABEL RUN: appends "resolve_ms image_ms total_ms cpu_ms" from the run's log to results/LABEL.internal
internal() {
    sed -n 's/^timing resolve_ms=\([0-9.]*\) image_ms=\([0-9.]*\) total_ms=\([0-9.]*\) cpu_ms=\([0-9.]*\).*/\1 \2 \3 \4/p' \
        "$LOGS/$1.$2.log" >>"$RES/$1.internal"
}

round() { # RUN (0 = warm-up: logs only)
    local i=$1 app
    fresh_seed_root
    wait_idle "seed $i"
    timed seed-pacman "$i" seed_pacman
    timed seed-bsdtar "$i" bsdtar -czf "$WORK/seed.tar.gz" -C "$ROOT" .
    if ((DOCKER)); then
        timed seed-import "$i" docker import "$WORK/seed.tar.gz" "bench/seed:r$i"
        docker rmi -f "bench/seed:r$i" >/dev/null
    fi
    rm -rf "$ACACHE" "$AOUT"
    wait_idle "archcore-cold $i"
    timed archcore-cold "$i" archcore_build "$ACACHE" "$AOUT" "$APP1"
    internal archcore-cold "$i"
    app=$("${BENCH[@]}" app "$WORK" $((i + 2)))
    wait_idle "archcore-warm $i"
    timed archcore-warm "$i" archcore_build "$ACACHE" "$AOUT" "$app"
    internal archcore-warm "$i"
    rm -f "$app"
    if ((DOCKER)); then
        timed archcore-load "$i" docker load -i "$AOUT/app-image.tar"
        docker rmi -f "bench/app:$((i + 2))-1" >/dev/null
    fi
    wait_idle "floor-shell $i"
    timed floor-shell "$i" bash -c 'zstdcat "${@:2}" | gzip -"$1" > /dev/null' _ "$LEVEL" "$WORK"/repo/*.pkg.tar.zst
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "warm-up round (untimed; fills the page cache)"
round 0
for f in "$RES"/*.times "$RES"/*.internal; do rm -f "$f"; done
: >"$RES/load.log"

say "timing $RUNS rounds"
for ((i = 1; i <= RUNS; i++)); do
    echo "  round $i"
    round "$i"
done

say "the floor in one JVM: every package decompressed once, one gzip -$LEVEL stream ($RUNS runs, with parts)"
wait_idle "floor-jvm"
timed floor-jvm 1 "${BENCH[@]}" floor "$WORK" "$RUNS" --detail --level "$LEVEL"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

if ((PHASES)); then
    say "phases: where archcore's time goes ($PHASE_RUNS runs each, one JVM)"
    wait_idle "phases"
    timed phases 1 "${BENCH[@]}" phases "$WORK" "$WORK/phases" "$PHASE_RUNS"
    rm -rf "$WORK/phases"
fi

# ---------------------------------------------------------------- 4. summary

paste -d' ' <(col 1 "$RES/seed-pacman.times") <(col 1 "$RES/seed-bsdtar.times") | awk '{printf "%.3f\n", $1+$2}' >"$RES/seed.sum"
if ((DOCKER)); then
    paste -d' ' "$RES/seed.sum" <(col 1 "$RES/seed-import.times") | awk '{printf "%.3f\n", $1+$2}' >"$RES/seed-import.sum"
fi
# stats: median, min and max of the numbers on stdin
stats() { local v; v=$(cat); printf '%8s %8s %8s' "$(median <<<"$v")" "$(minimum <<<"$v")" "$(maximum <<<"$v")"; }
col_s() { awk -v c="$1" '{printf "%.3f\n", $c/1000}' "$2"; }

JVMLOG=$LOGS/floor-jvm.1.log
floor_jvm=$(sed -n 's/^floor median_ms=\([0-9.]*\).*/\1/p' "$JVMLOG" | awk '{printf "%.3f", $1/1000}')
floor_sh=$(col 1 "$RES/floor-shell.times" | median)
seed=$(median <"$RES/seed.sum")
cold=$(col_s 3 "$RES/archcore-cold.internal" | median)
warm=$(col_s 3 "$RES/archcore-warm.internal" | median)
cold_jvm=$(col 1 "$RES/archcore-cold.times" | median)
warm_jvm=$(col 1 "$RES/archcore-warm.times" | median)
{
    echo
    echo "archcore image benchmark  $(date -u +%Y-%m-%dT%H:%MZ)  $(uname -m), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM"
    echo "repository: $n_pkgs packages, $(mib "$pkg_bytes") MiB; $(grep -h '^generated packages' "$WORK/generate.txt" 2>/dev/null | cut -d' ' -f2-)"
    echo "installed by pacman: $(find "$ROOT" -type f | wc -l) files, $(du -sm "$ROOT" | cut -f1) MiB (database included); runs: $RUNS rounds after 1 warm-up"
    echo "load average before: $load_before  after: $load_after"
    echo "CPU busy % when each measurement started (1 s sample after the idle wait): median $(awk '{sub("busy=","",$3); print $3}' "$RES/load.log" | median | awk '{printf "%.0f", $1}'), max $(awk '{sub("busy=","",$3); print $3}' "$RES/load.log" | maximum); 1-min load median $(awk '{sub("load=","",$4); print $4}' "$RES/load.log" | median), max $(awk '{sub("load=","",$4); print $4}' "$RES/load.log" | maximum)"
    echo
    printf '%-52s %8s %8s %8s\n' "" "median s" "min s" "max s"
    printf '%-52s %s\n' "(a) seed: pacman -S + bsdtar -czf" "$(stats <"$RES/seed.sum")"
    printf '%-52s %s\n' "    pacman -Sy --noconfirm app (fresh root, cache)" "$(col 1 "$RES/seed-pacman.times" | stats)"
    printf '%-52s %s\n' "    bsdtar -czf of the root" "$(col 1 "$RES/seed-bsdtar.times" | stats)"
    if ((DOCKER)); then
        printf '%-52s %s\n' "    docker import (private dockerd, vfs)" "$(col 1 "$RES/seed-import.times" | stats)"
        printf '%-52s %s\n' "(a) + docker import" "$(stats <"$RES/seed-import.sum")"
    fi
    printf '%-52s %s\n' "(b) archcore cold: resolve+fetch+image, in-JVM" "$(col_s 3 "$RES/archcore-cold.internal" | stats)"
    printf '%-52s %s\n' "    resolve + fetch (empty cache, no lock)" "$(col_s 1 "$RES/archcore-cold.internal" | stats)"
    printf '%-52s %s\n' "    image build (empty layer cache)" "$(col_s 2 "$RES/archcore-cold.internal" | stats)"
    printf '%-52s %s\n' "    whole fresh JVM (start-up, exit included)" "$(col 1 "$RES/archcore-cold.times" | stats)"
    printf '%-52s %s\n' "(b) archcore warm (app changed only), in-JVM" "$(col_s 3 "$RES/archcore-warm.internal" | stats)"
    printf '%-52s %s\n' "    resolve + fetch (lock and packages cached)" "$(col_s 1 "$RES/archcore-warm.internal" | stats)"
    printf '%-52s %s\n' "    image build (app + config layers rebuilt)" "$(col_s 2 "$RES/archcore-warm.internal" | stats)"
    printf '%-52s %s\n' "    whole fresh JVM (start-up, exit included)" "$(col 1 "$RES/archcore-warm.times" | stats)"
    if ((DOCKER)); then
        printf '%-52s %s\n' "    docker load of archcore's docker-archive" "$(col 1 "$RES/archcore-load.times" | stats)"
    fi
    printf '%-52s %8s\n' "floor, one JVM thread (zstd -d + gzip -$LEVEL stream)" "$floor_jvm"
    printf '%-52s %s\n' "floor, shell: zstdcat | gzip -$LEVEL (2 processes)" "$(col 1 "$RES/floor-shell.times" | stats)"
    echo "(archcore cpu s, median: cold $(col_s 4 "$RES/archcore-cold.internal" | median), warm $(col_s 4 "$RES/archcore-warm.internal" | median))"
    echo
    echo "floor details (one JVM, medians of $RUNS):"
    sed -n 's/^floor packages=/  input: packages=/p; s/^floor deflate/  deflate/p; s/^floor zstd/  zstd/p' "$JVMLOG"
    sed -n 's/^\([a-z0-9_]*\) median_ms=\([0-9.]*\) .*cpu_median_ms=\([0-9.]*\)/  \1: \2 ms (cpu \3 ms)/p' "$JVMLOG"
    echo
    r=$(ratio "$seed" "$cold"); echo "a / cold   = $r  (target >= 3: $(verdict "$r" 3 '>='));  whole JVM: $(ratio "$seed" "$cold_jvm")"
    r=$(ratio "$seed" "$warm"); echo "a / warm   = $r  (target >= 20: $(verdict "$r" 20 '>='));  whole JVM: $(ratio "$seed" "$warm_jvm")"
    r=$(ratio "$cold" "$floor_jvm"); echo "cold/floor = $r against the one-thread JVM floor (target <= 2: $(verdict "$r" 2 '<='))"
    r=$(ratio "$cold" "$floor_sh"); echo "             $r against the shell floor (target <= 2: $(verdict "$r" 2 '<='))"
    echo
    echo "archcore layers (last cold run):"
    sed -n 's/^layer /  /p' "$LOGS/archcore-cold.$RUNS.log"
    echo "archcore log times (last cold run; seconds since the start of the build):"
    grep -E '^log \+[0-9.]+ INFO (Downloaded|layer [0-9]|OCI layout|docker-archive|image )' "$LOGS/archcore-cold.$RUNS.log" \
        | sed -E 's/ \[[^]]*\]//; s/^log /  /' | cut -c1-150
    echo
    echo "sanity:"
    if [[ -d $AOUT/image ]]; then
        # paths in archcore's layers (later layers win; whiteouts none) against pacman's root
        : >"$RES/archcore.paths"
        for blob in $(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(" ".join(l["digest"].split(":")[1] for l in m["layers"]))' \
                "$AOUT/image/blobs/sha256/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"].split(":")[1])' "$AOUT/image/index.json")"); do
            bsdtar -tzf "$AOUT/image/blobs/sha256/$blob" >>"$RES/archcore.paths"
        done
        # the output is the last warm run's (another app version than pacman installed): name the app's db entry alike
        sed 's:/$::; s:^\./::; s:^\(var/lib/pacman/local/app-\)[0-9]*-1:\1VERSION:' "$RES/archcore.paths" | grep -v '^$' \
            | LC_ALL=C sort -u >"$RES/archcore.sorted"
        (cd "$ROOT" && find . -mindepth 1 | sed 's:^\./::; s:^\(var/lib/pacman/local/app-\)[0-9]*-1:\1VERSION:' \
            | LC_ALL=C sort -u) >"$RES/seed.sorted"
        echo "  archcore image: $(wc -l <"$RES/archcore.sorted") paths; pacman root: $(wc -l <"$RES/seed.sorted") paths"
        echo "  only in pacman's root: $(LC_ALL=C comm -23 "$RES/seed.sorted" "$RES/archcore.sorted" | wc -l) ($(LC_ALL=C comm -23 "$RES/seed.sorted" "$RES/archcore.sorted" | head -8 | paste -sd' ' -))"
        echo "  only in archcore's image: $(LC_ALL=C comm -13 "$RES/seed.sorted" "$RES/archcore.sorted" | wc -l) ($(LC_ALL=C comm -13 "$RES/seed.sorted" "$RES/archcore.sorted" | head -8 | paste -sd' ' -))"
    fi
    if ((PHASES)); then
        echo
        echo "archcore phases (one JVM after a warm-up, median of $PHASE_RUNS; image_* exclude resolve+fetch):"
        sed -n 's/^phase name=\([^ ]*\) median_ms=\([^ ]*\) min_ms=\([^ ]*\) max_ms=\([^ ]*\)/\1 \2 \3 \4/p' "$LOGS/phases.1.log" \
            | awk '{printf "  %-28s %9.1f ms  (min %.1f, max %.1f)\n", $1, $2, $3, $4}'
        long=$(sed -n 's/^phase name=\(resolve_fetch_warm\|image_app_changed\) median_ms=\([0-9.]*\).*/\2/p' "$LOGS/phases.1.log" \
            | awk '{s += $1} END {printf "%.3f", s/1000}')
        echo "  warm in a long-lived JVM (resolve_fetch_warm + image_app_changed): $long s; a / that = $(ratio "$seed" "$long")"
    fi
    echo
    echo "raw times: $RES/*.times (real user sys), $RES/*.internal (resolve image total cpu, ms), logs: $LOGS/"
} | tee "$RES/summary.txt"
