#!/usr/bin/env bash
# Installs a built bundle (make bundle -> dist/ha-ingestor) for the current user, no root needed:
#   bundle   -> ~/.local/opt/ha-ingestor/            (replaced as a whole; the old one is removed)
#   command  -> ~/.local/bin/ha-ingestor             (symlink)
#   icon     -> ~/.local/share/icons/hicolor/scalable/apps/ha-ingestor.svg
#   menu     -> ~/.local/share/applications/ha-ingestor.desktop
# then runs the installed `ha-ingestor --selftest` (offscreen) and warns about missing system
# libraries (libGL/libEGL, fonts) the bundle does not carry.
#
#   packaging/install_linux.sh [--no-selftest] [BUNDLE_DIR]     (default BUNDLE_DIR: dist/ha-ingestor)
#   packaging/install_linux.sh --uninstall                      (user data and config are kept)
#
# HA_INGESTOR_PREFIX overrides the install dir; XDG_DATA_HOME is honoured for the menu entry and icon.
set -euo pipefail

NAME=ha-ingestor
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
PREFIX=${HA_INGESTOR_PREFIX:-$HOME/.local/opt/$NAME}
BIN_DIR=$HOME/.local/bin
DATA_HOME=${XDG_DATA_HOME:-$HOME/.local/share}
APPS_DIR=$DATA_HOME/applications
ICON_DIR=$DATA_HOME/icons/hicolor/scalable/apps
DESKTOP_FILE=$APPS_DIR/$NAME.desktop
ICON_FILE=$ICON_DIR/$NAME.svg
ICON_COLOUR="#3fb950"  # app.svg's #HEALTH# placeholder, as the window icon shows it when healthy

die() { echo "install: $*" >&2; exit 1; }

# The entry names its icon by absolute path, so no icon cache needs rebuilding (and we never create
# an icon-theme.cache in the user's hicolor dir that other apps would then have to keep fresh).
refresh_caches() {
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$APPS_DIR" 2>/dev/null || true
  fi
}

# Only ever delete a directory that holds a bundle of ours (a typo in HA_INGESTOR_PREFIX must not
# wipe an unrelated directory).
is_our_bundle() { [ -x "$1/$NAME" ] && [ -d "$1/_internal" ]; }

uninstall() {
  if [ -e "$PREFIX" ]; then
    is_our_bundle "$PREFIX" || die "$PREFIX does not look like an HA Ingestor bundle; not removing it"
    rm -rf -- "$PREFIX"
  fi
  if [ -L "$BIN_DIR/$NAME" ] && [ "$(readlink "$BIN_DIR/$NAME")" = "$PREFIX/$NAME" ]; then
    rm -f -- "$BIN_DIR/$NAME"
  fi
  rm -f -- "$DESKTOP_FILE" "$ICON_FILE"
  refresh_caches
  echo "removed $PREFIX, $DESKTOP_FILE and $ICON_FILE (config and data are kept)"
}

check_system_libs() {
  local missing=()
  if command -v ldconfig >/dev/null 2>&1 || [ -x /sbin/ldconfig ]; then
    local libs; libs=$(PATH=$PATH:/sbin:/usr/sbin ldconfig -p 2>/dev/null || true)
    grep -q 'libGL\.so\.1 ' <<<"$libs" || missing+=(libgl1)
    grep -q 'libEGL\.so\.1 ' <<<"$libs" || missing+=(libegl1)
  fi
  if [ ! -e /etc/fonts/fonts.conf ]; then missing+=(fontconfig-config); fi
  if command -v fc-list >/dev/null 2>&1; then
    [ -n "$(fc-list 2>/dev/null | head -n 1)" ] || missing+=(fonts-dejavu-core)
  elif [ ! -d /usr/share/fonts ] || [ -z "$(find /usr/share/fonts -name '*.ttf' -print -quit 2>/dev/null)" ]; then
    missing+=(fonts-dejavu-core)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "install: WARNING: missing system packages: ${missing[*]}" >&2
    echo "install:   without libGL/libEGL the app does not start; without fonts all text is boxes." >&2
    echo "install:   on Debian/Ubuntu: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
  fi
}

