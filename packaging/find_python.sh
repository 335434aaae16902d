#!/usr/bin/env bash
# Prints the newest Python >= 3.11 on this machine: interpreters on PATH and pyenv's versions.
set -u
best=""; best_ver=0
consider() {
  local py=$1 ver
  ver=$("$py" -c 'import sys; v=sys.version_info; print(v[0]*100+v[1] if v >= (3, 11) else 0)' 2>/dev/null) || return 0
  if [ -n "$ver" ] && [ "$ver" -gt "$best_ver" ] && "$py" -c 'import venv, ensurepip' 2>/dev/null; then
    best=$py; best_ver=$ver
  fi
}
for name in python3.14 python3.13 python3.12 python3.11 python3; do
  p=$(command -v "$name" 2>/dev/null) && consider "$p"
done
for root in "${PYENV_ROOT:-$HOME/.pyenv}" /usr/local /usr; do
  for p in "$root"/versions/3.*/bin/python3 "$root"/bin/python3.1[1-9]; do
    [ -x "$p" ] && consider "$p"
  done
done
[ -n "$best" ] || { echo "no Python >= 3.11 found; install python3 (>= 3.11) and python3-venv" >&2; exit 1; }
echo "$best"
