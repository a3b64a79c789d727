#!/usr/bin/env bash
# repo-benchmark.sh: how fast does archcore resolve and download a closure of pacman packages, next to pacman -Sw?
#
# Usage: bench/repo-benchmark.sh [options] [WORKDIR]
#
#   WORKDIR            where the repository, caches, logs and results go (default /tmp/archcore-repo-bench). The
#                      repository is generated once and cached there (regenerated when RepoBenchmark.java or
#                      --packages/--total-mb change).
#   -n, --runs N       timed runs per client and setting (default 5, or $BENCH_RUNS).
#   --settings LIST    comma-separated, run in this order (default loopback,throttled):
#                        loopback   the server as fast as it goes (sendfile on 127.0.0.1)
#                        throttled  --rate MB/s per connection and --latency ms before every answer (a mirror)
#   --rate MBPS        per-connection bandwidth of the throttled setting (default 20)
#   --latency MS       delay before the first byte of every answer in the throttled setting (default 20)
#   --total-rate MBPS  also cap all connections together in the throttled setting (default 0: no cap)
#   --parallel N       also time pacman with ParallelDownloads = N (default 6, archcore's concurrency; 0 = skip)
#   --no-curl          skip the curl floors (every file once over one connection, and with --parallel N)
#   --phases           also time the parts of a warm resolve (RepoBenchmark warm --phases) per setting
#   --packages N       packages in the generated repository (default 160)
#   --total-mb MB      their total size (default 300)
#   --regen            regenerate the repository
#   --idle-wait S      before each round of runs, wait up to S seconds (default 60, 0 = never) for the machine to be
#                      idle (< 15% CPU busy over one second): others' builds on a shared box skew timings.
#   BENCH_JAVA_OPTS    extra JVM options for the archcore runs (not the server), e.g. a Flight Recorder profile
#   MVN                the Maven command (default mvn; e.g. MVN='./mvnw -B -ntp -o')
#   -h, --help
#
# What it does:
#   1. Generates WORKDIR/repo (RepoBenchmark generate): a repository [core] written by archcore's RepoWriter, of
#      160 packages (architecture any) written by archcore's packer, each holding seeded random (incompressible)
#      bytes, 10 kB to 20 MB, 300 MB in all; bench-app depends on a DAG of all the others, so its closure is the
#      whole repository. Deterministic (fixed seed).
#   2. Builds a classpath as pack-benchmark.sh does: `mvn dependency:build-classpath`, a snapshot of
#      archcore-maven-plugin/target/classes (running `mvn test-compile` first if it is missing), and RepoBenchmark
#      with the test helpers it uses compiled with javac into WORKDIR.
#   3. For each setting: starts one HTTP server (RepoBenchmark serve, its own JVM: keep-alive, one thread per
#      connection, sendfile; throttled as asked) on 127.0.0.1, writes WORKDIR/SETTING/pacman.conf for it
#      ([core], SigLevel = Never) and pacman-pN.conf (the same plus ParallelDownloads = N), and times, round-robin
#      so background load hits every client alike, N times each:
#        archcore-cold    a fresh JVM: RepoBenchmark cold CONF DIR 1 --no-warmup, i.e. DependencyClosure.resolve
#                         of bench-app with an empty cache and no lock file: database download, resolution,
#                         6 parallel downloads, SHA-256 checks. Wall time of the JVM, plus the in-JVM time of the
#                         call (what the first resolve in a running Maven costs).
#        pacman           `pacman -Sy` then `pacman -Sw bench-app` with the same pacman.conf, a fresh --dbpath and
#                         an empty --cachedir (as root, or in `unshare -r` otherwise); pacman 6.0 downloads one file
#                         at a time unless ParallelDownloads is set.
#        pacman-pN        the same with ParallelDownloads = N.
#        curl-1, curl-pN  (floors) every package file once with curl to disk over one connection, and --parallel N.
#        archcore-warm    a fresh JVM: RepoBenchmark warm CONF CACHE LOCK 1 --no-warmup on the cache and lock the
#                         cold run left: database revalidated (304), lock reused, every cached package re-hashed.
#      then RepoBenchmark startup in N fresh JVMs (what each first use costs: JVM start, pacman.conf, BouncyCastle,
#      okhttp, the first GET, database, resolver, Jackson, re-hashing the cache with a cold JIT),
#      then, in one JVM each: archcore cold after a warm-up (N downloads into an emptied cache: a warm JIT) and
#      archcore warm after a warm-up (and --phases). Timing uses bash's `time` (wall, user, sys).
#   4. Checks that archcore's cache, pacman's and pacman-pN's caches hold the same files (names and SHA-256) as the
#      repository, and prints a summary per setting: medians, the ratio pacman/archcore for a cold closure (target
#      >= 2) and the warm times (target < 1 s), the HTTP requests and connections each client used (from the
#      server's log), and the machine's load.
#
# Needs: java 17+, mvn (with the project's dependencies in the local repository), pacman, curl (for the floors),
# unshare when not root. Results: WORKDIR/results/ (SETTING.LABEL.times with `real user sys` per run, summary.txt).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PLUGIN=$REPO/archcore-maven-plugin
MVN=${MVN:-mvn}
RUNS=${BENCH_RUNS:-5}
SETTINGS=loopback,throttled
RATE=20
LATENCY=20
TOTAL_RATE=0
PARALLEL=6
CURL=1
PHASES=0
PACKAGES=160
TOTAL_MB=300
REGEN=0
IDLE_WAIT=60
WORK=

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

