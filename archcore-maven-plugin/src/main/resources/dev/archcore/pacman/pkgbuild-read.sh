# Sources a PKGBUILD the way makepkg does and writes its variables, NUL-separated, to $3.
# Arguments: startdir, PKGBUILD path, output file, CARCH. Sourcing output goes to stderr so that a
# PKGBUILD that prints something cannot corrupt the dump.
startdir=$1 BUILDFILE=$2 out=$3 CARCH=$4
srcdir=${ARCHCORE_SRCDIR:-$startdir/src}
shopt -s extglob
cd "$startdir" || exit 1
source "$BUILDFILE" 1>&2 || { echo "sourcing $BUILDFILE failed" >&2; exit 1; }

emit() { local name=$1; shift; printf '%s\0%s\0' "$name" "$#"; (( $# )) && printf '%s\0' "$@"; return 0; }
emit_var() {
  local name=$1
  declare -p "$name" &>/dev/null || return 0
  local -n ref=$name
  emit "$name" "${ref[@]}"
}

{
  for v in pkgname pkgbase pkgver pkgrel epoch pkgdesc url install changelog \
           arch license groups depends makedepends checkdepends optdepends provides conflicts replaces \
           backup options source sha256sums; do
    emit_var "$v"
    emit_var "${v}_${CARCH}"
  done
  emit functions $(compgen -A function)
  if declare -F pkgver >/dev/null; then
    # makepkg runs pkgver() in $srcdir; fall back to startdir when there is none yet
    if newver=$(cd "$srcdir" 2>/dev/null || cd "$startdir"; pkgver 2>/dev/null); then
      emit pkgver_function "$newver"
    else
      emit pkgver_function_failed "$?"
    fi
  fi
} > "$out"
