#!/usr/bin/env bash
# push-benchmark.sh: how fast does archcore push an image to a registry, next to skopeo copy?
#
# Usage: bench/push-benchmark.sh [options] [WORKDIR]
#
#   WORKDIR            where the image, registries, logs and results go (default /tmp/archcore-push-bench). The
#                      OCI layout WORKDIR/oci is made once and cached there.
#   -n, --runs N       timed runs per tool (default 5, or $BENCH_RUNS); each tool also gets one untimed warm-up.
#   --regen            remake the OCI layout.
#   --diagnose         also time archcore with every blob in one PUT (--no-chunks: fresh JVMs in the round-robin,
#                      and in one JVM) and with 8 MiB chunks (in one JVM), next to its defaults (64 MiB chunks for
#                      blobs of 64 MiB or more, 3 blobs at once).
#   --idle-wait S      before each round of runs, wait up to S seconds (default 60, 0 = never) for the machine to be
#                      idle (< 15% CPU busy over one second): others' builds on a shared box skew timings.
#   BENCH_JAVA_OPTS    extra JVM options for PushBenchmark.
#   MVN                the Maven command (default mvn).
#   -h, --help
#
# What it does:
#   1. Builds a classpath (`mvn dependency:build-classpath`, snapshots of target/classes and target/test-classes,
#      running test-compile first if they are missing) and compiles PushBenchmark into WORKDIR with javac.
#   2. Makes WORKDIR/oci with `PushBenchmark make`: 8 packages of seeded random data plus 200 MiB of the host's
#      /usr/lib/x86_64-linux-gnu, built by archcore's image engine at gzip level 1: ~355 MB compressed, 6 layers.
#   3. Times, round-robin (the order of the two tools alternates per run), each N times after one warm-up, every
#      cold push going to a FRESH docker-registry (new storage dir, plain HTTP, 127.0.0.1, a free port):
#        archcore       a fresh JVM per push: `PushBenchmark push LAYOUT 127.0.0.1:PORT/bench:1` (RegistryClient,
#                       what archcore:push runs, with its defaults). Reports the JVM's wall time and the in-JVM time
#                       of the push (what a Maven build that already runs pays, cold code included).
#        archcore re-push   the same command again to the same registry (every blob already there).
#        skopeo         `skopeo copy --dest-tls-verify=false oci:LAYOUT:1 docker://127.0.0.1:PORT/bench:1`
#        skopeo re-push the same again to the same registry.
#      After each pair, `skopeo inspect` reads the manifest digest back from the registry: it must equal the
#      layout's (so neither tool recompressed or rewrote the image). The registry is stopped and its storage deleted.
#      Then once: `PushBenchmark inproc LAYOUT WORKDIR N`, one JVM: a warm-up push and re-push to a fresh
#      registry, then N times a fresh registry, a cold push and a re-push (the steady state of a long-lived JVM).
#   4. Prints a summary: medians, archcore/skopeo ratios, and the targets: archcore cold no slower than skopeo
#      cold (ratio <= 1), re-push of the unchanged image < 1 s. bench/README.md explains the numbers.
#
# Needs: java 17+, mvn (with the project's dependencies in the local repository), docker-registry, skopeo, jq, ss
# (installed by scripts/setup). Results: WORKDIR/results/.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PLUGIN=$REPO/archcore-maven-plugin
MVN=${MVN:-mvn}
RUNS=${BENCH_RUNS:-5}
REGEN=0
DIAGNOSE=0
IDLE_WAIT=60
WORK=

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

while (($#)); do
    case $1 in
        -n|--runs) RUNS=$2; shift ;;
        --regen) REGEN=1 ;;
        --diagnose) DIAGNOSE=1 ;;
        --idle-wait) IDLE_WAIT=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [[ -z $WORK ]] || die "one WORKDIR only"; WORK=$1 ;;
    esac
    shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
WORK=${WORK:-/tmp/archcore-push-bench}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
OCI=$WORK/oci
RES=$WORK/results
LOGS=$WORK/logs
REGS=$WORK/registries

for tool in java javac docker-registry skopeo jq ss; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/setup)"
done

# ---------------------------------------------------------------- helpers

