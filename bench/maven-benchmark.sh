#!/usr/bin/env bash
# maven-benchmark.sh: how long does a user wait for `mvn package` of an app made from the archetype, whose image
# holds the benchmark closure (159 packages, 300 MiB), next to the seed's scripts on the same inputs (makepkg,
# then pacman into a fresh root, then bsdtar -czf, optionally docker import)?
#
# Usage: bench/maven-benchmark.sh [options] [WORKDIR]
#
#   WORKDIR            where everything goes (default /tmp/archcore-maven-bench): m2/ (the benchmark's own Maven
#                      local repository), closure/ (the package repository), app/ (the generated app), logs/, results/.
#   -n, --runs N       timed rounds (default 5, or $BENCH_RUNS), after one untimed warm-up round.
#   --docker           also `docker import` the seed's tarball into a private dockerd (vfs; slow, adds ~10 s a round).
#   --closure DIR      use the repository of an image-benchmark.sh work dir (DIR/repo, DIR/app.depends) instead of
#                      generating one into WORKDIR/closure.
#   --no-install       do not rebuild and reinstall the plugin and the archetype into WORKDIR/m2.
#   --idle-wait S      before each measurement: sync, then wait up to S s (default 60, 0 = never) for < 15 % CPU busy.
#   MVN                the Maven that builds the app (default: the project's mvnw, Maven 3.9.16). It always runs
#                      with -Dmaven.repo.local=WORKDIR/m2: nothing is installed into ~/.m2.
#   -h, --help
#
# What it does:
#   1. WORKDIR/m2: a hard-linked copy of ~/.m2/repository (once), into which the plugin and the archetype of this
#      checkout are installed (`mvnw -o install -pl archcore-maven-plugin,archcore-archetype -am -DskipTests`).
#   2. The package repository: ImageClosureBenchmark generate (as image-benchmark.sh; cached), or --closure's.
#   3. The app: `archetype:generate -DartifactId=benchapp` (offline, from WORKDIR/m2); its PKGBUILD's depends=()
#      set to the 66 packages nothing else in the closure depends on (so the image holds all 159), its pacman.conf
#      the archetype's [options] (NoExtract kept, SigLevel = Never) with [bench] as the only repository. A copy of
#      it (seed-app/) is what the seed's scripts build, as user builder (makepkg refuses root).
#   4. N rounds, each (round-robin, every measurement after sync and the idle wait):
#        mvn-validate    `mvn -o validate` of the app: Maven's own start-up and project reading, no plugin runs
#        archcore-cold   target/, packages.lock.json and the archcore cache (-Darchcore.cacheDirectory) deleted;
#                        `mvn package` (NOT -o: archcore:image refuses to fetch anything offline, the first build
#                        of an app needs its packages; here they come from file://, no network)
#        seed-cold       a fresh seed-app/ copy (no build/): `makepkg -f -d` (compiles and packages), then pacman
#                        -Sy and -U of the package into a fresh root with an empty package cache, then bsdtar -czf
#        app change      app/server.c gets one line (a string the binary keeps), in both copies
#        archcore-warm   `mvn -o package` (caches, lock and target/ kept: make rebuilds the one object)
#        seed-warm       makepkg -f -d (incremental make), pacman into a fresh root (package cache kept), bsdtar -czf
#      Maven runs with -Dorg.slf4j.simpleLogger.showDateTime; the log's times split each archcore run into
#      start-up (launch to Maven's first line), Maven (to the pkg Mojo), pkg, resolve (to the resolve's last line),
#      image (to BUILD SUCCESS) and exit.
#   5. A summary: medians, min, max, CPU (user+sys), the phases, the ratios seed/archcore (with and without Maven's
#      start-up, i.e. minus the median of mvn-validate).
#
# Needs: java 17, the project's Maven dependencies in ~/.m2 (scripts/setup), makepkg, fakeroot, pacman, bsdtar,
# gcc with static glibc (the archetype's app is linked -static); root (pacman into a root, the builder user).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PLUGIN=$REPO/archcore-maven-plugin
SRC=$PLUGIN/src/test/java/dev/archcore/bench/ImageClosureBenchmark.java
MVN=${MVN:-$REPO/mvnw}
RUNS=${BENCH_RUNS:-5}
DOCKER=0
CLOSURE=
INSTALL=1
IDLE_WAIT=60
WORK=

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

