#!/usr/bin/env bash
# Run a REAL Glance v2 API (Debian bookworm `glance-api` 2:25.1.0, Zed) on 127.0.0.1 for the
# gateway's upstream-mode tests and bench.  Usage: glance.sh start|stop|status|env
#
#   start   install glance-api if missing, write the config for the flavor into the state dir,
#           `glance-manage db_sync` once (sqlite), serve `glance-api` (eventlet, workers = 0: ONE
#           process), wait for /healthcheck. Idempotent; restarts when the flavor/port changed.
#   stop    kill exactly the process recorded in the state dir's pidfile (and its children).
#   status  exit 0 if our glance-api is running and answers GET /healthcheck.
#   env     print shell exports (eval "$(test/glance/glance.sh env)").
#
# Tunables (environment): GLANCE_STATE (/tmp/gg-glance), GLANCE_PORT (29292: not Debian's 9292, below the ephemeral range),
# GLANCE_FLAVOR (noauth | keystone), GLANCE_RESET=1 (wipe the state dir on start when not running),
# GLANCE_IMPORT_ALLOWED_HOSTS (127.0.0.1: the only hosts web-download may fetch from; Debian's
# deb12u5 refuses loopback unless listed, and test fixture servers listen on 127.0.0.1).
# keystone flavor: KEYSTONE_URL (default: what `test/keystone/keystone.sh env` prints, which
# honours KEYSTONE_PORT/KEYSTONE_STATE), GLANCE_SERVICE_USER/PASSWORD/PROJECT (glance/glance-secret/
# service, as keystone.sh bootstraps them). This script does not start Keystone.
#
# The two flavors (both Debian's packaged paste pipeline, /etc/glance/glance-api-paste.ini):
#   keystone  pipeline `glance-api-keystone`: keystonemiddleware auth_token → Glance `context`.
#   noauth    Debian's default `glance-api` pipeline uses `unauthenticated-context`, which makes
#             EVERY request admin with no project: images get no owner, there is no isolation.
#             The gateway in noauth mode forwards X-Project-Id/X-User-Id/X-Roles instead, so this
#             flavor keeps the keystone pipeline and replaces only `authtoken` by a 10-line filter
#             (test/glance/trusted_headers.py) that marks those headers confirmed, as auth_token
#             would; Glance's own `context` middleware and policy then derive owner, visibility and
#             isolation from them (no headers at all: admin in project `admin`). Same approach as
#             fixtures/reference-glance, but with the packaged pipeline around it.
# Config: sqlite in WAL mode, file store ($STATE/images), node staging ($STATE/staging), import
# methods glance-direct/web-download/copy-image (web-download: any port of the allowed hosts, since
# test servers use random ports), in-code policy defaults with Zed's legacy rules (enforce_new_defaults=False).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
STATE=${GLANCE_STATE:-/tmp/gg-glance}
PORT=${GLANCE_PORT:-29292}
FLAVOR=${GLANCE_FLAVOR:-noauth}
IMPORT_HOSTS=${GLANCE_IMPORT_ALLOWED_HOSTS:-127.0.0.1}
URL="http://127.0.0.1:${PORT}"
PY=/usr/bin/python3            # Debian's python (has the glance modules), not pyenv's
PIDFILE="$STATE/glance-api.pid"
CONF="$STATE/glance-api.conf"
PKGS=(glance-api)

log() { echo "[glance.sh] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

case $FLAVOR in noauth|keystone) ;; *) die "GLANCE_FLAVOR must be noauth or keystone, not '$FLAVOR'" ;; esac

answers() { curl -fsS -m 3 -o /dev/null "$URL/healthcheck" 2>/dev/null; }

our_pid() {  # prints the pid if the pidfile names a live glance-api of ours
  [[ -s $PIDFILE ]] || return 1
  local pid; pid=$(tr -dc 0-9 <"$PIDFILE")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  # guard against pid reuse: the process must run with our state dir's config
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$CONF" || return 1
  echo "$pid"
}

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi; }

