# Helpers every benchmark driver here shares; each driver sources this file.

# die MESSAGE: the driver's name and the message on stderr, then exit 1
die() { echo "$(basename "$0" .sh): $*" >&2; exit 1; }
# say MESSAGE: a step heading
say() { printf '==> %s\n' "$*"; }

# median of the numbers on stdin (mean of the two middle ones for an even count)
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "nan"; exit} if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }
minimum() { sort -g | head -n1; }
maximum() { sort -g | tail -n1; }
# column C of FILE
col() { awk -v c="$1" '{print $c}' "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "nan" }'; }
# milliseconds in column C (default 1) of stdin, as seconds
ms_to_s() { awk -v c="${1:-1}" '{printf "%.3f\n", $c/1000}'; }

# cpu busy fraction (percent) over one second, from /proc/stat
cpu_busy() {
    local a b
    read -r -a a < <(grep '^cpu ' /proc/stat)
    sleep 1
    read -r -a b < <(grep '^cpu ' /proc/stat)
    local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
    for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
    ((total > 0)) || { echo 0; return; }
    echo $(( 100 * (total - idle) / total ))
}
