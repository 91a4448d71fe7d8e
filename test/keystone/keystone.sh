#!/usr/bin/env bash
# Run a REAL Keystone (Debian bookworm packages) on 127.0.0.1 for glance-gateway's
# identity tests.  Usage: keystone.sh start|stop|status|env
#
#   start   install packages if missing, create state dir/config/db, serve keystone
#           with uwsgi (1 process, 1 thread), bootstrap users/projects/roles. Idempotent.
#   stop    kill exactly the uwsgi processes recorded in the pidfile of the state dir.
#   status  exit 0 if our keystone is running and answers GET /v3.
#   env     print shell exports (eval "$(test/keystone/keystone.sh env)").
#
# Tunables (environment): KEYSTONE_STATE, KEYSTONE_PORT, KEYSTONE_ADMIN_PASSWORD,
# GLANCE_SERVICE_PASSWORD, KEYSTONE_USER_PASSWORD (alice/bob/rita), KEYSTONE_RESET=1
# (wipe the state dir on start when not running), KEYSTONE_TOKEN_EXPIRATION (seconds, default
# 3600; `start` restarts a running keystone whose expiration differs).
set -euo pipefail

STATE=${KEYSTONE_STATE:-/tmp/gg-keystone}
PORT=${KEYSTONE_PORT:-35357}   # deliberately not 5000 (Debian's own keystone service port)
ADMIN_PASSWORD=${KEYSTONE_ADMIN_PASSWORD:-admin-secret}
GLANCE_PASSWORD=${GLANCE_SERVICE_PASSWORD:-glance-secret}
USER_PASSWORD=${KEYSTONE_USER_PASSWORD:-user-secret}
REGION=${KEYSTONE_REGION:-RegionOne}
URL="http://127.0.0.1:${PORT}/v3"
PY=/usr/bin/python3            # Debian's python (has the keystone modules), not pyenv's
PIDFILE="$STATE/uwsgi.pid"
TOKEN_EXPIRATION=${KEYSTONE_TOKEN_EXPIRATION:-3600}
PKGS=(keystone uwsgi uwsgi-plugin-python3)