while (($#)); do
    case $1 in
        -n|--runs) RUNS=$2; shift ;;
        --settings) SETTINGS=$2; shift ;;
        --rate) RATE=$2; shift ;;
        --latency) LATENCY=$2; shift ;;
        --total-rate) TOTAL_RATE=$2; shift ;;
        --parallel) PARALLEL=$2; shift ;;
        --no-curl) CURL=0 ;;
        --phases) PHASES=1 ;;
        --packages) PACKAGES=$2; shift ;;
        --total-mb) TOTAL_MB=$2; shift ;;
        --regen) REGEN=1 ;;
        --idle-wait) IDLE_WAIT=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [[ -z $WORK ]] || die "one WORKDIR only"; WORK=$1 ;;
    esac
    shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[[ $PARALLEL =~ ^[0-9]+$ ]] || die "--parallel must be a number"
IFS=, read -r -a SETTING_LIST <<<"$SETTINGS"
for s in "${SETTING_LIST[@]}"; do
    [[ $s == loopback || $s == throttled ]] || die "unknown setting $s (loopback, throttled)"
done
WORK=${WORK:-/tmp/archcore-repo-bench}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
RES=$WORK/results
LOGS=$WORK/logs
REPODIR=$WORK/repo

for tool in java javac pacman sha256sum; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/setup)"
done
if ((CURL)) && ! command -v curl >/dev/null; then
    echo "repo-benchmark: no curl: skipping the curl floors" >&2
    CURL=0
fi
PACMAN_AS=()
if ((EUID != 0)); then
    command -v unshare >/dev/null || die "not root and no unshare: pacman -Sy/-Sw need root (or unshare -r)"
    PACMAN_AS=(unshare -r)
fi
read -r -a MVN_CMD <<<"$MVN"

# ---------------------------------------------------------------- helpers (as in pack-benchmark.sh)

# waits for an idle machine; appends "busy% load1" at the start of the round to results/SETTING.load
wait_idle() {
    local waited=0 busy
    if ((IDLE_WAIT > 0)); then
        while busy=$(cpu_busy); ((busy >= 15)); do
            if ((waited >= IDLE_WAIT)); then
                echo "    (machine still ${busy}% busy after ${IDLE_WAIT}s: measuring anyway; see load in results)"
                break
            fi
            ((waited == 0)) && echo "    waiting for the machine to go idle (${busy}% busy)..."
            waited=$((waited + 1))
        done
    else
        busy=$(cpu_busy)
    fi
    echo "$busy $(cut -d' ' -f1 /proc/loadavg)" >>"$RES/$SETTING.load"
}

