#!/usr/bin/env bash
# Builds dist/ha-ingestor_<version>-<revision>_<arch>.deb around a PyInstaller bundle (make bundle), as an
# ordinary user, with Debian's own tools (dpkg-deb --root-owner-group: root-owned files in the archive).
#
#   packaging/deb/build_deb.sh [--bundle DIR] [--out DIR] [--version V]
#
#   --bundle   the onedir bundle (default dist/ha-ingestor)
#   --out      where the .deb goes (default dist)
#   --version  the package version (default: [project] version in pyproject.toml; tests build an
#              older version this way to check upgrades)
#
# PYTHON (default .venv/bin/python, else python3) must have PySide6: it renders the PNG icons.
# HA_INGESTOR_SCREENSHOT_URL: where docs/screenshots is published (AppStream wants https URLs);
# DEB_MAINTAINER ("Name <mail>") and DEB_REVISION (default 1): the package's maintainer and revision;
# APPSTREAM_ID: the software-centre id (reverse DNS).
# The defaults use the reserved .example domain: set both for a published release.
# Prints the path of the .deb on its last line.
set -euo pipefail

NAME=ha-ingestor
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
bundle=$ROOT/dist/$NAME
out=$ROOT/dist
version=""
while [ $# -gt 0 ]; do
  case $1 in
    --bundle) bundle=$2; shift ;;
    --out) out=$2; shift ;;
    --version) version=$2; shift ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build_deb: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
die() { echo "build_deb: $*" >&2; exit 1; }
PY=${PYTHON:-}
[ -n "$PY" ] || { [ -x "$ROOT/.venv/bin/python" ] && PY=$ROOT/.venv/bin/python || PY=python3; }
[ -x "$bundle/$NAME" ] && [ -d "$bundle/_internal" ] || die "no bundle at $bundle (make bundle first)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found (apt-get install dpkg)"
revision=${DEB_REVISION:-1}
maintainer=${DEB_MAINTAINER:-HA Ingestor developers <dev@ha-ingestor.example>}
[ -n "$version" ] || version=$("$PY" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' "$ROOT/pyproject.toml")
arch=$(dpkg --print-architecture)
# Timestamps: the last commit's (reproducible), else now.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}
date_iso=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
date_rfc=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
# AppStream wants a reverse-DNS id of a domain the project controls; the default is the reserved
# example.org's, like the maintainer address: set APPSTREAM_ID for a published release.
appstream_id=${APPSTREAM_ID:-org.example.HaIngestor}
shot_url=${HA_INGESTOR_SCREENSHOT_URL:-https://ha-ingestor.example/screenshots}

stage=$(mktemp -d "${TMPDIR:-/tmp}/ha-ingestor-deb.XXXXXX")
trap 'rm -rf -- "$stage"' EXIT
umask 022
chmod 755 "$stage"

# -- the bundle: /opt/ha-ingestor (a self-contained third-party app; see packaging/README.md) --------
mkdir -p "$stage/opt"
cp -a "$bundle" "$stage/opt/$NAME"
find "$stage/opt/$NAME" -type d -exec chmod 755 {} +
find "$stage/opt/$NAME" -type f -exec chmod 644 {} +
chmod 755 "$stage/opt/$NAME/$NAME"
# The system's own copies of the libraries PyInstaller copied from this machine (libssl, libsqlite3,
# libstdc++, glib, X11/xcb, ...): Debian keeps those patched, and Depends: names them (shlibdeps.py).
# libpython (from the build's Python, not Debian's) and Qt's libraries stay in the bundle.
find "$stage/opt/$NAME/_internal" -maxdepth 1 -type f -name 'lib*.so*' \
  ! -name 'libpython3*' ! -name 'libpyside6*' ! -name 'libshiboken6*' -delete
find "$stage/opt/$NAME/_internal" -maxdepth 1 -xtype l -delete  # links to what was just removed
# The build's Python was linked with a RUNPATH into the build machine (e.g. ~/.pyenv/.../lib): on a
# target machine that path means nothing (or, worse, someone else's libraries). The bootloader puts
# the bundle's own directory on the search path, so no RUNPATH outside the bundle is needed.
if command -v patchelf >/dev/null; then
  while IFS= read -r -d '' elf; do
    rpath=$(patchelf --print-rpath "$elf" 2>/dev/null) || continue
    case $rpath in ""|'$ORIGIN'*) ;; *) patchelf --remove-rpath "$elf" ;; esac
  done < <(find "$stage/opt/$NAME/_internal" -type f -name '*.so*' -print0)