wait_idle() {
    ((IDLE_WAIT > 0)) || return 0
    local waited=0 busy
    while busy=$(cpu_busy); ((busy >= 15)); do
        if ((waited >= IDLE_WAIT)); then
            echo "    (machine still ${busy}% busy after ${IDLE_WAIT}s: measuring anyway; see load in results)"
            echo "$busy" >>"$RES/busy-at-start"
            return 0
        fi
        ((waited == 0)) && echo "    waiting for the machine to go idle (${busy}% busy)..."
        waited=$((waited + 1))
    done
    echo "$busy" >>"$RES/busy-at-start"
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
    printf '    %-16s run %-2s %6.3f s wall  (user %s, sys %s)\n' "$label" "$run" ${t% * *} $(echo "$t" | cut -d' ' -f2) $(echo "$t" | cut -d' ' -f3)
}

# a free TCP port on 127.0.0.1 (random, not listening)
free_port() {
    local p
    while :; do
        p=$(( 20000 + RANDOM % 40000 ))
        ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
    done
}

# start_registry NAME: a fresh docker-registry (new storage) on a free port, as RegistryServer.plain does;
# sets REG_PID, REG_PORT, REG_DIR
start_registry() {
    REG_DIR=$REGS/$1
    rm -rf "$REG_DIR"
    mkdir -p "$REG_DIR"
    REG_PORT=$(free_port)
    cat >"$REG_DIR/config.yml" <<EOF
version: 0.1
log: {level: info, accesslog: {disabled: false}}
storage: {filesystem: {rootdirectory: $REG_DIR/data}, delete: {enabled: true}}
http:
  addr: 127.0.0.1:$REG_PORT
  secret: archcore-bench-secret
EOF
    docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/registry.log" 2>&1 &
    REG_PID=$!
    local i
    for ((i = 0; i < 400; i++)); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$REG_PORT/v2/" 2>/dev/null; then
            return 0
        fi
        kill -0 "$REG_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$REG_DIR/registry.log" >&2
    die "docker-registry did not start"
}

stop_registry() {
    [[ -n ${REG_PID:-} ]] || return 0
    kill "$REG_PID" 2>/dev/null || true
    wait "$REG_PID" 2>/dev/null || true
    REG_PID=
    # keep the access log, drop the ~355 MB of blobs
    [[ -n ${REG_DIR:-} ]] && rm -rf "$REG_DIR/data"
}
trap 'stop_registry' EXIT

# the manifest digest the registry serves for bench:1
registry_digest() {
    skopeo inspect --tls-verify=false "docker://127.0.0.1:$REG_PORT/bench:1" | jq -r .Digest
}

# blob uploads finished (PUT ...?digest= 201) and PATCH chunks in a registry log
uploads() { grep -c '"PUT /v2/[^" ]*/blobs/uploads/[^" ]*digest=[^"]*" 201' "$1" || true; }
patches() { grep -c '"PATCH /v2/[^" ]*/blobs/uploads/' "$1" || true; }

# ---------------------------------------------------------------- 1. the classpath

mkdir -p "$RES.tmp"
rm -rf "$RES" "$LOGS"
mv "$RES.tmp" "$RES"
mkdir -p "$LOGS" "$REGS"

say "building the classpath"
if [[ ! -f $PLUGIN/target/classes/dev/archcore/registry/RegistryClient.class
      || ! -f $PLUGIN/target/test-classes/dev/archcore/testing/RegistryServer.class ]]; then
    "$MVN" -q -f "$PLUGIN/pom.xml" test-compile || die "mvn test-compile failed"
fi
if [[ ! -s $WORK/deps.classpath || $PLUGIN/pom.xml -nt $WORK/deps.classpath || $REPO/pom.xml -nt $WORK/deps.classpath ]]; then
    "$MVN" -q -f "$PLUGIN/pom.xml" dependency:build-classpath -Dmdep.outputFile="$WORK/deps.classpath" >"$LOGS/classpath.log" 2>&1 \
        || { cat "$LOGS/classpath.log" >&2; die "mvn dependency:build-classpath failed"; }
fi
rm -rf "$WORK/classes" "$WORK/test-classes" "$WORK/bench-classes"
cp -a "$PLUGIN/target/classes" "$WORK/classes"
cp -a "$PLUGIN/target/test-classes" "$WORK/test-classes"
CP=$WORK/classes:$WORK/test-classes:$(cat "$WORK/deps.classpath")
javac -nowarn -d "$WORK/bench-classes" -cp "$CP" "$PLUGIN/src/test/java/dev/archcore/bench/PushBenchmark.java" \
    || die "cannot compile PushBenchmark against target/classes (stale? run mvn -f archcore-maven-plugin/pom.xml test-compile)"