install_pkgs() {
  local missing=()
  for p in "${PKGS[@]}"; do
    dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  [[ $(id -u) -eq 0 ]] || sudo -n true 2>/dev/null || die "need root or passwordless sudo to install: ${missing[*]}"
  log "installing ${missing[*]}"
  local apt_log=/tmp/gg-glance-apt.log
  # Never let the package configure a db or register an endpoint (defaults are false, be explicit).
  printf '%s\n' 'glance-common glance/configure_db boolean false' \
    'glance-api glance/configure_api-endpoint boolean false' | as_root debconf-set-selections
  # Stop maintainer scripts from starting the system glance-api (port 9292). Only create
  # policy-rc.d if there is none (Docker images usually ship one with exit 101).
  local made_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  local rc=0
  { as_root apt-get update -q &&
    as_root env DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true \
      apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold "${missing[@]}"
  } >"$apt_log" 2>&1 || rc=$?
  if [[ $made_policy -eq 1 ]]; then as_root rm -f /usr/sbin/policy-rc.d; fi
  [[ $rc -eq 0 ]] || { tail -20 "$apt_log" >&2; die "apt-get install failed (log: $apt_log)"; }
  disable_system_service
}

disable_system_service() {
  # Whatever policy-rc.d said: Debian's own glance-api service (uwsgi on :9292) must be neither
  # running nor enabled. The postinst runs `update-rc.d glance-api defaults` and enables the unit.
  [[ -e /lib/systemd/system/glance-api.service || -x /etc/init.d/glance-api ]] || return 0
  [[ $(id -u) -eq 0 ]] || sudo -n true 2>/dev/null || return 0
  if command -v systemctl >/dev/null; then
    if [[ -d /run/systemd/system ]]; then as_root systemctl stop glance-api.service >/dev/null 2>&1 || true; fi
    if [[ -e /etc/systemd/system/multi-user.target.wants/glance-api.service ]]; then
      as_root systemctl disable glance-api.service >/dev/null 2>&1 \
        || as_root rm -f /etc/systemd/system/multi-user.target.wants/glance-api.service
    fi
  fi
  if [[ -x /etc/init.d/glance-api ]]; then
    # Only stop what the init script itself started (its pidfile), never by process name.
    if compgen -G '/run/glance/*.pid' >/dev/null; then as_root /etc/init.d/glance-api stop >/dev/null 2>&1 || true; fi
    if ls /etc/rc[2-5].d/S*glance-api >/dev/null 2>&1; then as_root update-rc.d glance-api disable >/dev/null 2>&1 || true; fi
  fi
}

keystone_conf() {
  local ks_url=${KEYSTONE_URL:-}
  if [[ -z $ks_url ]]; then
    ks_url=$(bash "$ROOT/test/keystone/keystone.sh" env | sed -n 's/.*KEYSTONE_URL=\([^ ]*\).*/\1/p')
  fi
  [[ -n $ks_url ]] || die "keystone flavor: no KEYSTONE_URL"
  curl -fsS -m 5 -o /dev/null "$ks_url" 2>/dev/null \
    || die "keystone flavor: Keystone does not answer at $ks_url (start test/keystone/keystone.sh first)"
  local base=${ks_url%/v3}
  cat <<EOF

[keystone_authtoken]
www_authenticate_uri = $base
auth_url = $base
auth_type = password
username = ${GLANCE_SERVICE_USER:-glance}
password = ${GLANCE_SERVICE_PASSWORD:-glance-secret}
project_name = ${GLANCE_SERVICE_PROJECT:-service}
user_domain_name = Default
project_domain_name = Default
interface = public
EOF
}

write_conf() {
  mkdir -p "$STATE/images" "$STATE/staging" && chmod 700 "$STATE"
  local pipeline_flavor=keystone
  [[ $FLAVOR == noauth ]] && pipeline_flavor=trusted
  {
    sed "s|/etc/glance/healthcheck_disable|$STATE/healthcheck_disable|" /etc/glance/glance-api-paste.ini
    cat <<'EOF'

# glance.sh noauth flavor: the keystone pipeline with auth_token replaced by trusted_headers.py
[pipeline:glance-api-trusted]
pipeline = cors healthcheck http_proxy_to_wsgi versionnegotiation osprofiler trustedheaders context rootapp

[filter:trustedheaders]
paste.filter_factory = trusted_headers:factory
EOF
  } >"$STATE/glance-api-paste.ini.new"
  grep -q '^\[pipeline:glance-api-keystone\]' "$STATE/glance-api-paste.ini.new" \
    || die "/etc/glance/glance-api-paste.ini has no glance-api-keystone pipeline"
  mv "$STATE/glance-api-paste.ini.new" "$STATE/glance-api-paste.ini"
  {
    cat <<EOF
# written by test/glance/glance.sh (flavor $FLAVOR); rewritten on every start
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $PORT
workers = 0
log_file = $STATE/glance-api.log
use_stderr = false
debug = false
enabled_import_methods = [glance-direct,web-download,copy-image]
node_staging_uri = file://$STATE/staging

[database]
connection = sqlite:///$STATE/glance.sqlite

[glance_store]
stores = file,http
default_store = file
filesystem_store_datadir = $STATE/images/

[paste_deploy]
config_file = $STATE/glance-api-paste.ini
flavor = $pipeline_flavor

[oslo_policy]
enforce_new_defaults = False
enforce_scope = False
policy_file = $STATE/policy.yaml

[import_filtering_opts]
allowed_ports = []
allowed_hosts = [$IMPORT_HOSTS]
EOF
    if [[ $FLAVOR == keystone ]]; then keystone_conf; fi
  } >"$CONF.new"
  mv "$CONF.new" "$CONF"
  echo "$FLAVOR $PORT" >"$STATE/running-as"
}