else
  echo "build_deb: WARNING: no patchelf; RUNPATHs into the build machine stay (apt-get install patchelf)" >&2
fi
mkdir -p "$stage/usr/bin"
ln -s "/opt/$NAME/$NAME" "$stage/usr/bin/$NAME"

# -- desktop integration ----------------------------------------------------------------------------
install -D -m 644 "$HERE/$NAME.desktop" "$stage/usr/share/applications/$NAME.desktop"
QT_QPA_PLATFORM=offscreen "$PY" "$HERE/render_icons.py" "$stage/usr/share/icons/hicolor" >/dev/null
shots=""
for png in "$ROOT"/docs/screenshots/*.png; do
  [ -f "$png" ] || continue
  tab=$(basename "$png" .png)
  kind=$([ "$tab" = overview ] && echo ' type="default"' || true)
  shots+="    <screenshot${kind}><caption>The ${tab^} tab</caption><image>${shot_url}/${tab}.png</image></screenshot>"$'\n'
done
printf '%s' "$shots" >"$stage/shots.xml"
sed -e "s|@VERSION@|$version|" -e "s|@DATE@|$date_iso|" -e "s|@APPSTREAM_ID@|$appstream_id|" \
    -e "/@SCREENSHOTS@/{r $stage/shots.xml" -e "d}" "$HERE/$NAME.metainfo.xml" >"$stage/metainfo.xml"
rm "$stage/shots.xml"
install -D -m 644 "$stage/metainfo.xml" "$stage/usr/share/metainfo/$appstream_id.metainfo.xml"
rm "$stage/metainfo.xml"
install -D -m 644 "$HERE/$NAME.service" "$stage/lib/systemd/system/$NAME.service"
install -D -m 644 "$HERE/lintian-overrides" "$stage/usr/share/lintian/overrides/$NAME"

# -- documentation ----------------------------------------------------------------------------------
doc=$stage/usr/share/doc/$NAME
install -D -m 644 "$HERE/copyright" "$doc/copyright"
install -m 644 "$ROOT/README.md" "$doc/README.md"
install -m 644 "$ROOT/packaging/README.md" "$doc/README.packaging.md"
gzip -9n "$doc/README.md" "$doc/README.packaging.md"
cat >"$doc/changelog.Debian" <<CHANGELOG
$NAME ($version-$revision) stable; urgency=medium

  * Release $version, packaged from the PyInstaller bundle.

 -- $maintainer  $date_rfc
CHANGELOG
gzip -9n "$doc/changelog.Debian"
sed "s/@VERSION@/$version/; s/@DATE@/$date_iso/" "$HERE/$NAME.1" | gzip -9n >"$stage/man.gz"
install -D -m 644 "$stage/man.gz" "$stage/usr/share/man/man1/$NAME.1.gz"
rm "$stage/man.gz"

# -- control ----------------------------------------------------------------------------------------
mkdir -p "$stage/DEBIAN"
install -m 755 "$HERE/postinst" "$HERE/prerm" "$HERE/postrm" "$stage/DEBIAN/"
installed_kb=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
libdeps=$("$PY" "$HERE/shlibdeps.py" "$stage/opt/$NAME") || die "shlibdeps failed (make system-deps installs the libraries)"
depends=$( { printf '%s\n' "$libdeps"; grep -v '^#' "$HERE/depends"; } | paste -sd, | sed 's/,/, /g')
sed -e "s/@VERSION@/$version-$revision/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$installed_kb/" \
    -e "s/@DEPENDS@/$depends/" -e "s|@MAINTAINER@|$maintainer|" "$HERE/control" >"$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
  xargs -0 md5sum >DEBIAN/md5sums)
chmod 644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"
find "$stage" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} + 2>/dev/null || true

mkdir -p "$out"
deb=$out/${NAME}_${version}-${revision}_${arch}.deb
# DEB_COMPRESSION=none|gzip: the tests' throwaway "older version" builds in seconds instead of minutes.
dpkg-deb --root-owner-group "-Z${DEB_COMPRESSION:-xz}" --build "$stage" "$deb" >/dev/null
echo "$deb"
