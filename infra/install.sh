#!/usr/bin/env bash
# Installs what VisRL.Workflow needs on a Debian machine, skipping what is already there:
#   apt: RabbitMQ, PostgreSQL, libtorch (+ OpenBLAS), TurboJPEG, Python PyTorch (benchmark peer
#        and interop tests), ImageMagick (independent decoder in tests and benchmarks)
#   npm: Azurite, pinned by infra/azurite/package-lock.json (apt's nodejs and npm first, when npm is missing)
# Safe to run twice. Needs root (or sudo) for apt.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

apt_packages=(rabbitmq-server postgresql cmake g++ libtorch-dev libopenblas0-pthread libturbojpeg0
              python3-torch imagemagick curl faketime)

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Azurite runs on Node.js and installs with npm: Debian's packages when npm is not on PATH (a
# NodeSource or nvm Node.js stays as it is). Debian 12's Node.js 18 runs the pinned Azurite 3.35;
# some of its @azure dependencies name Node >= 20, which npm only warns about.
azurite_dir="$root/infra/azurite"
if [ ! -x "$azurite_dir/node_modules/.bin/azurite-blob" ] && ! command -v npm >/dev/null; then
  apt_packages+=(nodejs npm)
fi

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install: apt packages: ${missing[*]}"
  sudo_if_needed apt-get update -q
  # policy-rc.d keeps Debian from starting system-wide RabbitMQ/PostgreSQL: the stack runs its own.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | sudo_if_needed tee /usr/sbin/policy-rc.d >/dev/null
    sudo_if_needed chmod +x /usr/sbin/policy-rc.d
    trap 'sudo_if_needed rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -x "$azurite_dir/node_modules/.bin/azurite-blob" ]; then
  command -v npm >/dev/null || { echo "install: npm is still missing after installing Debian's nodejs and npm" >&2; exit 1; }
  echo "install: azurite (npm ci)"
  (cd "$azurite_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "install: ok"