while (($#)); do
    case $1 in
        -n|--runs) RUNS=$2; shift ;;
        --docker) DOCKER=1 ;;
        --closure) CLOSURE=$(cd "$2" && pwd); shift ;;
        --no-install) INSTALL=0 ;;
        --idle-wait) IDLE_WAIT=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [[ -z $WORK ]] || die "one WORKDIR only"; WORK=$1 ;;
    esac
    shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
((EUID == 0)) || die "run as root: pacman into a fresh root needs it (makepkg runs as user builder)"
WORK=${WORK:-/tmp/archcore-maven-bench}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
RES=$WORK/results
LOGS=$WORK/logs
M2=$WORK/m2
APP=$WORK/app/benchapp
SEEDAPP=$WORK/seed-app
ROOT=$WORK/seed-root
PCACHE=$WORK/seed-cache
SEEDOUT=$WORK/seed-out
ACACHE=$WORK/archcore-cache
DDIR=$WORK/dockerd
EPOCH=1767225600 # 2026-01-01, the archetype's project.build.outputTimestamp
export GIT_CEILING_DIRECTORIES=$WORK HGRCPATH=/dev/null # the app is no VCS checkout even under one

for tool in java javac pacman bsdtar makepkg fakeroot gcc; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/setup)"
done
if ((DOCKER)) && ! { command -v dockerd >/dev/null && command -v docker >/dev/null; }; then
    die "--docker: docker/dockerd not installed"
fi
id -u builder >/dev/null 2>&1 || useradd -m builder
AS_BUILDER=(runuser -u builder --)
LOGTIME=(-Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS)
APPMVN=($MVN -B -Dmaven.repo.local="$M2" -Darchcore.cacheDirectory="$ACACHE" "${LOGTIME[@]}")

rm -rf "$RES" "$LOGS"
mkdir -p "$RES" "$LOGS"

# ---------------------------------------------------------------- helpers (as in image-benchmark.sh)

wait_idle() {
    local label=${1:-} waited=0 busy
    sync
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

# timed LABEL RUN CMD...: output to logs/LABEL.RUN.log, "real user sys" to results/LABEL.times, the wall-clock
# time of day of the start and end (ms since midnight, as Maven's log times) to logs/LABEL.RUN.clock
timed() {
    local label=$1 run=$2; shift 2
    local TIMEFORMAT='%3R %3U %3S' log=$LOGS/$label.$run.log t t0 t1
    t0=$(date +%T.%3N)
    if ! t=$( { time "$@" >"$log" 2>&1 ; } 2>&1 ); then
        tail -n 30 "$log" >&2
        die "$label run $run failed; see $log"
    fi
    t1=$(date +%T.%3N)
    echo "$t0 $t1" >"$LOGS/$label.$run.clock"
    echo "$t" >>"$RES/$label.times"
    printf '    %-15s run %-2s %7.3f s wall  (user %s, sys %s)\n' "$label" "$run" ${t% * *} $(echo "$t" | cut -d' ' -f2) $(echo "$t" | cut -d' ' -f3)
}

# phases LABEL RUN: "startup maven pkg resolve image exit" (ms) of an archcore run, from its log's times
phases() {
    local label=$1 run=$2
    awk -v clock="$(cat "$LOGS/$label.$run.clock")" '
        function ms(t,   a) { split(t, a, /[:.]/); return ((a[1] * 60 + a[2]) * 60 + a[3]) * 1000 + a[4] }
        BEGIN { split(clock, c, " "); t0 = ms(c[1]); tend = ms(c[2]) }
        $1 ~ /^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]+$/ {
            t = ms($1)
            if (first == "") first = t
            if (index($0, ":pkg (pkg) @")) pkg = t
            if (index($0, ":image (image) @")) img = t
            if ($0 ~ /Downloaded [0-9]+ packages|packages locked in|All [0-9]+ packages from the package cache/) res = t
            if (index($0, "BUILD SUCCESS")) ok = t
        }
        END {
            if (res == "") res = img
            printf "%d %d %d %d %d %d\n", first - t0, pkg - first, img - pkg, res - img, ok - res, tend - ok
        }' "$LOGS/$label.$run.log" >>"$RES/$label.phases"
}

# ---------------------------------------------------------------- 1. the plugin and archetype in WORKDIR/m2

if [[ ! -d $M2 ]]; then
    say "seeding $M2 from ~/.m2/repository (hard links)"
    cp -al "$HOME/.m2/repository" "$M2"