# timed LABEL RUN CMD...: runs CMD with output to logs/SETTING.LABEL.RUN.log, appends "real user sys" to
# results/SETTING.LABEL.times and "requests connections bytes" (from the server's log) to results/SETTING.LABEL.http
timed() {
    local label=$1 run=$2; shift 2
    local TIMEFORMAT='%3R %3U %3S' log=$LOGS/$SETTING.$label.$run.log t from
    from=$(wc -l <"$SERVER_LOG")
    if ! t=$( { time "$@" >"$log" 2>&1 ; } 2>&1 ); then
        tail -n 20 "$log" >&2
        die "$SETTING $label run $run failed; see $log"
    fi
    echo "$t" >>"$RES/$SETTING.$label.times"
    sleep 0.2 # the server logs a request once it has sent the last byte: let it catch up
    tail -n +"$((from + 1))" "$SERVER_LOG" | awk '{n++; c[$2]=1; b+=$6} END {printf "%d %d %d\n", n, length(c), b}' \
        >>"$RES/$SETTING.$label.http"
    printf '    %-16s run %-2s %7.3f s wall  (user %s, sys %s)  %s\n' "$label" "$run" ${t% * *} \
        "$(echo "$t" | cut -d' ' -f2)" "$(echo "$t" | cut -d' ' -f3)" \
        "$(tail -n1 "$RES/$SETTING.$label.http" | awk '{printf "%d requests, %d connections", $1, $2}')"
}

# ---------------------------------------------------------------- 1. the classpath

mkdir -p "$LOGS" "$RES"
say "building the classpath"
if [[ ! -f $PLUGIN/target/classes/dev/archcore/repo/DependencyClosure.class ]]; then
    "${MVN_CMD[@]}" -q -f "$PLUGIN/pom.xml" test-compile || die "mvn test-compile failed"
fi
if [[ ! -s $WORK/deps.classpath || $PLUGIN/pom.xml -nt $WORK/deps.classpath || $REPO/pom.xml -nt $WORK/deps.classpath ]]; then
    "${MVN_CMD[@]}" -q -f "$PLUGIN/pom.xml" dependency:build-classpath -Dmdep.outputFile="$WORK/deps.classpath" \
        >"$LOGS/classpath.log" 2>&1 || { cat "$LOGS/classpath.log" >&2; die "mvn dependency:build-classpath failed"; }
fi
rm -rf "$WORK/classes" "$WORK/bench-classes"
cp -a "$PLUGIN/target/classes" "$WORK/classes"
CP=$WORK/classes:$(cat "$WORK/deps.classpath")
# -sourcepath: the test helpers RepoBenchmark uses (TestPackages, Fixtures) come along from source
javac -nowarn -d "$WORK/bench-classes" -cp "$CP" -sourcepath "$PLUGIN/src/test/java" \
    "$PLUGIN/src/test/java/dev/archcore/bench/RepoBenchmark.java" \
    || die "cannot compile RepoBenchmark against target/classes (stale? run mvn -f archcore-maven-plugin/pom.xml test-compile)"
CP=$WORK/bench-classes:$CP
read -r -a JAVA_OPTS <<<"${BENCH_JAVA_OPTS:-}"
BENCH=(java "${JAVA_OPTS[@]}" -cp "$CP" dev.archcore.bench.RepoBenchmark)
SERVE=(java -cp "$CP" dev.archcore.bench.RepoBenchmark serve)

# ---------------------------------------------------------------- 2. the repository

STAMP=$WORK/.repo-$( { sha256sum "$PLUGIN/src/test/java/dev/archcore/bench/RepoBenchmark.java"; echo "$PACKAGES $TOTAL_MB"; } | sha256sum | cut -c1-16)
if ((REGEN)) || [[ ! -f $STAMP || ! -f $REPODIR/core.db ]]; then
    say "generating $REPODIR (once; cached)"
    rm -rf "$REPODIR" "$REPODIR.tmp" "$WORK"/.repo-*
    "${BENCH[@]}" generate "$REPODIR.tmp" --packages "$PACKAGES" --total-mb "$TOTAL_MB" || die "generate failed"
    # RepoWriter made core.db a relative link: the folder can move
    mv "$REPODIR.tmp" "$REPODIR"
    touch "$STAMP"