run_selftest=1
src=""
while [ $# -gt 0 ]; do
  case $1 in
    --uninstall) uninstall; exit 0 ;;
    --no-selftest) run_selftest=0 ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$src" ] || die "one bundle dir only"; src=$1 ;;
  esac
  shift
done
src=${src:-$ROOT/dist/$NAME}
[ -x "$src/$NAME" ] || die "no bundle at $src (build it first: make bundle)"
src=$(cd "$src" && pwd)
case "$PREFIX/" in "$src/"*) die "install dir $PREFIX is inside the bundle $src" ;; esac

# The icon: from the bundle (so an unpacked bundle installs without the repo), else from the repo.
svg=""
for candidate in "$src/_internal/resources/icons/app.svg" "$src/resources/icons/app.svg" \
                 "$ROOT/resources/icons/app.svg"; do
  [ -f "$candidate" ] && { svg=$candidate; break; }
done
[ -n "$svg" ] || die "app.svg not found in the bundle or in $ROOT/resources/icons"
template=$HERE/linux/$NAME.desktop
[ -f "$template" ] || die "missing $template"

if [ -e "$PREFIX" ] && ! is_our_bundle "$PREFIX"; then
  die "$PREFIX exists and is not an HA Ingestor bundle; not replacing it"
fi

# Copy next to the target, then swap: a failed copy never leaves a half-installed app behind.
mkdir -p "$(dirname "$PREFIX")" "$BIN_DIR" "$APPS_DIR" "$ICON_DIR"
staging=$(mktemp -d "$PREFIX.new.XXXXXX")
trap 'rm -rf -- "$staging"' EXIT
cp -a "$src/." "$staging/"
if [ -e "$PREFIX" ]; then
  old=$(mktemp -d "$PREFIX.old.XXXXXX")
  mv -- "$PREFIX" "$old/"
  mv -- "$staging" "$PREFIX"
  rm -rf -- "$old"
else
  mv -- "$staging" "$PREFIX"
fi
trap - EXIT
chmod 755 "$PREFIX"
if [ -e "$BIN_DIR/$NAME" ] && [ ! -L "$BIN_DIR/$NAME" ]; then
  echo "install: $BIN_DIR/$NAME exists and is not our symlink (a pip install?); left alone" >&2
else
  ln -sfn "$PREFIX/$NAME" "$BIN_DIR/$NAME"
fi

sed "s/#HEALTH#/$ICON_COLOUR/g" "$svg" >"$ICON_FILE.tmp" && mv -f -- "$ICON_FILE.tmp" "$ICON_FILE"
# Absolute Exec/TryExec/Icon: works whether or not ~/.local/bin is on PATH and without an icon-cache refresh.
sed -e "s|^Exec=.*|Exec=\"$PREFIX/$NAME\"|" \
    -e "s|^TryExec=.*|TryExec=$PREFIX/$NAME|" \
    -e "s|^Icon=.*|Icon=$ICON_FILE|" "$template" >"$DESKTOP_FILE.tmp"
chmod 644 "$DESKTOP_FILE.tmp" && mv -f -- "$DESKTOP_FILE.tmp" "$DESKTOP_FILE"
refresh_caches

echo "installed $PREFIX"
echo "  command:    $BIN_DIR/$NAME$(case ":$PATH:" in *":$BIN_DIR:"*) ;; *) echo " (add $BIN_DIR to PATH)";; esac)"
echo "  menu entry: $DESKTOP_FILE"
echo "  icon:       $ICON_FILE"
check_system_libs
if [ "$run_selftest" = 1 ]; then
  QT_QPA_PLATFORM=offscreen "$PREFIX/$NAME" --selftest || die "the installed bundle failed its selftest"
fi
