#!/usr/bin/env bash
# Interop suites: real gateway process + real Debian OpenStack clients + curl.
# Called by `npm run test:interop` (which runs `npm run build` first).
set -euo pipefail
cd "$(dirname "$0")/../.."

# glance-api: the real Glance that the upstream-mode suites put the gateway in front of
# (test/glance/glance.sh; its maintainer scripts must not start Debian's own service on :9292).
PKGS=(python3-glanceclient python3-openstackclient python3-openstacksdk curl util-linux glance-api)
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
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  rc=0
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PKGS[@]}" || rc=$?
  if [ "$made_policy" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
  [ "$rc" = 0 ] || exit "$rc"
fi

if [ ! -f dist/main.js ]; then
  npm run build
fi

exec npx vitest run --config vitest.interop.config.ts "$@"