fi
(cd "$REPODIR" && sha256sum -- *.pkg.tar.zst | awk '{print $1, $2}' | LC_ALL=C sort -k2) >"$RES/repo.sha256"
n_pkgs=$(wc -l <"$RES/repo.sha256")
repo_bytes=$(find "$REPODIR" -maxdepth 1 -name '*.pkg.tar.zst' -printf '%s\n' | awk '{s+=$1} END {print s}')
size_mix=$(find "$REPODIR" -maxdepth 1 -name '*.pkg.tar.zst' -printf '%s\n' | awk '
    {s=$1; if (s<100e3) b=1; else if (s<1e6) b=2; else if (s<5e6) b=3; else if (s<10e6) b=4; else b=5; c[b]++}
    END {printf "%d < 100 kB, %d < 1 MB, %d < 5 MB, %d < 10 MB, %d >= 10 MB", c[1], c[2], c[3], c[4], c[5]}')
repo_id=$(cut -c1-64 "$RES/repo.sha256" | sha256sum | cut -c1-16)
say "repository: $n_pkgs packages, $(awk -v b="$repo_bytes" 'BEGIN{printf "%.1f MB", b/1e6}') ($size_mix), id $repo_id"

# ---------------------------------------------------------------- 3. per setting

SERVER_PID=
stop_server() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}
trap stop_server EXIT

start_server() { # SETDIR SERVER-ARGS...
    local dir=$1; shift
    rm -f "$dir/port"
    "${SERVE[@]}" "$REPODIR" "$dir/port" --log "$SERVER_LOG" "$@" >"$dir/server.out" 2>&1 &
    SERVER_PID=$!
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -s $dir/port ]] && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$dir/server.out" >&2; die "the server did not start"; }
        sleep 0.1
    done
    [[ -s $dir/port ]] || die "the server did not write its port"
    PORT=$(cat "$dir/port")
}

write_conf() { # FILE [ParallelDownloads]
    {
        echo "# written by bench/repo-benchmark.sh: one repository on the benchmark's server"
        echo "[options]"
        echo "Architecture = auto"
        echo "SigLevel = Never"
        echo "LocalFileSigLevel = Never"
        if [[ -n ${2:-} ]]; then echo "ParallelDownloads = $2"; fi
        echo
        echo "[core]"
        echo "Server = http://127.0.0.1:$PORT"
    } >"$1"
}

run_pacman() { # CONF DIR OP...
    local conf=$1 dir=$2; shift 2
    "${PACMAN_AS[@]}" pacman --config "$conf" --dbpath "$dir/db" --cachedir "$dir/cache" --logfile "$dir/pacman.log" \
        --gpgdir "$dir/gnupg" --noconfirm --noprogressbar "$@"
}

fresh_pacman() { # DIR: a new dbpath and an empty cache, untimed
    rm -rf "$1"
    mkdir -p "$1/db" "$1/cache" "$1/gnupg"
}

URLS=()
curl_floor() { # PARALLEL OUTDIR
    local p=$1 out=$2 extra=()
    if ((p > 1)); then extra=(--parallel --parallel-max "$p"); fi
    curl -sS --fail --no-progress-meter "${extra[@]}" --output-dir "$out" --remote-name-all "${URLS[@]}"
}