CP=$WORK/bench-classes:$CP
read -r -a JAVA_OPTS <<<"${BENCH_JAVA_OPTS:-}"
JAVA=(java "${JAVA_OPTS[@]}" -cp "$CP" dev.archcore.bench.PushBenchmark)

# ---------------------------------------------------------------- 2. the image

if ((REGEN)); then
    rm -rf "$OCI"
fi
if [[ ! -f $OCI/index.json ]]; then
    say "making the OCI layout $OCI (once; cached)"
    "${JAVA[@]}" make "$WORK" || die "PushBenchmark make failed"
fi
LAYOUT_DIGEST=$(jq -r '.manifests[0].digest' "$OCI/index.json")
TAG=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$OCI/index.json")
MANIFEST=$OCI/blobs/sha256/${LAYOUT_DIGEST#sha256:}
n_layers=$(jq '.layers | length' "$MANIFEST")
image_bytes=$(jq '[.config.size] + [.layers[].size] | add' "$MANIFEST")
layer_sizes=$(jq -r '[.layers[].size / 1048576 | . * 10 | floor / 10 | tostring] | join(", ")' "$MANIFEST")
say "image: $LAYOUT_DIGEST, $n_layers layers ($layer_sizes MiB), $(awk -v b="$image_bytes" 'BEGIN{printf "%.1f MiB (%d bytes)", b/1048576, b}') of blobs"
cat "$OCI"/blobs/sha256/* >/dev/null # page cache

# ---------------------------------------------------------------- 3. timings

archcore_push() { "${JAVA[@]}" push "$OCI" "127.0.0.1:$REG_PORT/bench:1" "$@"; }
skopeo_copy() { skopeo copy -q --dest-tls-verify=false "oci:$OCI:$TAG" "docker://127.0.0.1:$REG_PORT/bench:1"; }

check_digest() { # TOOL RUN
    local d
    d=$(registry_digest)
    echo "$1 $2 $d" >>"$RES/digests"
    [[ $d == "$LAYOUT_DIGEST" ]] || echo "    WARNING: $1 run $2: the registry serves $d, the layout has $LAYOUT_DIGEST"
}

run_archcore() { # RUN [LABEL PUSH-OPTION...]
    local run=$1 label=${2:-archcore}
    shift; (($#)) && shift
    start_registry "$label-$run"
    timed "$label" "$run" archcore_push "$@"
    sed -n 's/^push ms=\([0-9.]*\) .*/\1/p' "$LOGS/$label.$run.log" >>"$RES/$label.internal_ms"
    timed "$label-repush" "$run" archcore_push "$@"
    sed -n 's/^push ms=\([0-9.]*\) .*/\1/p' "$LOGS/$label-repush.$run.log" >>"$RES/$label-repush.internal_ms"
    check_digest "$label" "$run"
    stop_registry
    echo "$(uploads "$REG_DIR/registry.log") $(patches "$REG_DIR/registry.log") $(grep -c '"[A-Z]* /v2/' "$REG_DIR/registry.log")" >>"$RES/$label.requests"
}

