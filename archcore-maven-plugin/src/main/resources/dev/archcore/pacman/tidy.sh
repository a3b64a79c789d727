# makepkg's tidy steps on $pkgdir (the current directory), driven by the effective OPTIONS in $ARCHCORE_OPTIONS:
# removals first (docs, emptydirs, libtool, purge, staticlibs), then strip and zipman, as makepkg orders them.
shopt -s nullglob
opts=" $ARCHCORE_OPTIONS "
on() { [[ $opts == *" $1 "* ]]; }

if on '!docs'; then
  rm -rf -- usr/{,local/}{,share/}{doc,gtk-doc} opt/*/{doc,gtk-doc}
fi
if on '!emptydirs'; then
  find . -mindepth 1 -depth -type d -empty -delete
fi
if on '!libtool'; then
  find . ! -type d -name '*.la' -delete
fi
if on purge; then
  rm -f -- usr/info/dir usr/share/info/dir
  find . ! -type d \( -name .packlist -o -name '*.pod' \) -delete
fi
if on '!staticlibs'; then
  find . ! -type d -name '*.a' -print0 | while IFS= read -rd '' lib; do
    if [[ -f ${lib%.a}.so || -h ${lib%.a}.so ]]; then rm -f -- "$lib"; fi
  done
fi
if on strip; then
  if ! type -P strip readelf >/dev/null; then
    echo "options=(strip) needs binutils' strip and readelf: install binutils, or set options=('!strip') in the PKGBUILD" >&2
    exit 3
  fi
  find . -type f -perm -u+w -print0 | while IFS= read -rd '' f; do
    case "$(LC_ALL=C readelf -h "$f" 2>/dev/null)" in
      *Type:*'DYN ('*) flags=--strip-unneeded ;;
      *Type:*'EXEC ('*) flags=--strip-all ;;
      *Type:*'REL ('*)
        if ar t "$f" &>/dev/null; then flags=--strip-debug
        elif [[ $f == *.ko ]]; then flags=--strip-unneeded
        else continue; fi ;;
      *) continue ;;
    esac
    tmp=$(mktemp "$f.XXXXXX")
    # cat keeps the inode, so hard links stay links
    if strip $flags "$f" -o "$tmp"; then cat "$tmp" > "$f"; fi
    rm -f -- "$tmp"
  done
fi
if on zipman; then
  mandirs=({usr{,/local}{,/share},opt/*}/{man,info})
  declare -A first
  while read -rd ' ' inode; do
    IFS= read -r file
    # links to a page now point at its .gz
    find "${mandirs[@]}" -type l -print0 2>/dev/null | while IFS= read -rd '' link; do
      if [[ $file -ef $link ]]; then
        rm -f -- "$link" "$link.gz"
        if [[ ${file%/*} == "${link%/*}" ]]; then ln -s -- "${file##*/}.gz" "$link.gz"
        else ln -s -- "/${file#./}.gz" "$link.gz"; fi
      fi
    done
    if [[ -z ${first[$inode]} ]]; then
      first[$inode]=$file
      gzip -9 -n -f -- "$file"
    else
      rm -f -- "$file"
      ln -- "${first[$inode]}.gz" "$file.gz"
      chmod 644 -- "$file.gz"
    fi
  done < <(find "${mandirs[@]}" -type f ! -name '*.gz' ! -name '*.bz2' -exec stat -c '%i %n' {} + 2>/dev/null)
fi
exit 0