for SETTING in "${SETTING_LIST[@]}"; do
    SETDIR=$WORK/$SETTING
    rm -rf "$SETDIR"
    mkdir -p "$SETDIR"
    SERVER_LOG=$SETDIR/server.log
    : >"$SERVER_LOG"
    rm -f "$RES/$SETTING".*
    server_args=()
    if [[ $SETTING == throttled ]]; then
        server_args=(--rate "$RATE" --latency "$LATENCY")
        awk -v r="$TOTAL_RATE" 'BEGIN { exit !(r > 0) }' && server_args+=(--total-rate "$TOTAL_RATE")
    fi
    start_server "$SETDIR" "${server_args[@]}"
    CONF=$SETDIR/pacman.conf
    write_conf "$CONF"
    if ((PARALLEL > 0)); then write_conf "$SETDIR/pacman-p$PARALLEL.conf" "$PARALLEL"; fi
    URLS=()
    for f in $(cut -d' ' -f2 "$RES/repo.sha256"); do URLS+=("http://127.0.0.1:$PORT/$f"); done
    say "setting $SETTING: $(head -n1 "$SETDIR/server.out")"
    echo "$(date -u +%H:%M:%SZ) $(cut -d' ' -f1-3 /proc/loadavg)" >"$RES/$SETTING.loadavg"

    say "[$SETTING] warm-up (one untimed run of archcore and of pacman: page cache, the server's JIT)"
    wait_idle
    "${BENCH[@]}" cold "$CONF" "$SETDIR/archcore" 1 --no-warmup >"$LOGS/$SETTING.warmup.log" 2>&1 \
        || { cat "$LOGS/$SETTING.warmup.log" >&2; die "RepoBenchmark cold failed"; }
    fresh_pacman "$SETDIR/pacman"
    { run_pacman "$CONF" "$SETDIR/pacman" -Sy && run_pacman "$CONF" "$SETDIR/pacman" -Sw bench-app; } \
        >>"$LOGS/$SETTING.warmup.log" 2>&1 || { tail -n 20 "$LOGS/$SETTING.warmup.log" >&2; die "pacman failed"; }

    say "[$SETTING] timing $RUNS runs each, round-robin"
    for ((i = 1; i <= RUNS; i++)); do
        wait_idle
        timed archcore-cold "$i" "${BENCH[@]}" cold "$CONF" "$SETDIR/archcore" 1 --no-warmup
        sed -n 's/^archcore-cold run=1 ms=\([0-9.]*\) cpu_ms=\([0-9.]*\) .* db_ms=\([0-9.-]*\) first_download_ms=\([0-9.-]*\).*/\1 \2 \3 \4/p' \
            "$LOGS/$SETTING.archcore-cold.$i.log" >>"$RES/$SETTING.archcore-cold.internal_ms"
        fresh_pacman "$SETDIR/pacman"
        timed pacman-sy "$i" run_pacman "$CONF" "$SETDIR/pacman" -Sy
        timed pacman-sw "$i" run_pacman "$CONF" "$SETDIR/pacman" -Sw bench-app
        if ((PARALLEL > 0)); then
            fresh_pacman "$SETDIR/pacman-p$PARALLEL"
            timed "pacman-p$PARALLEL-sy" "$i" run_pacman "$SETDIR/pacman-p$PARALLEL.conf" "$SETDIR/pacman-p$PARALLEL" -Sy
            timed "pacman-p$PARALLEL-sw" "$i" run_pacman "$SETDIR/pacman-p$PARALLEL.conf" "$SETDIR/pacman-p$PARALLEL" -Sw bench-app
        fi
        if ((CURL)); then
            rm -rf "$SETDIR/curl" && mkdir -p "$SETDIR/curl"
            timed curl-1 "$i" curl_floor 1 "$SETDIR/curl"
            if ((PARALLEL > 1)); then
                rm -rf "$SETDIR/curl" && mkdir -p "$SETDIR/curl"
                timed "curl-p$PARALLEL" "$i" curl_floor "$PARALLEL" "$SETDIR/curl"
            fi
            rm -rf "$SETDIR/curl"
        fi
        timed archcore-warm "$i" "${BENCH[@]}" warm "$CONF" "$SETDIR/archcore/cache-cold" "$SETDIR/archcore/cold.lock" 1 --no-warmup
        sed -n 's/^archcore-warm run=1 ms=\([0-9.]*\) cpu_ms=\([0-9.]*\).*/\1 \2/p' \
            "$LOGS/$SETTING.archcore-warm.$i.log" >>"$RES/$SETTING.archcore-warm.internal_ms"
    done

    # the sanity check looks at the caches of the last round, before the in-JVM runs reuse the archcore dir
    (cd "$SETDIR/archcore/cache-cold/packages/by-name" && sha256sum -- * | awk '{print $1, $2}' | LC_ALL=C sort -k2) \
        >"$RES/$SETTING.archcore.sha256"
    (cd "$SETDIR/pacman/cache" && sha256sum -- *.pkg.tar.zst | awk '{print $1, $2}' | LC_ALL=C sort -k2) \
        >"$RES/$SETTING.pacman.sha256"
    if ((PARALLEL > 0)); then
        (cd "$SETDIR/pacman-p$PARALLEL/cache" && sha256sum -- *.pkg.tar.zst | awk '{print $1, $2}' | LC_ALL=C sort -k2) \
            >"$RES/$SETTING.pacman-p$PARALLEL.sha256"
    fi

    say "[$SETTING] archcore's fixed costs in a fresh JVM: $RUNS JVMs of RepoBenchmark startup"
    wait_idle
    for ((i = 1; i <= RUNS; i++)); do
        "${BENCH[@]}" startup "$CONF" "$SETDIR/archcore/cache-cold" "$SETDIR/archcore/cold.lock" \
            >"$LOGS/$SETTING.startup.$i.log" 2>&1 || { cat "$LOGS/$SETTING.startup.$i.log" >&2; die "RepoBenchmark startup failed"; }
        sed -n 's/^startup step=\([^ ]*\) ms=\([0-9.]*\)$/\1 \2/p' "$LOGS/$SETTING.startup.$i.log" >>"$RES/$SETTING.startup"
    done

    say "[$SETTING] archcore in one JVM: cold, 1 warm-up + $RUNS runs (each into an emptied cache)"
    wait_idle
    timed archcore-jvm-cold 1 "${BENCH[@]}" cold "$CONF" "$SETDIR/archcore" "$RUNS"
    sed -n 's/^archcore-cold run=[0-9]* ms=\([0-9.]*\) cpu_ms=\([0-9.]*\) .* db_ms=\([0-9.-]*\) first_download_ms=\([0-9.-]*\).*/\1 \2 \3 \4/p' \
        "$LOGS/$SETTING.archcore-jvm-cold.1.log" >"$RES/$SETTING.archcore-jvm-cold.internal_ms"
    say "[$SETTING] archcore in one JVM: warm, 1 warm-up + $RUNS runs$( ((PHASES)) && echo ', then --phases')"
    wait_idle
    phase_flag=()
    if ((PHASES)); then phase_flag=(--phases); fi
    timed archcore-jvm-warm 1 "${BENCH[@]}" warm "$CONF" "$SETDIR/archcore/cache-cold" "$SETDIR/archcore/cold.lock" "$RUNS" "${phase_flag[@]}"
    sed -n 's/^archcore-warm run=[0-9]* ms=\([0-9.]*\) cpu_ms=\([0-9.]*\).*/\1 \2/p' \
        "$LOGS/$SETTING.archcore-jvm-warm.1.log" >"$RES/$SETTING.archcore-jvm-warm.internal_ms"
    echo "$(date -u +%H:%M:%SZ) $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RES/$SETTING.loadavg"
    stop_server
