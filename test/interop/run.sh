#!/usr/bin/env bash
# Interop suites: real gateway process + real Debian OpenStack clients + curl.
# Called by `npm run test:interop` (which runs `npm run build` first).
set -euo pipefail
cd "$(dirname "$0")/../.."

PKGS=(python3-glanceclient python3-openstackclient python3-openstacksdk curl util-linux)
missing=0
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing=1
done
for c in /usr/bin/glance /usr/bin/openstack /usr/bin/curl /usr/bin/script; do
  command -v "$c" >/dev/null 2>&1 || missing=1
done
if [ "$missing" = 1 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  echo "run.sh: installing ${PKGS[*]}" >&2
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${PKGS[@]}"
fi

if [ ! -f dist/main.js ]; then
  npm run build
fi

exec npx vitest run --config vitest.interop.config.ts "$@"