log() { echo "[keystone.sh] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

answers() { curl -fsS -m 3 -o /dev/null "$URL" 2>/dev/null; }

our_pid() {  # prints master pid if the pidfile names a live uwsgi process of ours
  [[ -s $PIDFILE ]] || return 1
  local pid; pid=$(tr -dc 0-9 <"$PIDFILE")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  # guard against pid reuse: the process must be uwsgi and use our state dir
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$STATE" || return 1
  echo "$pid"
}

install_pkgs() {
  local missing=()
  for p in "${PKGS[@]}"; do
    dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  [[ $(id -u) -eq 0 ]] || die "need root to install: ${missing[*]}"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true
  # Never let the package configure a db / admin / endpoint (defaults are false, be explicit).
  printf '%s\n' \
    'keystone keystone/configure_db boolean false' \
    'keystone keystone/create-admin-tenant boolean false' \
    'keystone keystone/register-endpoint boolean false' | debconf-set-selections
  # Stop maintainer scripts from starting the system keystone service (port 5000).
  # Only create policy-rc.d if there is none (Docker images usually ship one with exit 101).
  local made_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  local rc=0
  apt_install "${missing[@]}" || rc=$?
  if [[ $made_policy -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
  [[ $rc -eq 0 ]] || die "apt-get install failed (log: /tmp/gg-keystone-apt.log)"
  disable_system_service
}

apt_install() {
  if ! apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold "$@" >"/tmp/gg-keystone-apt.log" 2>&1; then
    log "apt-get install failed, trying apt-get update first"
    apt-get update -q >>"/tmp/gg-keystone-apt.log" 2>&1
    apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold "$@" >>"/tmp/gg-keystone-apt.log" 2>&1 \
      || { tail -20 /tmp/gg-keystone-apt.log >&2; return 1; }
  fi
}

disable_system_service() {
  # Whatever policy-rc.d said: make sure Debian's own keystone service (uwsgi on :5000) is neither
  # running nor enabled. The postinst runs `systemctl enable keystone` + `update-rc.d keystone defaults`.
  [[ -e /lib/systemd/system/keystone.service || -x /etc/init.d/keystone ]] || return 0
  if command -v systemctl >/dev/null; then
    if [[ -d /run/systemd/system ]]; then systemctl stop keystone.service >/dev/null 2>&1 || true; fi
    if [[ -e /etc/systemd/system/multi-user.target.wants/keystone.service ]]; then
      systemctl disable keystone.service >/dev/null 2>&1 || rm -f /etc/systemd/system/multi-user.target.wants/keystone.service
    fi
  fi
  if [[ -x /etc/init.d/keystone ]]; then
    # NOT `/etc/init.d/keystone status`: it matches any uwsgi process by name (including ours).
    # The system service records its pid in /run/keystone/*.pid; only then stop it (pidfile-based).
    if compgen -G '/run/keystone/*.pid' >/dev/null; then /etc/init.d/keystone stop >/dev/null 2>&1 || true; fi
    if ls /etc/rc[2-5].d/S*keystone >/dev/null 2>&1; then update-rc.d keystone disable >/dev/null 2>&1 || true; fi
  fi
}

write_conf() {
  mkdir -p "$STATE" && chmod 700 "$STATE"
  cat >"$STATE/keystone.conf" <<EOF
[DEFAULT]
log_file = $STATE/keystone.log
use_stderr = false
debug = false

[database]
connection = sqlite:///$STATE/keystone.db

[token]
provider = fernet
expiration = 3600

[fernet_tokens]
key_repository = $STATE/fernet-keys

[credential]
key_repository = $STATE/credential-keys

[identity]
# cheap bcrypt for tests (minimum allowed is 4)
password_hash_rounds = 4

[oslo_policy]
# no policy file: use keystone's in-code defaults
policy_file = $STATE/policy.yaml
EOF
}

setup_state() {
  [[ -f $STATE/.initialized ]] && return 0
  log "initializing state in $STATE"
  write_conf
  # keystone-manage prints harmless eventlet 'Exception ignored' noise at exit: keep it in a log
  km() { keystone-manage --config-file "$STATE/keystone.conf" "$@" >>"$STATE/keystone-manage.log" 2>&1 \
           || { tail -30 "$STATE/keystone-manage.log" >&2; die "keystone-manage $1 failed"; }; }
  km db_sync
  "$(command -v sqlite3 || true)" "$STATE/keystone.db" 'PRAGMA journal_mode=WAL;' >/dev/null 2>&1 \
    || $PY -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")' "$STATE/keystone.db"
  km fernet_setup --keystone-user root --keystone-group root
  km credential_setup --keystone-user root --keystone-group root
  km bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
    --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
    --bootstrap-service-name keystone --bootstrap-region-id "$REGION" \
    --bootstrap-admin-url "$URL" --bootstrap-public-url "$URL" --bootstrap-internal-url "$URL"
}

serve() {
  local wsgi
  # no grep -m1 here: with pipefail, dpkg -L would die of SIGPIPE
  wsgi=$(dpkg -L keystone python3-keystone 2>/dev/null | grep '/keystone-wsgi-public$' | tail -n1)
  [[ -x $wsgi ]] || die "keystone-wsgi-public not found in dpkg -L keystone python3-keystone"
  if ss -ltnH "sport = :$PORT" 2>/dev/null | grep -q .; then
    die "port $PORT is already in use by something else (set KEYSTONE_PORT)"
  fi
  rm -f "$PIDFILE"
  # 1 process, 1 thread: sqlite wants a single writer. uwsgi's http-socket does not do
  # keep-alive but does not say so either: without `Connection: close` a client (python-requests
  # in keystoneauth) reuses a socket uwsgi already closed and fails with ECONNRESET on a POST.
  uwsgi --plugins-dir /usr/lib/uwsgi/plugins --plugin python3 \
    --http-socket "127.0.0.1:$PORT" --wsgi-file "$wsgi" \
    --master --processes 1 --threads 1 --die-on-term --need-app \
    --buffer-size 65535 \
    --add-header 'Connection: close' \
    --env "OS_KEYSTONE_CONFIG_DIR=$STATE" --env "OS_KEYSTONE_CONFIG_FILES=$STATE/keystone.conf" \
    --chdir "$STATE" \
    --pidfile "$PIDFILE" --daemonize "$STATE/uwsgi.log"
  local i
  for i in $(seq 1 120); do
    answers && return 0
    sleep 0.25
    if (( i > 8 )) && ! our_pid >/dev/null; then tail -30 "$STATE/uwsgi.log" >&2; die "uwsgi died"; fi
  done
  tail -30 "$STATE/uwsgi.log" >&2; die "keystone did not answer GET $URL within 30s"
}

bootstrap_api() {
  [[ -f $STATE/.bootstrapped ]] && return 0
  log "bootstrapping projects/users/roles via the API"
  KS_URL="$URL" ADMIN_PASSWORD="$ADMIN_PASSWORD" GLANCE_PASSWORD="$GLANCE_PASSWORD" \
  USER_PASSWORD="$USER_PASSWORD" OUT="$STATE/ids.env" $PY - <<'EOF'
import json, os, urllib.request, urllib.error
url = os.environ["KS_URL"]

def call(method, path, body=None, token=None, ok=(200, 201, 204)):
    req = urllib.request.Request(url + path, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"X-Auth-Token": token} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            data = r.read()
            return r.status, r.headers, (json.loads(data) if data else None)
    except urllib.error.HTTPError as e:
        if e.code in ok: return e.code, e.headers, None
        raise SystemExit(f"{method} {path} -> {e.code}: {e.read()[:300]!r}")

_, h, _ = call("POST", "/auth/tokens", {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": "admin", "domain": {"id": "default"}, "password": os.environ["ADMIN_PASSWORD"]}}},
    "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
tok = h["X-Subject-Token"]

def ensure(kind, name, extra=None):
    _, _, d = call("GET", f"/{kind}s?name={name}", token=tok)
    if d[f"{kind}s"]: return d[f"{kind}s"][0]["id"]
    body = {"name": name, **(extra or {})}
    _, _, d = call("POST", f"/{kind}s", {kind: body}, token=tok)
    return d[kind]["id"]

def grant(project, user, role):
    call("PUT", f"/projects/{project}/users/{user}/roles/{role}", token=tok)

roles = {r: ensure("role", r) for r in ("admin", "member", "reader", "service")}
dom = {"domain_id": "default"}
projects = {p: ensure("project", p, {**dom, "description": f"gg test project {p}"}) for p in ("service", "alpha", "beta")}
users = {"glance": ensure("user", "glance", {**dom, "password": os.environ["GLANCE_PASSWORD"]})}
for u in ("alice", "bob", "rita"):
    users[u] = ensure("user", u, {**dom, "password": os.environ["USER_PASSWORD"]})
grant(projects["service"], users["glance"], roles["admin"])
grant(projects["service"], users["glance"], roles["service"])
grant(projects["alpha"], users["alice"], roles["member"])
grant(projects["beta"], users["bob"], roles["member"])
grant(projects["alpha"], users["rita"], roles["reader"])
# image service in the catalog (harmless; useful for clients that look it up)
_, _, d = call("GET", "/services?type=image", token=tok)
if not d["services"]:
    call("POST", "/services", {"service": {"type": "image", "name": "glance"}}, token=tok)
with open(os.environ["OUT"], "w") as f:
    for k, v in projects.items(): f.write(f"KEYSTONE_PROJECT_{k.upper()}_ID={v}\n")
    for k, v in users.items(): f.write(f"KEYSTONE_USER_{k.upper()}_ID={v}\n")
EOF
  touch "$STATE/.bootstrapped"
}

current_expiration() { sed -n 's/^expiration = \([0-9]*\)$/\1/p' "$STATE/keystone.conf" 2>/dev/null; }

set_expiration() {  # [token] expiration is the only line of that name in our keystone.conf
  [[ $TOKEN_EXPIRATION =~ ^[0-9]+$ ]] || die "KEYSTONE_TOKEN_EXPIRATION must be a number of seconds"
  sed -i "s/^expiration = .*/expiration = $TOKEN_EXPIRATION/" "$STATE/keystone.conf"
}

cmd_start() {
  if our_pid >/dev/null && answers; then
    if [[ $(current_expiration) == "$TOKEN_EXPIRATION" ]]; then log "already running (pid $(our_pid)) at $URL"; return 0; fi
    log "restarting: token expiration $(current_expiration)s -> ${TOKEN_EXPIRATION}s"
    cmd_stop
  fi
  if pid=$(our_pid); then log "pid $pid alive but not answering; restarting"; cmd_stop; fi
  if [[ ${KEYSTONE_RESET:-0} == 1 ]]; then log "KEYSTONE_RESET=1: wiping $STATE"; rm -rf "$STATE"; fi
  install_pkgs
  disable_system_service
  setup_state
  touch "$STATE/.initialized"
  set_expiration
  serve
  bootstrap_api
  log "keystone up at $URL (pid $(our_pid))"
}

cmd_stop() {
  local pid
  if ! pid=$(our_pid); then log "not running"; rm -f "$PIDFILE"; return 0; fi
  local kids; kids=$(pgrep -P "$pid" || true)
  kill -TERM "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  for k in $kids; do  # workers of OUR master only
    kill -0 "$k" 2>/dev/null && kill -KILL "$k" 2>/dev/null || true
  done
  rm -f "$PIDFILE"
  log "stopped (pid $pid${kids:+, workers $(echo $kids)})"
}

cmd_env() {
  echo "export KEYSTONE_URL=$URL KEYSTONE_PORT=$PORT KEYSTONE_STATE=$STATE KEYSTONE_REGION=$REGION"
  echo "export KEYSTONE_ADMIN_USER=admin KEYSTONE_ADMIN_PASSWORD=$ADMIN_PASSWORD KEYSTONE_ADMIN_PROJECT=admin"
  echo "export GLANCE_SERVICE_USER=glance GLANCE_SERVICE_PASSWORD=$GLANCE_PASSWORD GLANCE_SERVICE_PROJECT=service"
  echo "export KEYSTONE_USER_PASSWORD=$USER_PASSWORD KEYSTONE_USERS='alice:alpha:member bob:beta:member rita:alpha:reader'"
  [[ -f $STATE/ids.env ]] && sed 's/^/export /' "$STATE/ids.env"
  return 0
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) if pid=$(our_pid) && answers; then echo "running pid $pid $URL"; else echo "not running"; exit 1; fi ;;
  env) cmd_env ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