done

# ---------------------------------------------------------------- 4. summary

verdict() { awk -v r="$1" -v t="$2" -v op="$3" 'BEGIN{ ok = (op == ">=") ? (r >= t) : (r < t); print ok ? "meets" : "MISSES" }'; }
# sum_times FILE1 FILE2: per run, "real user sys" added up (two processes run one after the other)
sum_times() { paste -d' ' "$1" "$2" | awk '{printf "%.3f %.3f %.3f\n", $1+$4, $2+$5, $3+$6}'; }
# median of a column of "real user sys" files, and of user+sys
med() { col 1 "$1" | median; }
cpu_med() { awk '{printf "%.3f\n", $2+$3}' "$1" | median; }
http() { # FILE: the typical (median) requests and connections per run
    [[ -s $1 ]] || { echo -; return; }
    echo "$(col 1 "$1" | median)/$(col 2 "$1" | median)"
}
row() { # LABEL TIMES-FILE HTTP-FILE
    printf '%-52s %8s %8s %8s %8s %10s\n' "$1" "$(med "$2")" "$(col 1 "$2" | minimum)" "$(col 1 "$2" | maximum)" \
        "$(cpu_med "$2")" "$(http "${3:-}")"
}
row_ms() { # LABEL INTERNAL-MS-FILE: in-JVM times (ms, cpu ms)
    printf '%-52s %8s %8s %8s %8s %10s\n' "$1" "$(ms_to_s <"$2" | median)" "$(ms_to_s <"$2" | minimum)" \
        "$(ms_to_s <"$2" | maximum)" "$(ms_to_s 2 <"$2" | median)" ""
}