run_skopeo() { # RUN
    start_registry "skopeo-$1"
    timed skopeo "$1" skopeo_copy
    timed skopeo-repush "$1" skopeo_copy
    check_digest skopeo "$1"
    stop_registry
    echo "$(uploads "$REG_DIR/registry.log") $(patches "$REG_DIR/registry.log") $(grep -c '"[A-Z]* /v2/' "$REG_DIR/registry.log")" >>"$RES/skopeo.requests"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "warm-up (one untimed push of each to a fresh registry)"
wait_idle
start_registry warmup
archcore_push >"$LOGS/archcore.warmup.log" 2>&1 || { cat "$LOGS/archcore.warmup.log" >&2; die "archcore push failed"; }
stop_registry
start_registry warmup
skopeo_copy >"$LOGS/skopeo.warmup.log" 2>&1 || { cat "$LOGS/skopeo.warmup.log" >&2; die "skopeo copy failed"; }
stop_registry

say "timing $RUNS runs each, round-robin (cold push to a fresh registry, then a re-push to the same one)"
for ((i = 1; i <= RUNS; i++)); do
    wait_idle
    echo "    load $(cut -d' ' -f1-3 /proc/loadavg)"
    if ((i % 2)); then
        run_archcore "$i"; run_skopeo "$i"
    else
        run_skopeo "$i"; run_archcore "$i"
    fi
    if ((DIAGNOSE)); then
        run_archcore "$i" archcore-nochunks --no-chunks
    fi
done

say "archcore in one JVM: a warm-up push + re-push, then $RUNS cold pushes + re-pushes, each to a fresh registry"
wait_idle
timed archcore-inproc 1 "${JAVA[@]}" inproc "$OCI" "$REGS" "$RUNS"
sed -n 's/^inproc run=[0-9]* cold_ms=\([0-9.]*\) repush_ms=\([0-9.]*\)/\1 \2/p' "$LOGS/archcore-inproc.1.log" >"$RES/archcore-inproc.internal_ms"
if ((DIAGNOSE)); then
    for variant in --no-chunks "--chunk-mib 8"; do
        name=inproc${variant// /}
        say "diagnosis: in one JVM with $variant"
        wait_idle
        # shellcheck disable=SC2086
        timed "archcore-$name" 1 "${JAVA[@]}" inproc "$OCI" "$REGS" "$RUNS" $variant
        sed -n 's/^inproc run=[0-9]* cold_ms=\([0-9.]*\) repush_ms=\([0-9.]*\)/\1 \2/p' "$LOGS/archcore-$name.1.log" >"$RES/archcore-$name.internal_ms"
    done
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- 4. summary

verdict() { awk -v r="$1" -v t="$2" -v op="$3" 'BEGIN{ ok = (op == ">=") ? (r >= t) : (op == "<") ? (r < t) : (r <= t); print ok ? "meets" : "MISSES" }'; }
stats_s() { # FILE COLUMN(ms): median min max in seconds
    local f=$1 c=$2
    printf '%8s %8s %8s' "$(ms_to_s "$c" <"$f" | median)" "$(ms_to_s "$c" <"$f" | minimum)" "$(ms_to_s "$c" <"$f" | maximum)"
}
row_times() { # LABEL FILE-of-times
    printf '%-44s %8s %8s %8s %9s\n' "$1" "$(col 1 "$2" | median)" "$(col 1 "$2" | minimum)" "$(col 1 "$2" | maximum)" \
        "$(paste -d' ' <(col 2 "$2") <(col 3 "$2") | awk '{printf "%.3f\n", $1+$2}' | median)"
}
row_ms() { # LABEL FILE COLUMN
    printf '%-44s %s %9s\n' "$1" "$(stats_s "$2" "$3")" "-"
}

sk=$(col 1 "$RES/skopeo.times" | median)
sk_re=$(col 1 "$RES/skopeo-repush.times" | median)
ac_jvm=$(col 1 "$RES/archcore.times" | median)
ac_re_jvm=$(col 1 "$RES/archcore-repush.times" | median)
ac_first=$(ms_to_s <"$RES/archcore.internal_ms" | median)
ac_re_first=$(ms_to_s <"$RES/archcore-repush.internal_ms" | median)
ac_warm=$(ms_to_s 1 <"$RES/archcore-inproc.internal_ms" | median)
ac_re_warm=$(ms_to_s 2 <"$RES/archcore-inproc.internal_ms" | median)
{
    echo
    echo "archcore push benchmark  $(date -u +%Y-%m-%dT%H:%MZ)  $(uname -m), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM"
    echo "image: $n_layers layers + config, $(awk -v b="$image_bytes" 'BEGIN{printf "%.1f MiB", b/1048576}') of blobs ($LAYOUT_DIGEST); runs: $RUNS each after 1 warm-up"
    echo "tools: $(java -version 2>&1 | head -n1), $(skopeo --version), docker-registry $(docker-registry --version 2>/dev/null | awk '{print $3}')"
    echo "load average before: $load_before  after: $load_after; CPU busy % at the start of each round: $(paste -sd' ' "$RES/busy-at-start")"
    if awk -v a="${load_before%% *}" -v b="${load_after%% *}" 'BEGIN { exit !(a > 1 || b > 1) }'; then
        echo "WARNING: the machine was busy (1-min load > 1 on $(nproc) CPUs): wall times are inflated and noisy."
    fi
    echo
    printf '%-44s %8s %8s %8s %9s\n' "" "median s" "min s" "max s" "cpu s"
    echo "cold push (fresh registry):"
    row_ms  "  archcore, in-JVM, warm JVM (inproc)" "$RES/archcore-inproc.internal_ms" 1
    row_ms  "  archcore, in-JVM, first push in a JVM" "$RES/archcore.internal_ms" 1
    row_times "  archcore, whole fresh JVM" "$RES/archcore.times"
    row_times "  skopeo copy" "$RES/skopeo.times"
    echo "re-push of the unchanged image (same registry):"
    row_ms  "  archcore, in-JVM, warm JVM (inproc)" "$RES/archcore-inproc.internal_ms" 2
    row_ms  "  archcore, in-JVM, first push in a JVM" "$RES/archcore-repush.internal_ms" 1
    row_times "  archcore, whole fresh JVM" "$RES/archcore-repush.times"
    row_times "  skopeo copy" "$RES/skopeo-repush.times"
    if ((DIAGNOSE)); then
        echo "diagnosis, in-JVM warm cold push:"
        row_ms "  archcore, defaults (64 MiB chunks, 3 blobs at once)" "$RES/archcore-inproc.internal_ms" 1
        row_ms "  archcore, 8 MiB PATCH chunks" "$RES/archcore-inproc--chunk-mib8.internal_ms" 1
        row_ms "  archcore, one PUT per blob (--no-chunks)" "$RES/archcore-inproc--no-chunks.internal_ms" 1
        echo "diagnosis, cold push in a fresh JVM with one PUT per blob (--no-chunks):"
        row_ms "  archcore, in-JVM, first push in a JVM" "$RES/archcore-nochunks.internal_ms" 1
        row_times "  archcore, whole fresh JVM" "$RES/archcore-nochunks.times"
    fi
    echo "(cpu s: user + sys of the client process tree, registry not included)"
    echo
    r=$(ratio "$ac_first" "$sk")
    echo "archcore/skopeo cold = $r  (first push in a JVM, what archcore:push in Maven pays; target <= 1: $(verdict "$r" 1 '<='))"
    echo "                       $(ratio "$ac_warm" "$sk") warm JVM, $(ratio "$ac_jvm" "$sk") whole fresh JVM"
    echo "re-push              = ${ac_re_first} s first push in a JVM (target < 1 s: $(verdict "$ac_re_first" 1 '<')), ${ac_re_warm} s warm JVM,"
    echo "                       ${ac_re_jvm} s whole fresh JVM ($(verdict "$ac_re_jvm" 1 '<')); skopeo ${sk_re} s"
    echo
    echo "sanity: manifest digest served by the registry after each pair (skopeo inspect), layout has $LAYOUT_DIGEST:"
    awk -v want="$LAYOUT_DIGEST" '{ n[$1]++; if ($3 == want) ok[$1]++ } END { for (t in n) printf "  %-9s %d of %d runs identical\n", t, ok[t], n[t] }' "$RES/digests" | sort
    echo "registry access log per run (cold push + re-push + inspect), median: finished uploads, PATCH chunks, /v2/ requests:"
    printf '  archcore  %s %s %s\n' "$(col 1 "$RES/archcore.requests" | median)" "$(col 2 "$RES/archcore.requests" | median)" "$(col 3 "$RES/archcore.requests" | median)"
    printf '  skopeo    %s %s %s\n' "$(col 1 "$RES/skopeo.requests" | median)" "$(col 2 "$RES/skopeo.requests" | median)" "$(col 3 "$RES/skopeo.requests" | median)"
    if ((DIAGNOSE)); then
        printf '  archcore --no-chunks %s %s %s\n' "$(col 1 "$RES/archcore-nochunks.requests" | median)" "$(col 2 "$RES/archcore-nochunks.requests" | median)" "$(col 3 "$RES/archcore-nochunks.requests" | median)"
        r=$(ratio "$(ms_to_s <"$RES/archcore-nochunks.internal_ms" | median)" "$sk")
        echo "archcore --no-chunks/skopeo cold = $r first push in a JVM, $(ratio "$(ms_to_s 1 <"$RES/archcore-inproc--no-chunks.internal_ms" | median)" "$sk") warm JVM"
    fi
    echo
    echo "raw times: $RES/*.times (real user sys), *.internal_ms; logs: $LOGS/, registry logs: $REGS/*/registry.log"
} | tee "$RES/summary.txt"
