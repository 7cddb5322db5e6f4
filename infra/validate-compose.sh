#!/usr/bin/env bash
# Validates a compose file, or files laid over each other as `docker compose -f A -f B` does, with
# Debian's docker-compose 1.29.2, unpacked into .visrl/tools (no Docker engine needed, nothing
# installed system-wide). Exit 0 when valid; otherwise the tool's message and a non-zero exit.
#   infra/validate-compose.sh [docker-compose.yml [docker-compose.gpu.yml ...]]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -gt 0 ] || set -- "$root/docker-compose.yml"
files=()
for file in "$@"; do files+=(-f "$(realpath "$file")"); done
first="$(realpath "$1")"
tools="$root/.visrl/tools/docker-compose"
packages=(docker-compose python3-docker python3-dockerpty python3-docopt python3-dotenv python3-jsonschema
          python3-texttable python3-websocket python3-yaml python3-cached-property python3-distro
          python3-requests python3-urllib3 python3-certifi python3-chardet python3-idna python3-attr
          python3-pyrsistent python3-six python3-packaging python3-pyparsing)

if [ ! -f "$tools/.ready" ]; then
  mkdir -p "$tools/debs" "$tools/root"
  ( cd "$tools/debs" && apt-get download "${packages[@]}" >/dev/null 2>"$tools/download.log" ) || {
    # The package lists may be missing on a fresh machine.
    if [ "$(id -u)" -eq 0 ]; then apt-get update -q >/dev/null; else sudo apt-get update -q >/dev/null; fi
    ( cd "$tools/debs" && apt-get download "${packages[@]}" >/dev/null )
  }
  for deb in "$tools"/debs/*.deb; do dpkg-deb -x "$deb" "$tools/root"; done
  touch "$tools/.ready"
fi

# Debian's python3 (the one on PATH may be another interpreter), with the unpacked packages first.
export PYTHONPATH="$tools/root/usr/lib/python3/dist-packages"
cd "$(dirname "$first")"
exec /usr/bin/python3 "$tools/root/usr/bin/docker-compose" "${files[@]}" --project-directory "$(dirname "$first")" config -q