else
    # what the build needs since the last seeding (a new build plugin, say); never overwrites what is there
    cp -aln "$HOME/.m2/repository/." "$M2/"
fi
if ((INSTALL)) || [[ ! -d $M2/dev/archcore/archcore-archetype ]]; then
    say "installing this checkout's plugin and archetype into $M2 (not ~/.m2)"
    (cd "$REPO" && ./mvnw -o -q -B -Dmaven.repo.local="$M2" -pl archcore-maven-plugin,archcore-archetype -am install \
        -DskipTests -Darchetype.test.skip=true) >"$LOGS/install.log" 2>&1 \
        || { tail -n 30 "$LOGS/install.log" >&2; die "installing the plugin into $M2 failed"; }
fi
VERSION=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' "$REPO/pom.xml" | head -n1)

# ---------------------------------------------------------------- 2. the package repository

if [[ -z $CLOSURE ]]; then
    CLOSURE=$WORK/closure
    STAMP=$CLOSURE/.repo-$(sha256sum "$SRC" | cut -c1-16)
    if [[ ! -f $STAMP || ! -f $CLOSURE/repo/bench.db ]]; then
        say "generating the package repository in $CLOSURE (once; cached)"
        mkdir -p "$CLOSURE"
        (cd "$PLUGIN" && "$REPO/mvnw" -o -q -B -Dmaven.repo.local="$M2" dependency:build-classpath \
            -Dmdep.outputFile="$WORK/deps.classpath") >"$LOGS/classpath.log" 2>&1 \
            || { cat "$LOGS/classpath.log" >&2; die "mvn dependency:build-classpath failed"; }
        rm -rf "$WORK/bench-classes"
        CP=$PLUGIN/target/classes:$(cat "$WORK/deps.classpath")
        javac -nowarn -d "$WORK/bench-classes" -cp "$CP" "$SRC" || die "cannot compile ImageClosureBenchmark"
        rm -f "$CLOSURE"/.repo-*
        java -cp "$WORK/bench-classes:$CP" dev.archcore.bench.ImageClosureBenchmark generate "$CLOSURE" \
            | tee "$CLOSURE/generate.txt"
        touch "$STAMP"
    fi
fi
[[ -f $CLOSURE/repo/bench.db && -s $CLOSURE/app.depends ]] || die "no repository in $CLOSURE (repo/bench.db, app.depends)"
n_pkgs=$(ls "$CLOSURE"/repo/*.pkg.tar.zst | grep -vc '/app-' || true)
pkg_bytes=$(cat "$CLOSURE"/repo/*.pkg.tar.zst | wc -c)
say "repository: $CLOSURE/repo, $n_pkgs packages besides app, $(awk -v b="$pkg_bytes" 'BEGIN{printf "%.1f", b/1048576}') MiB"

# ---------------------------------------------------------------- 3. the app

say "generating the app from the archetype (benchapp)"
rm -rf "$WORK/app" "$SEEDAPP"
mkdir -p "$WORK/app"
(cd "$WORK/app" && $MVN -o -B -q -Dmaven.repo.local="$M2" \
    org.apache.maven.plugins:maven-archetype-plugin:3.4.1:generate -DarchetypeGroupId=dev.archcore \
    -DarchetypeArtifactId=archcore-archetype -DarchetypeVersion="$VERSION" -DgroupId=bench -DartifactId=benchapp \
    -Dversion=1.0 -DinteractiveMode=false) >"$LOGS/generate-app.log" 2>&1 \
    || { cat "$LOGS/generate-app.log" >&2; die "archetype:generate failed"; }
sed -i "s/^depends=()/depends=($(tr '\n' ' ' <"$CLOSURE/app.depends" | sed 's/ *$//'))/" "$APP/PKGBUILD"
grep -q '^depends=(pkg\|^depends=(lib\|^depends=(tool' "$APP/PKGBUILD" || die "could not set depends=() in $APP/PKGBUILD"
{
    sed -n '/^\[options\]/,/^# pacman replaces/p' "$APP/pacman.conf" \
        | sed 's/^SigLevel = .*/SigLevel = Never/; s/^LocalFileSigLevel = .*/LocalFileSigLevel = Never/; /^# pacman replaces/d'
    printf '[bench]\nServer = file://%s/repo\n' "$CLOSURE"
} >"$APP/pacman.conf.new"
mv "$APP/pacman.conf.new" "$APP/pacman.conf"
cp -a "$APP" "$SEEDAPP.clean"

# ---------------------------------------------------------------- 4. docker (optional)

