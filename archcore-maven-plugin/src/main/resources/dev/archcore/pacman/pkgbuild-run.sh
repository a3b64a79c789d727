# Runs one PKGBUILD function the way makepkg does: sourced PKGBUILD, makepkg's variables, umask 022,
# cwd $srcdir, errexit. Arguments: PKGBUILD path, function name, pkgver computed by pkgver().
BUILDFILE=$1 func=$2 newver=$3
shopt -s extglob
umask 0022
source "$BUILDFILE" || exit 1
[[ -n $newver ]] && pkgver=$newver
export srcdir pkgdir startdir CARCH SOURCE_DATE_EPOCH
cd "$srcdir" || exit 1
set -eE
"$func"