setup_db() {
  [[ -f $STATE/.db_synced ]] && return 0
  log "initializing database in $STATE"
  $PY /usr/bin/glance-manage --config-file "$CONF" db_sync >"$STATE/glance-manage.log" 2>&1 \
    || { tail -30 "$STATE/glance-manage.log" >&2; die "glance-manage db_sync failed"; }
  $PY -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")' "$STATE/glance.sqlite"
  touch "$STATE/.db_synced"
}

serve() {
  if ss -ltnH "sport = :$PORT" 2>/dev/null | grep -q .; then
    die "port $PORT is already in use by something else (set GLANCE_PORT)"
  fi
  rm -f "$PIDFILE"
  # setsid: its own session, so the caller's terminal/process group signals do not reach it.
  (cd "$STATE" && PYTHONPATH="$HERE" exec setsid $PY /usr/bin/glance-api --config-file "$CONF" \
     </dev/null >>"$STATE/glance-api.out" 2>&1) &
  echo $! >"$PIDFILE"
  local i
  for i in $(seq 1 240); do
    answers && return 0
    sleep 0.25
    if ! our_pid >/dev/null; then tail -30 "$STATE/glance-api.out" "$STATE/glance-api.log" >&2 2>/dev/null; die "glance-api died"; fi
  done
  tail -30 "$STATE/glance-api.log" >&2; cmd_stop; die "glance-api did not answer GET $URL/healthcheck within 60s"
}

warm_up_keystone() {
  # keystonemiddleware talks to Keystone once at startup and keeps that connection in its pool;
  # test Keystone's uwsgi (no HTTP keep-alive) has dropped it, so the FIRST token check after a
  # start fails with "Remote end closed connection" and answers 401. One throwaway request with a
  # dummy token lets the pool discard that connection before a real client comes.
  [[ $FLAVOR == keystone ]] || return 0
  local i
  for i in 1 2; do
    curl -sS -m 30 -o /dev/null -H 'X-Auth-Token: glance-sh-warm-up' "$URL/v2/images" 2>/dev/null || true
  done
}

cmd_start() {
  if our_pid >/dev/null && answers && [[ $(cat "$STATE/running-as" 2>/dev/null) == "$FLAVOR $PORT" ]]; then
    log "already running (pid $(our_pid), $FLAVOR) at $URL"; return 0
  fi
  if our_pid >/dev/null; then log "running with another flavor/port or not answering; restarting"; cmd_stop; fi
  if [[ ${GLANCE_RESET:-0} == 1 ]]; then log "GLANCE_RESET=1: wiping $STATE"; rm -rf "$STATE"; fi
  install_pkgs
  disable_system_service
  write_conf
  setup_db
  serve
  warm_up_keystone
  log "glance-api up at $URL (pid $(our_pid), flavor $FLAVOR)"
}

cmd_stop() {
  local pid
  if ! pid=$(our_pid); then log "not running"; rm -f "$PIDFILE"; return 0; fi
  local kids; kids=$(pgrep -P "$pid" || true)
  kill -TERM "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  for k in $kids; do  # children of OUR process only
    kill -0 "$k" 2>/dev/null && kill -KILL "$k" 2>/dev/null || true
  done
  rm -f "$PIDFILE"
  log "stopped (pid $pid${kids:+, children $(echo $kids)})"
}

cmd_env() {
  echo "export GLANCE_URL=$URL GLANCE_PORT=$PORT GLANCE_STATE=$STATE GLANCE_FLAVOR=$FLAVOR"
  echo "export GLANCE_IMAGES_DIR=$STATE/images GLANCE_DB=$STATE/glance.sqlite"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) if pid=$(our_pid) && answers; then echo "running pid $pid $URL $(cat "$STATE/running-as" 2>/dev/null)"; else echo "not running"; exit 1; fi ;;
  env) cmd_env ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
