#!/usr/bin/env bash
# Installs the Debian packages that the integration and browser tests start for real, and the speech
# engine the hub uses for text bulletins.
# Idempotent: does nothing when every binary is already there.
set -euo pipefail
need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v influxd >/dev/null 2>&1 || [ -x /usr/bin/influxd ] || need+=(influxdb)
command -v victoria-metrics >/dev/null 2>&1 || [ -x /usr/bin/victoria-metrics ] || need+=(victoria-metrics)
[ -x /usr/bin/chromium ] || need+=(chromium)
# Text bulletins are spoken by espeak-ng's Vietnamese voice; sox measures audio in the tests.
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need+=(sox)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "installing system packages: ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# The packages' own services are not wanted: the tests start each on a free port with its own config.
$SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
for svc in mosquitto influxdb victoria-metrics; do
  $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
done
