#!/usr/bin/env bash
# Installs the system packages the tests use (real InfluxDB 1.x, VictoriaMetrics for the v2 write API,
# Qt's runtime libraries). Needs root or passwordless sudo; otherwise it says what is missing and the
# tests that need those servers are skipped with that reason.
set -u
need=()
command -v influxd >/dev/null 2>&1 || need+=(influxdb)
command -v victoria-metrics >/dev/null 2>&1 || need+=(victoria-metrics)
command -v openssl >/dev/null 2>&1 || need+=(openssl)  # test certificates (tests/tls_certs.py)
for lib in libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core; do
  dpkg -s "$lib" >/dev/null 2>&1 || need+=("$lib")
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
$SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
