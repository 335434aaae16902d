#!/usr/bin/env bash
# Installs the system packages the app and the tests use: what the GUI needs on a fresh desktop
# (Qt's xcb platform plugin links libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, ...; libGL/libEGL;
# fontconfig and a font), the real InfluxDB 1.x and VictoriaMetrics servers the tests start, openssl
# for test certificates, and patchelf for `make deb`. Needs root or passwordless sudo; otherwise it
# says what is missing (and the tests that need those servers are skipped with that reason).
set -u
need=()
command -v influxd >/dev/null 2>&1 || need+=(influxdb)
command -v victoria-metrics >/dev/null 2>&1 || need+=(victoria-metrics)
command -v openssl >/dev/null 2>&1 || need+=(openssl)  # test certificates (tests/tls_certs.py)
command -v patchelf >/dev/null 2>&1 || need+=(patchelf)  # make deb (packaging/deb/build_deb.sh)
gui_libs=(libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 fonts-dejavu-core libdbus-1-3
  libglib2.0-0 libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
  libxcb-shape0 libxcb-randr0 libxcb-xfixes0 libxcb-sync1 libxcb-shm0 libxcb-xkb1)
for lib in "${gui_libs[@]}"; do
  # Ubuntu 24.04 renamed some libraries for 64-bit time_t (libglib2.0-0t64): either name will do.
  dpkg -s "$lib" >/dev/null 2>&1 || dpkg -s "${lib}t64" >/dev/null 2>&1 || need+=("$lib")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "system-deps: missing ${need[*]}; run as root: apt-get install ${need[*]}" >&2; exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${need[*]} and no apt-get here; install them by hand" >&2; exit 0
fi
echo "system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
# A name apt does not know (libglib2.0-0 on Ubuntu 24.04) is asked for under its t64 name.
install=()
for pkg in "${need[@]}"; do
  if apt-cache show "$pkg" >/dev/null 2>&1 || ! apt-cache show "${pkg}t64" >/dev/null 2>&1; then
    install+=("$pkg")
  else
    install+=("${pkg}t64")
  fi
done
$SUDO apt-get install -y -q --no-install-recommends "${install[@]}"