DOCKER_PID=
stop_docker() {
    if [[ -n $DOCKER_PID ]] && kill -0 "$DOCKER_PID" 2>/dev/null; then
        kill "$DOCKER_PID" 2>/dev/null || true
        for _ in $(seq 1 30); do kill -0 "$DOCKER_PID" 2>/dev/null || break; sleep 0.5; done
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
    docker version >/dev/null 2>&1 || die "dockerd did not start (see $DDIR/dockerd.log)"
fi

# ---------------------------------------------------------------- 5. the rounds

seed_makepkg() {
    cd "$SEEDAPP" && "${AS_BUILDER[@]}" env PKGEXT=.pkg.tar.zst SOURCE_DATE_EPOCH=$EPOCH PKGDEST="$SEEDOUT" \
        BUILDDIR="$WORK/seed-build" GIT_CEILING_DIRECTORIES="$WORK" makepkg -f -d --noconfirm
}
seed_pacman() {
    local p=(pacman --root "$ROOT" --dbpath "$ROOT/var/lib/pacman" --cachedir "$PCACHE" --config "$SEEDAPP/pacman.conf"
             --noconfirm --noprogressbar)
    "${p[@]}" -Sy && "${p[@]}" -U "$SEEDOUT"/benchapp-*.pkg.tar.zst
}
seed_round() { # KIND RUN
    local kind=$1 i=$2
    rm -rf "$ROOT" "$WORK/seed.tar.gz"
    mkdir -p "$ROOT/var/lib/pacman" "$PCACHE"
    wait_idle "seed-$kind-makepkg $i"
    timed "seed-$kind-makepkg" "$i" seed_makepkg
    wait_idle "seed-$kind-pacman $i"
    timed "seed-$kind-pacman" "$i" seed_pacman
    timed "seed-$kind-bsdtar" "$i" bsdtar -czf "$WORK/seed.tar.gz" -C "$ROOT" .
    if ((DOCKER)); then
        timed "seed-$kind-import" "$i" docker import "$WORK/seed.tar.gz" "bench/seed:r$i"
        docker rmi -f "bench/seed:r$i" >/dev/null
    fi
}
app_change() { # RUN: one line the binary keeps, in both copies
    local line="static const char bench_round[] __attribute__((used)) = \"round $1\";"
    echo "$line" >>"$APP/app/server.c"
    echo "$line" >>"$SEEDAPP/app/server.c"
}

round() { # RUN (0 = warm-up)
    local i=$1
    wait_idle "mvn-validate $i"
    timed mvn-validate "$i" bash -c 'cd "$1" && shift && "$@" -o validate' _ "$APP" "${APPMVN[@]}"

    rm -rf "$APP/target" "$APP/build" "$APP/packages.lock.json" "$ACACHE"
    cp "$SEEDAPP.clean/app/server.c" "$APP/app/server.c"
    wait_idle "archcore-cold $i"
    timed archcore-cold "$i" bash -c 'cd "$1" && shift && "$@" package' _ "$APP" "${APPMVN[@]}"
    phases archcore-cold "$i"

    rm -rf "$SEEDAPP" "$PCACHE" "$SEEDOUT" "$WORK/seed-build"
    cp -a "$SEEDAPP.clean" "$SEEDAPP"
    mkdir -p "$SEEDOUT" "$WORK/seed-build"
    chown -R builder: "$SEEDAPP" "$SEEDOUT" "$WORK/seed-build"
    seed_round cold "$i"

    app_change "$i"
    wait_idle "archcore-warm $i"
    timed archcore-warm "$i" bash -c 'cd "$1" && shift && "$@" -o package' _ "$APP" "${APPMVN[@]}"
    phases archcore-warm "$i"
    seed_round warm "$i"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "warm-up round (untimed)"
round 0
rm -f "$RES"/*.times "$RES"/*.phases
: >"$RES/load.log"
say "timing $RUNS rounds"
for ((i = 1; i <= RUNS; i++)); do
    echo "  round $i"
    round "$i"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- 6. summary

stats() { local v; v=$(cat); printf '%8s %8s %8s' "$(median <<<"$v")" "$(minimum <<<"$v")" "$(maximum <<<"$v")"; }
cpu() { awk '{printf "%.3f\n", $2 + $3}' "$1" | median; }
for kind in cold warm; do
    files=("$RES/seed-$kind-makepkg.times" "$RES/seed-$kind-pacman.times" "$RES/seed-$kind-bsdtar.times")
    ((DOCKER)) && files+=("$RES/seed-$kind-import.times")
    paste -d' ' "${files[@]:0:3}" | awk '{printf "%.3f %.3f\n", $1+$4+$7, $2+$3+$5+$6+$8+$9}' >"$RES/seed-$kind.sum"
    if ((DOCKER)); then
        paste -d' ' "$RES/seed-$kind.sum" "$RES/seed-$kind-import.times" | awk '{printf "%.3f\n", $1+$3}' \
            >"$RES/seed-$kind-import.sum"
    fi
done
validate=$(col 1 "$RES/mvn-validate.times" | median)
{
    echo
    echo "archcore maven benchmark  $(date -u +%Y-%m-%dT%H:%MZ)  $(uname -m), $(nproc) CPUs; Maven: $($MVN -v 2>/dev/null | head -n1 | sed 's/\x1b\[[0-9;]*m//g')"
    echo "repository: $CLOSURE/repo, $n_pkgs packages + app; runs: $RUNS rounds after 1 warm-up"
    echo "load average before: $load_before  after: $load_after"
    echo "CPU busy % at measurement starts: median $(awk '{sub("busy=","",$3); print $3}' "$RES/load.log" | median | awk '{printf "%.0f", $1}'), max $(awk '{sub("busy=","",$3); print $3}' "$RES/load.log" | maximum); 1-min load median $(awk '{sub("load=","",$4); print $4}' "$RES/load.log" | median), max $(awk '{sub("load=","",$4); print $4}' "$RES/load.log" | maximum)"
    echo
    printf '%-58s %8s %8s %8s %8s\n' "" "median s" "min s" "max s" "cpu s"
    row() { printf '%-58s %s %8s\n' "$1" "$(col 1 "$2" | stats)" "$(cpu "$2")"; }
    row "mvn -o validate (Maven start-up, no plugin)" "$RES/mvn-validate.times"
    for kind in cold warm; do
        echo
        if [[ $kind == cold ]]; then
            row "archcore cold: mvn package (empty caches, no lock)" "$RES/archcore-cold.times"
            echo "  seed cold: makepkg -f -d, pacman -Sy + -U (empty cache), bsdtar -czf:"
        else
            row "archcore app-only change: mvn -o package" "$RES/archcore-warm.times"
            echo "  seed app-only change: makepkg -f -d, pacman -Sy + -U (cache kept), bsdtar -czf:"
        fi
        row "    makepkg -f -d" "$RES/seed-$kind-makepkg.times"
        row "    pacman -Sy, -U into a fresh root" "$RES/seed-$kind-pacman.times"
        row "    bsdtar -czf of the root" "$RES/seed-$kind-bsdtar.times"
        printf '%-58s %s %8s\n' "  seed total" "$(col 1 "$RES/seed-$kind.sum" | stats)" "$(col 2 "$RES/seed-$kind.sum" | median)"
        if ((DOCKER)); then
            row "    docker import (vfs)" "$RES/seed-$kind-import.times"
            printf '%-58s %s\n' "  seed total + docker import" "$(col 1 "$RES/seed-$kind-import.sum" | stats)"
        fi
        echo "  archcore's $kind run by its log's times (ms; median, min, max):"
        n=1
        for name in "start-up (launch to Maven's first line)" "Maven (project, plugin loading)" "archcore:pkg" \
                    "archcore:image, resolve + fetch" "archcore:image, image" "exit"; do
            printf '    %-54s %s\n' "$name" "$(col $n "$RES/archcore-$kind.phases" | stats)"
            n=$((n + 1))
        done
        seed=$(col 1 "$RES/seed-$kind.sum" | median)
        arch=$(col 1 "$RES/archcore-$kind.times" | median)
        echo "  seed / archcore = $(ratio "$seed" "$arch") (whole mvn); $(ratio "$seed" "$(awk -v a="$arch" -v v="$validate" 'BEGIN{printf "%.3f", a-v}')") without Maven's start-up (mvn package minus mvn -o validate)"
        if ((DOCKER)); then
            echo "  (seed + docker import) / archcore = $(ratio "$(col 1 "$RES/seed-$kind-import.sum" | median)" "$arch")"
        fi
    done
    echo
    echo "raw: $RES/*.times (real user sys), $RES/archcore-*.phases (startup maven pkg resolve image exit, ms); logs: $LOGS/"
} | tee "$RES/summary.txt"
