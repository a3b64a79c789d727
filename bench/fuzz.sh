#!/usr/bin/env bash
# fuzz.sh: fuzzes every parser of outside input with Jazzer, one target after the other, and logs how many inputs
# each target ran.
#
# Usage: bench/fuzz.sh [options] [FILTER]
#
#   FILTER             run only targets whose Class#method contains it (e.g. PacmanFuzzTest, syncDatabase)
#   -t, --time S       seconds per target (default 60)
#   -w, --work DIR     corpus, findings and logs (default /tmp/archcore-fuzz); the generated corpus is kept there,
#                      so the next run starts where this one stopped
#   -l, --list         list the targets and exit
#   FUZZ_JAVA_OPTS     JVM options of the fuzzing JVM (default -Xmx512m: a decompression bomb shows as an
#                      OutOfMemoryError, a finding, instead of eating the machine)
#   MVN                the Maven command (default ./mvnw -B -q -o)
#   -h, --help
#
# The targets are the @FuzzTest methods of archcore-maven-plugin/src/test/java/**/*FuzzTest.java. In `mvn verify`
# they run once over their committed seeds (src/test/resources/<package>/<Class>Inputs/<method>/, Jazzer's
# regression mode). Here each runs through Jazzer's command line (the libFuzzer engine), instrumenting archcore and
# the parsers it uses (commons-compress, xz, jackson-core, snakeyaml), with per input a 30 s timeout (-timeout) and at
# most 64 KiB (-max_len). A finding stops that target: the input lands in WORK/findings/<Class>.<method>/ and its
# stack trace in the target's log; add the input to the target's Inputs directory once the parser is fixed.
# The summary (WORK/summary.txt, one line per target and run) gives executions, executions per second and the
# outcome; WORK/totals.txt sums the executions of every run so far per target.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

seconds=60 work=/tmp/archcore-fuzz filter= list=
while (($#)); do
    case $1 in
        -t|--time) seconds=$2; shift 2 ;;
        -w|--work) work=$2; shift 2 ;;
        -l|--list) list=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) filter=$1; shift ;;
    esac
done
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || die "--time needs a number of seconds"

module=archcore-maven-plugin
tests=$module/src/test/java
targets=()
while IFS= read -r file; do
    class=${file#"$tests"/}; class=${class%.java}; class=${class//\//.}
    # the method after each @FuzzTest: "void name(byte[] data)"
    for method in $(awk '/@FuzzTest/ {want=1; next} want && /void [A-Za-z0-9_]+\(/ {
                            match($0, /void [A-Za-z0-9_]+\(/); print substr($0, RSTART+5, RLENGTH-6); want=0 }' "$file"); do
        target="$class#$method"
        [[ -z $filter || $target == *"$filter"* ]] && targets+=("$target")
    done
done < <(find "$tests" -name '*FuzzTest.java' | sort)
((${#targets[@]})) || die "no fuzz target matches '$filter'"
if [[ -n $list ]]; then
    printf '%s\n' "${targets[@]}"
    exit 0
fi

mkdir -p "$work"/{corpus,findings,logs}
say "compiling the tests and writing the test classpath"
${MVN:-./mvnw -B -q -o} -pl $module test-compile dependency:build-classpath \
    -Dmdep.outputFile="$work/classpath.txt" -Dmdep.includeScope=test >/dev/null
classpath=$module/target/test-classes:$module/target/classes:$(cat "$work/classpath.txt")
instrument='dev.archcore.**:org.apache.commons.compress.**:org.tukaani.**:com.fasterxml.jackson.core.**:org.snakeyaml.**'

for target in "${targets[@]}"; do
    class=${target%#*} method=${target#*#}
    name=${class##*.}.$method
    seeds=$module/src/test/resources/${class%.*}; seeds=${seeds//.//}/${class##*.}Inputs/$method
    corpus=$work/corpus/$name findings=$work/findings/$name/ log=$work/logs/$name.$(date +%Y%m%dT%H%M%S).log
    mkdir -p "$corpus" "$findings"
    say "$target for ${seconds}s (log $log)"
    status=ok
    # shellcheck disable=SC2086
    java ${FUZZ_JAVA_OPTS:--Xmx512m} -cp "$classpath" com.code_intelligence.jazzer.Jazzer \
        --target_class="$class" --target_method="$method" --instrumentation_includes="$instrument" \
        "$corpus" "$seeds" -max_total_time="$seconds" -timeout=30 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$findings" >"$log" 2>&1 || status=FINDING
    execs=$(awk '/stat::number_of_executed_units:/ {n=$2} END {print n+0}' "$log")
    rate=$(awk '/stat::average_exec_per_sec:/ {n=$2} END {print n+0}' "$log")
    line=$(printf '%s %-45s %12d execs %8d exec/s %4ds %s' "$(date -u +%FT%TZ)" "$target" "$execs" "$rate" \
        "$seconds" "$status")
    echo "$line" | tee -a "$work/summary.txt"
    if [[ $status != ok ]]; then
        grep -m1 -A12 -E '== Java Exception|FuzzerSecurityIssue|ERROR: libFuzzer' "$log" || tail -20 "$log"
    fi
done

awk '{total[$2] += $3} END {for (t in total) printf "%-45s %12d execs in all runs\n", t, total[t]}' \
    "$work/summary.txt" | sort >"$work/totals.txt"
say "executions per target over every run so far ($work/totals.txt)"
cat "$work/totals.txt"