{
    echo
    echo "archcore repository benchmark  $(date -u +%Y-%m-%dT%H:%MZ)  $(uname -m), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM"
    echo "closure: bench-app and its dependencies, $n_pkgs packages, $(awk -v b="$repo_bytes" 'BEGIN{printf "%.1f MB", b/1e6}') ($size_mix), repository id $repo_id"
    echo "pacman $(pacman --version 2>/dev/null | sed -n 's/.*\(Pacman v[^ ]*\) - \(libalpm v[^ ]*\).*/\1, \2/p'), $(java -version 2>&1 | head -n1)"
    echo "runs: $RUNS per client and setting, round-robin, after 1 untimed warm-up; server: RepoBenchmark serve (own JVM)"
    for SETTING in "${SETTING_LIST[@]}"; do
        R=$RES/$SETTING
        P=pacman-p$PARALLEL
        echo
        if [[ $SETTING == throttled ]]; then
            echo "== throttled: $RATE MB/s per connection, $LATENCY ms before every answer$(awk -v r="$TOTAL_RATE" 'BEGIN { if (r > 0) printf ", %s MB/s for all connections together", r }')"
        else
            echo "== loopback: 127.0.0.1, no throttle (sendfile)"
        fi
        echo "load average (1/5/15 min) at start and end: $(head -n1 "$R.loadavg" | cut -d' ' -f2-) -> $(tail -n1 "$R.loadavg" | cut -d' ' -f2-);" \
            "CPU busy before each round: $(col 1 "$R.load" | paste -sd' ' -)%"
        if awk '{ if ($1 >= 15) bad = 1 } END { exit !bad }' "$R.load"; then
            echo "WARNING: others were using the machine during some rounds: wall times are inflated and noisy."
        fi
        sum_times "$R.pacman-sy.times" "$R.pacman-sw.times" >"$R.pacman.times"
        paste -d' ' "$R.pacman-sy.http" "$R.pacman-sw.http" | awk '{print $1+$4, $2+$5, $3+$6}' >"$R.pacman.http"
        if ((PARALLEL > 0)); then
            sum_times "$R.$P-sy.times" "$R.$P-sw.times" >"$R.$P.times"
            paste -d' ' "$R.$P-sy.http" "$R.$P-sw.http" | awk '{print $1+$4, $2+$5, $3+$6}' >"$R.$P.http"
        fi
        printf '%-52s %8s %8s %8s %8s %10s\n' "cold: empty cache, no lock" "median s" "min s" "max s" "cpu s" "req/conn"
        row "archcore, whole JVM" "$R.archcore-cold.times" "$R.archcore-cold.http"
        row_ms "archcore, in-JVM, fresh JVM (first resolve)" "$R.archcore-cold.internal_ms"
        row_ms "archcore, in-JVM, warm JVM (after a warm-up)" "$R.archcore-jvm-cold.internal_ms"
        row "pacman -Sy + -Sw (ParallelDownloads unset: 1)" "$R.pacman.times" "$R.pacman.http"
        row "  of which pacman -Sw" "$R.pacman-sw.times" "$R.pacman-sw.http"
        if ((PARALLEL > 0)); then
            row "pacman -Sy + -Sw, ParallelDownloads = $PARALLEL" "$R.$P.times" "$R.$P.http"
            row "  of which pacman -Sw" "$R.$P-sw.times" "$R.$P-sw.http"
        fi
        if ((CURL)); then
            row "curl, every file to disk, one connection (floor)" "$R.curl-1.times" "$R.curl-1.http"
            if ((PARALLEL > 1)); then
                row "curl, every file to disk, --parallel $PARALLEL (floor)" "$R.curl-p$PARALLEL.times" "$R.curl-p$PARALLEL.http"
            fi
        fi
        printf '%-52s %8s %8s %8s %8s %10s\n' "warm: cache and lock present" "" "" "" "" ""
        row "archcore, whole JVM" "$R.archcore-warm.times" "$R.archcore-warm.http"
        row_ms "archcore, in-JVM, fresh JVM (first resolve)" "$R.archcore-warm.internal_ms"
        row_ms "archcore, in-JVM, warm JVM (after a warm-up)" "$R.archcore-jvm-warm.internal_ms"
        echo "(cpu s: user + sys of the process(es), or for in-JVM rows the JVM's CPU time during the call; req/conn: HTTP"
        echo " requests and connections per run, from the server's log)"
        ac_jvm=$(med "$R.archcore-cold.times")
        ac_first=$(ms_to_s <"$R.archcore-cold.internal_ms" | median)
        ac_warmjit=$(ms_to_s <"$R.archcore-jvm-cold.internal_ms" | median)
        pm=$(med "$R.pacman.times")
        r=$(ratio "$pm" "$ac_jvm")
        echo
        echo "pacman/archcore cold = $r  (pacman -Sy + -Sw against archcore's whole JVM; target >= 2: $(verdict "$r" 2 '>='))"
        echo "                       $(ratio "$pm" "$ac_first") against archcore's first resolve in a fresh JVM, $(ratio "$pm" "$ac_warmjit") in a warm JVM;" \
            "$(ratio "$(med "$R.pacman-sw.times")" "$ac_jvm") with pacman -Sw alone"
        if ((PARALLEL > 0)); then
            pp=$(med "$R.$P.times")
            echo "pacman-p$PARALLEL/archcore = $(ratio "$pp" "$ac_jvm") whole JVM, $(ratio "$pp" "$ac_first") first resolve, $(ratio "$pp" "$ac_warmjit") warm JVM" \
                "(pacman with ParallelDownloads = $PARALLEL)"
        fi
        echo "archcore cold, in-JVM first resolve (medians): database at $(col 3 "$R.archcore-cold.internal_ms" | median) ms," \
            "first package requested at $(col 4 "$R.archcore-cold.internal_ms" | median) ms; in a warm JVM:" \
            "$(col 3 "$R.archcore-jvm-cold.internal_ms" | median) ms, $(col 4 "$R.archcore-jvm-cold.internal_ms" | median) ms"
        w_jit=$(ms_to_s <"$R.archcore-jvm-warm.internal_ms" | median)
        w_first=$(ms_to_s <"$R.archcore-warm.internal_ms" | median)
        w_jvm=$(med "$R.archcore-warm.times")
        echo "archcore warm < 1 s: in a warm JVM $w_jit s ($(verdict "$w_jit" 1 '<')), first resolve of a fresh JVM $w_first s" \
            "($(verdict "$w_first" 1 '<')), whole JVM $w_jvm s ($(verdict "$w_jvm" 1 '<'))"
        echo "sanity: archcore's cache vs the repository: $(diff -q "$RES/repo.sha256" "$R.archcore.sha256" >/dev/null && echo "same $(wc -l <"$R.archcore.sha256") files and SHA-256" || echo "DIFFERENT (see $R.archcore.sha256)");" \
            "pacman's: $(diff -q "$RES/repo.sha256" "$R.pacman.sha256" >/dev/null && echo same || echo "DIFFERENT (see $R.pacman.sha256)")$( ((PARALLEL > 0)) && { diff -q "$RES/repo.sha256" "$R.$P.sha256" >/dev/null && echo ", pacman-p$PARALLEL's: same" || echo ", pacman-p$PARALLEL's: DIFFERENT"; })"
        echo "a fresh JVM's fixed costs, ms (RepoBenchmark startup, median of $RUNS JVMs; each step is the first use of its code):"
        awk '!seen[$1]++ {print $1}' "$R.startup" | while read -r step; do
            printf '%s=%s\n' "$step" "$(awk -v s="$step" '$1 == s {print $2}' "$R.startup" | median)"
        done | paste -sd' ' - | fold -s -w 110 | sed 's/^/  /'
        if ((PHASES)); then
            echo "warm resolve, its parts (one warm JVM, median of $RUNS):"
            printf '  %-24s %10s %10s %10s %10s\n' phase "median ms" "min ms" "cpu ms" "first ms"
            sed -n 's/^phase name=\([^ ]*\) median_ms=\([^ ]*\) min_ms=\([^ ]*\) max_ms=[^ ]* first_ms=\([^ ]*\) cpu_ms=\([^ ]*\)/\1 \2 \3 \5 \4/p' \
                "$LOGS/$SETTING.archcore-jvm-warm.1.log" | awk '{printf "  %-24s %10.1f %10.1f %10.1f %10.1f\n", $1, $2, $3, $4, $5}'
        fi
    done
    echo
    echo "raw times: $RES/SETTING.*.times (real user sys), in-JVM: *.internal_ms, logs: $LOGS/, server logs: $WORK/SETTING/server.log"
} | tee "$RES/summary.txt"
