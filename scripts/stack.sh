#!/usr/bin/env bash
# The local hostflow stack.
#
#   scripts/stack.sh up       start what is not running (idempotent), write .hostflow/openrc
#   scripts/stack.sh down     stop what this script started, in reverse order
#   scripts/stack.sh status   one line per service: name, pid, up/down
#
# Pid files: .hostflow/run/<service>.pid   logs: .hostflow/log/<service>.log
# A service is running when its pid file names a live process whose
# /proc/<pid>/cmdline matches the service (so a reused pid is not mistaken for
# it). Services are stopped by their own pid (and process group), never by name.
#
# Settings are HOSTFLOW_* environment variables; the defaults below are used for
# the ones not set. Each service gets them without the secrets its role has no use
# for (withheld_vars): hypervisor workers, for one, get no database URL.
#
# To add a service: add a line to SERVICES and define start_<name> and
# ready_<name> (and skip_<name> if it may be absent); '-' in a name becomes '_'
# in function names. See "services" below.
#
# The service functions are called by name (start_$fn ...), which shellcheck
# cannot see:
# shellcheck disable=SC2317,SC2329
set -euo pipefail
# What this script and the services it starts create is not readable by others
# (files 0640, directories 0750); see restrict_state_modes for what exists already.
# The libvirt daemons keep their own (start_daemon).
umask 027

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
SWIFT_VENV="$REPO/.venv-swift" # Swift (and eventlet) live apart from the project
RUN_DIR="$REPO/.hostflow/run"
LOG_DIR="$REPO/.hostflow/log"
OPENRC="$REPO/.hostflow/openrc"

# ---------------------------------------------------------------- settings --
export HOSTFLOW_STATE_DIR="${HOSTFLOW_STATE_DIR:-/var/lib/hostflow}"
export HOSTFLOW_DATABASE_URL="${HOSTFLOW_DATABASE_URL:-sqlite:///$HOSTFLOW_STATE_DIR/hostflow.db}"
export HOSTFLOW_REDIS_URL="${HOSTFLOW_REDIS_URL:-redis://127.0.0.1:6390/0}"
# Our Redis always has its users (write_redis_acl): credentials in the URL (an
# openrc sourced before) are dropped here and each service gets its own.
REDIS_URL_BARE="${HOSTFLOW_REDIS_URL#redis://}"
REDIS_URL_BARE="redis://${REDIS_URL_BARE#*@}"
export HOSTFLOW_PREFECT_API_URL="${HOSTFLOW_PREFECT_API_URL:-http://127.0.0.1:4200/api}"
export HOSTFLOW_PREFECT_UI_URL="${HOSTFLOW_PREFECT_UI_URL:-${HOSTFLOW_PREFECT_API_URL%/api}}"
export HOSTFLOW_VIRT_TYPE="${HOSTFLOW_VIRT_TYPE:-qemu}" # KVM guests hang on this machine
export HOSTFLOW_LIBVIRT_URI="${HOSTFLOW_LIBVIRT_URI:-qemu:///system}"
export HOSTFLOW_API_URL="${HOSTFLOW_API_URL:-http://127.0.0.1:8770}"
# Object storage: the local Swift's S3 API (tempauth user test:tester).
export HOSTFLOW_S3_ENDPOINT="${HOSTFLOW_S3_ENDPOINT:-http://127.0.0.1:8780}"
export HOSTFLOW_S3_ACCESS_KEY="${HOSTFLOW_S3_ACCESS_KEY:-test:tester}"
export HOSTFLOW_S3_SECRET_KEY="${HOSTFLOW_S3_SECRET_KEY:-testing}"
export HOSTFLOW_S3_REGION="${HOSTFLOW_S3_REGION:-us-east-1}"
# The hypervisor workers' own S3 user: it reads images and writes snapshots and backups
# only (docs/operations.md#object-storage-users). With the local Swift: tempauth user
# test:node, its key made once; with another S3, set both to that S3's user for nodes.
S3_NODE_ACCESS_KEY="${HOSTFLOW_S3_NODE_ACCESS_KEY:-test:node}"
S3_NODE_SECRET_KEY="${HOSTFLOW_S3_NODE_SECRET_KEY:-}"
# The Swift all-in-one behind it (scripts/swift_config.py reads these).
export HOSTFLOW_SWIFT_MEMCACHE="${HOSTFLOW_SWIFT_MEMCACHE:-127.0.0.1:11222}"
export HOSTFLOW_SWIFT_ACCOUNT_PORT="${HOSTFLOW_SWIFT_ACCOUNT_PORT:-8781}"
export HOSTFLOW_SWIFT_CONTAINER_PORT="${HOSTFLOW_SWIFT_CONTAINER_PORT:-8782}"
export HOSTFLOW_SWIFT_OBJECT_PORT="${HOSTFLOW_SWIFT_OBJECT_PORT:-8783}"
# DNS: the local BIND (scripts/bind_config.py writes its config under the state dir).
export HOSTFLOW_DNS_ZONE="${HOSTFLOW_DNS_ZONE:-cloud.internal}"
export HOSTFLOW_VM_SUBNET="${HOSTFLOW_VM_SUBNET:-10.213.0.0/24}"
export HOSTFLOW_VM_GATEWAY="${HOSTFLOW_VM_GATEWAY:-10.213.0.1}"
export HOSTFLOW_VM_BRIDGE="${HOSTFLOW_VM_BRIDGE:-hfbr-vm}"
# The gateway namespace (gateway-ns) holds the gateway address on the VM bridge and
# serves the phone-home endpoint there.
GATEWAY_NS="${HOSTFLOW_GATEWAY_NS:-hf-gw}"
export HOSTFLOW_PHONE_HOME_URL="${HOSTFLOW_PHONE_HOME_URL:-http://$HOSTFLOW_VM_GATEWAY:8775}"
export HOSTFLOW_ENV_TRAFFIC_CLASSES="${HOSTFLOW_ENV_TRAFFIC_CLASSES:-e2enet=vm,storage}" # env e2enet: tests/e2e/test_networks.py
# Approvals: allocations in env prod, or of more than 4 vCPUs, wait for an admin's yes.
export HOSTFLOW_APPROVAL_ENVS="${HOSTFLOW_APPROVAL_ENVS:-prod}"
export HOSTFLOW_APPROVAL_MAX_VCPUS="${HOSTFLOW_APPROVAL_MAX_VCPUS:-4}"
# The Prefect UI's resume form answers as `prefect-ui`, a listed approver (Prefect has one shared login).
export HOSTFLOW_APPROVERS="${HOSTFLOW_APPROVERS:-prefect-ui}"
export HOSTFLOW_PREFECT_UI_IDENTITY="${HOSTFLOW_PREFECT_UI_IDENTITY:-prefect-ui}"
# Runs started in the Prefect UI act in these projects only (the e2e tests' runs: default).
export HOSTFLOW_PREFECT_UI_PROJECTS="${HOSTFLOW_PREFECT_UI_PROJECTS:-default}"
# Chat response_urls: the tests' stand-ins listen on loopback over http.
export HOSTFLOW_CHAT_RESPONSE_LOOPBACK="${HOSTFLOW_CHAT_RESPONSE_LOOPBACK:-1}"
export HOSTFLOW_DNS_SERVER="${HOSTFLOW_DNS_SERVER:-127.0.0.1}"
export HOSTFLOW_DNS_PORT="${HOSTFLOW_DNS_PORT:-5353}"
export HOSTFLOW_DNS_KEY_NAME="${HOSTFLOW_DNS_KEY_NAME:-hostflow}"
# Every process talks to the stack's Prefect server, never an ephemeral one.
export PREFECT_API_URL="$HOSTFLOW_PREFECT_API_URL"
export PREFECT_SERVER_EPHEMERAL_ENABLED=false
export PREFECT_HOME="$HOSTFLOW_STATE_DIR/prefect"
export PREFECT_SERVER_ANALYTICS_ENABLED=false # no internet here

ADMIN_TOKEN_FILE="$HOSTFLOW_STATE_DIR/admin-token"
WEBHOOK_SECRET_FILE="$HOSTFLOW_STATE_DIR/webhook-secret-generic"

# The generic webhook source's HMAC secret: made once, kept in the state dir.
if [[ ! -s "$WEBHOOK_SECRET_FILE" ]]; then
  mkdir -p "$HOSTFLOW_STATE_DIR"
  (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$WEBHOOK_SECRET_FILE")
fi
HOSTFLOW_WEBHOOK_SECRET_GENERIC="$(<"$WEBHOOK_SECRET_FILE")"
export HOSTFLOW_WEBHOOK_SECRET_GENERIC

# Ticketing systems: where operations' results are reported. The defaults are the
# loopback stand-ins the tests start (tests/standins.py); point them at the real ones.
export HOSTFLOW_JIRA_URL="${HOSTFLOW_JIRA_URL:-http://127.0.0.1:8791}"
export HOSTFLOW_JIRA_USER="${HOSTFLOW_JIRA_USER:-hostflow}"
export HOSTFLOW_SERVICENOW_URL="${HOSTFLOW_SERVICENOW_URL:-http://127.0.0.1:8792}"
export HOSTFLOW_SERVICENOW_USER="${HOSTFLOW_SERVICENOW_USER:-hostflow}"
export HOSTFLOW_WEBHOOK_AUTH_SERVICENOW="${HOSTFLOW_WEBHOOK_AUTH_SERVICENOW:-basic}"

# VAR FILE [PREFIX]: VAR from the environment, else PREFIX and a secret made once in
# the state dir's FILE.
state_secret() {
  local var="$1" file="$HOSTFLOW_STATE_DIR/$2" prefix="${3:-}"
  if [[ -z "${!var:-}" ]]; then
    if [[ ! -s "$file" ]]; then
      mkdir -p "$HOSTFLOW_STATE_DIR"
      (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$file")
    fi
    printf -v "$var" '%s%s' "$prefix" "$(<"$file")"
  fi
  export "${var?}"
}
state_secret HOSTFLOW_WEBHOOK_SECRET_JIRA webhook-secret-jira
state_secret HOSTFLOW_WEBHOOK_SECRET_SERVICENOW webhook-secret-servicenow servicenow: # basic: user:password
state_secret HOSTFLOW_JIRA_API_TOKEN jira-api-token
state_secret HOSTFLOW_SERVICENOW_PASSWORD servicenow-password
state_secret HOSTFLOW_SLACK_SIGNING_SECRET slack-signing-secret
state_secret HOSTFLOW_MATTERMOST_TOKEN mattermost-token
state_secret HOSTFLOW_UI_SESSION_SECRET ui-session-secret
# Chat users -> role and projects; the default links the tests' users (tests/e2e/test_chat.py).
# (the default is a variable: a literal `}` inside ${VAR:-...} would end the expansion there)
CHAT_USERS_DEFAULT='{"slack:UE2EOPS": {"role": "operator", "projects": ["default"]}, "mattermost:e2e-ops": {"role": "operator", "projects": ["default"]}}'
export HOSTFLOW_CHAT_USERS="${HOSTFLOW_CHAT_USERS:-$CHAT_USERS_DEFAULT}"
BIND_DIR="$HOSTFLOW_STATE_DIR/bind"
DNS_SECRET_FILE="$BIND_DIR/hostflow.tsig" # made once by scripts/bind_config.py
HOSTFLOW_DNS_TSIG_SECRET="" # the stack's named has its own key: the file's secret wins
export_dns_secret() {
  [[ -r "$DNS_SECRET_FILE" ]] || return 0
  HOSTFLOW_DNS_TSIG_SECRET="$(<"$DNS_SECRET_FILE")"
  export HOSTFLOW_DNS_TSIG_SECRET
}
export_dns_secret
# Redis users, one per role (write_redis_acl): their passwords are made once, one
# file each in REDIS_AUTH_DIR (0700, files 0600); the ACL file holds their SHA-256.
REDIS_AUTH_DIR="$HOSTFLOW_STATE_DIR/redis-auth"
REDIS_ACL_FILE="$HOSTFLOW_STATE_DIR/redis/users.acl"
HV_NODES=(hv1 hv2) # the simulated hypervisors: worker-hv1, worker-hv2
# a random secret, made once in FILE (its directory 0700, the file 0600)
secret_in() {
  if [[ ! -s "$1" ]]; then
    (umask 077 && mkdir -p "$(dirname "$1")" && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$1")
  fi
  printf '%s' "$(<"$1")"
}
redis_password() { secret_in "$REDIS_AUTH_DIR/$1"; }
# redis://USER:PASSWORD@host:port/db for the stack's Redis
redis_url_for() { printf 'redis://%s:%s@%s' "$1" "$(redis_password "$1")" "${REDIS_URL_BARE#redis://}"; }
HOSTFLOW_REDIS_URL="$(redis_url_for admin)" # this script, the once steps, openrc
[[ -n "$S3_NODE_SECRET_KEY" ]] || S3_NODE_SECRET_KEY="$(secret_in "$HOSTFLOW_STATE_DIR/s3-auth/node")"
# The Prefect server asks every caller for its basic-auth string (user:password, made
# once, like the Redis passwords): the server gets PREFECT_SERVER_API_AUTH_STRING, the
# hostflow processes and openrc PREFECT_API_AUTH_STRING (the Prefect client sends it);
# the UI asks for it at its login prompt. Unauthenticated: only GET /api/health.
export PREFECT_API_AUTH_STRING="hostflow:$(secret_in "$HOSTFLOW_STATE_DIR/prefect-auth/hostflow")"
TEST_IMAGE_DIR="$HOSTFLOW_STATE_DIR/images/test"
STOP_TIMEOUT="${HOSTFLOW_STACK_STOP_TIMEOUT:-10}" # seconds between SIGTERM and SIGKILL
SETTLE="${HOSTFLOW_STACK_SETTLE:-3}"              # a new process must live this long
LOG_TAIL=30

# "host port" of a URL such as redis://127.0.0.1:6390/0 or http://h:4200/api
url_host_port() {
  local rest="${1#*://}"
  rest="${rest%%/*}"
  rest="${rest##*@}"
  printf '%s %s\n' "${rest%:*}" "${rest##*:}"
}
read -r REDIS_HOST REDIS_PORT < <(url_host_port "$HOSTFLOW_REDIS_URL")
read -r PREFECT_HOST PREFECT_PORT < <(url_host_port "$HOSTFLOW_PREFECT_API_URL")
read -r API_HOST API_PORT < <(url_host_port "$HOSTFLOW_API_URL")
read -r _ HOSTFLOW_SWIFT_PROXY_PORT < <(url_host_port "$HOSTFLOW_S3_ENDPOINT")
export HOSTFLOW_SWIFT_PROXY_PORT
read -r MEMCACHED_HOST MEMCACHED_PORT <<<"${HOSTFLOW_SWIFT_MEMCACHE/:/ }"
SWIFT_ETC="$HOSTFLOW_STATE_DIR/swift/etc"

# ---------------------------------------------------------------- services --
# One line per service, in start order; 'down' goes through it backwards.
#   name  kind  match  timeout
# kind:    libvirt  reuse a daemon that already runs (then never stop it), else
#                   start our own; the daemon writes our pid file itself
#          bg       a background process of ours, in its own process group;
#                   ready before the next service starts
#          bg-par   like bg, but consecutive bg-par services start together and
#                   are then waited for together
#          once     a one-shot command run on every 'up' (must be idempotent)
# match:   extended regexp that /proc/<pid>/cmdline must match ('-' for once)
# timeout: seconds to wait for ready_<name> ('-' for once)
#
# Functions per service ('-' in the name becomes '_'):
#   start_<name>          start it (spawn/spawn_py/start_daemon/run_once)
#   ready_<name> PID      succeed once it answers
#   skip_<name>           optional: print a reason and succeed to skip it
#   external_<name>       kind libvirt: succeed when one not ours is running
SERVICES=(
  "virtlogd         libvirt  virtlogd                  30"
  "libvirtd         libvirt  libvirtd                  60"
  "redis            bg       redis-server              30"
  "prefect          bg       prefect|uvicorn           90"
  # Object storage (S3) first: register-images uploads to it.
  "memcached        bg       memcached                 30"
  "swift-config     once     -                         -"
  "swift-account    bg-par   swift-account-server      30"
  "swift-container  bg-par   swift-container-server    30"
  "swift-object     bg-par   swift-object-server       30"
  "swift-proxy      bg       swift-proxy-server        30"
  "swift-updater    bg       swift_daemon[.]py          30"
  "swift-expirer    bg       swift_daemon[.]py          30"
  "s3-buckets       once     -                         -"
  "bind-config      once     -                         -"
  "named            bg       named                     30"
  "migrate          once     -                         -"
  "admin-token      once     -                         -"
  "register-images  once     -                         -"
  "api              bg       gunicorn                  60"
  "worker-flows     bg-par   workers[.]process|rq:worker  60"
  "worker-flows2    bg-par   workers[.]process|rq:worker  60"
  "worker-control   bg-par   workers[.]process|rq:worker  60"
  "worker-hv1       bg-par   workers[.]process|rq:worker  60"
  "worker-hv2       bg-par   workers[.]process|rq:worker  60"
  # The VM network's gateway, as a router namespace would hold it: guests phone home
  # to it, and the e2e tests reach guests from it.
  "gateway-ns       once     -                         -"
  "phone-home       bg       workers[.]phone_home      30"
  "deployments      bg       workers[.]deployments[.]serve  90"
)

# Whether libvirtd answers. "virsh version" would do, but on this machine it
# costs 4-8 s (libvirtd re-probes QEMU for every capabilities query) while
# "virsh uri" needs the same connection to the daemon and takes 10 ms.
virsh_ok() { virsh -c "$HOSTFLOW_LIBVIRT_URI" uri >/dev/null 2>&1; }

# virtlogd: libvirtd's QEMU driver needs it for guest console logs.
external_virtlogd() { any_process_named virtlogd; }
start_virtlogd() { start_daemon virtlogd virtlogd -d -p "$(pid_file virtlogd)"; }
ready_virtlogd() { [[ -n "$(live_pid virtlogd virtlogd)" ]]; }

external_libvirtd() { virsh_ok; }
start_libvirtd() { start_daemon libvirtd libvirtd -d -p "$(pid_file libvirtd)"; }
ready_libvirtd() { virsh_ok; }

start_redis() {
  mkdir -p "$HOSTFLOW_STATE_DIR/redis"
  write_redis_acl || true
  spawn redis redis-server --bind "$REDIS_HOST" --port "$REDIS_PORT" \
    --appendonly yes --maxmemory-policy noeviction --aclfile "$REDIS_ACL_FILE" \
    --dir "$HOSTFLOW_STATE_DIR/redis" --daemonize no
}
# Users (docs/operations.md#redis-users): the default user has a password nobody is
# given (a connection without credentials gets NOAUTH); admin (this script, openrc: operators and tests); api,
# flows, control: every key, no admin commands; node-<node>: its own queue, its
# registries and worker keys, push-only to control, the job, result and execution
# keys of its own jobs (ids `<node>__...`: infra/queue.py node_job_id), its
# consoles' session keys, and read-only the operations' fences.
redis_acl_node() {
  local node="$1" q="hv.$1" r
  printf '~rq:queue:%s ~rq:queue:%s:* ' "$q" "$q"
  for r in wip finished failed deferred scheduled canceled clean_registries; do printf '~rq:%s:%s ' "$r" "$q"; done
  printf '%%W~rq:queue:control %%W~rq:queues ~rq:workers ~rq:workers:%s ~rq:worker:hv-%s-* ' "$q" "$node"
  printf '%%R~rq:suspended %%R~rq:groups '
  printf '%%R~hostflow:fence:* ' # whether a job's operation attempt still runs (infra/fencing.py)
  for r in job results executions execution; do printf '~rq:%s:%s__* ' "$r" "$node"; done
  printf '~rq:job::%s__* ' "$node" # RQ 2 spells a job's dependencies key rq:job::<id>:dependencies
  printf '~hostflow:alive:hv-%s-* &rq:pubsub:hv-%s-* ' "$node" "$node"
  printf '~hostflow:console:%s:* ' "$node" # its consoles' sessions (infra/console_relay.py)
  printf '+@all -@admin -@dangerous +info -scan'
}
redis_hash() { redis_password "$1" | sha256sum | cut -d' ' -f1; }
write_redis_acl() {
  local user node
  {
    # Not `off`: Redis 7.0 replays a MULTI/EXEC of its append-only file under the default
    # user's rules and silently drops the transactions they refuse (redis#14541, fixed in
    # later releases), so every RQ pipeline would be lost on a restart. On, with all
    # rights and a password given to nobody: a connection without credentials still
    # gets NOAUTH (a user with a password is never logged in without AUTH).
    printf 'user default on #%s resetkeys resetchannels ~* &* +@all\n' "$(redis_hash default)"
    printf 'user admin on #%s ~* &* +@all\n' "$(redis_hash admin)"
    for user in api flows control; do
      printf 'user %s on #%s ~* &* +@all -@admin\n' "$user" "$(redis_hash "$user")"
    done
    for node in "${HV_NODES[@]}"; do
      printf 'user node-%s on #%s resetkeys resetchannels %s\n' "$node" "$(redis_hash "node-$node")" "$(redis_acl_node "$node")"
    done
  } >"$REDIS_ACL_FILE.tmp"
  chmod 0600 "$REDIS_ACL_FILE.tmp"
  if cmp -s "$REDIS_ACL_FILE.tmp" "$REDIS_ACL_FILE"; then
    rm -f "$REDIS_ACL_FILE.tmp"
    return 1
  fi
  mv "$REDIS_ACL_FILE.tmp" "$REDIS_ACL_FILE"
}
# A Redis left running by an earlier `up` takes the users this version writes, if they
# changed (a reload disconnects the clients of changed users).
running_redis() { if write_redis_acl; then redis_cli ACL LOAD >/dev/null; fi; }
redis_cli() { redis-cli --no-auth-warning -u "$HOSTFLOW_REDIS_URL" "$@"; }
ready_redis() { [[ "$(redis_cli ping 2>/dev/null)" == PONG ]]; }

start_prefect() {
  mkdir -p "$PREFECT_HOME"
  PREFECT_SERVER_API_AUTH_STRING="$PREFECT_API_AUTH_STRING" SPAWN_ROLE=prefect spawn prefect "$VENV/bin/prefect" server start --host "$PREFECT_HOST" --port "$PREFECT_PORT"
}
ready_prefect() { curl -sf --max-time 3 -o /dev/null "$HOSTFLOW_PREFECT_API_URL/health"; }

skip_migrate() { module_missing api.manage; }
start_migrate() { run_once migrate "$VENV/bin/python" -m api.manage migrate; }

skip_admin_token() { module_missing api.manage; }
start_admin_token() {
  run_once admin-token "$VENV/bin/python" -m api.manage ensure-admin-token --file "$ADMIN_TOKEN_FILE"
  [[ ! -f "$ADMIN_TOKEN_FILE" ]] || chmod 0600 "$ADMIN_TOKEN_FILE"
}

skip_register_images() {
  [[ -d "$TEST_IMAGE_DIR" ]] || { echo "no $TEST_IMAGE_DIR (scripts/build-test-image.sh makes it)"; return 0; }
  module_missing api.manage
}
start_register_images() {
  run_once register-images "$VENV/bin/python" -m api.manage register-image-dir "$TEST_IMAGE_DIR"
}

# memcached for Swift (tempauth tokens, account/container info), our own
# instance on its own port: the system one, if any, is left alone.
start_memcached() {
  spawn memcached memcached -l "$MEMCACHED_HOST" -p "$MEMCACHED_PORT" -U 0 -m 64 -u memcache
}
ready_memcached() {
  local reply
  # shellcheck disable=SC2016 # $1 and $2 are the inner bash's arguments
  reply="$(timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "version\r\n" >&3 && head -c 7 <&3' _ \
    "$MEMCACHED_HOST" "$MEMCACHED_PORT" 2>/dev/null)" || return 1
  [[ "$reply" == VERSION ]]
}

# Swift all-in-one: scripts/swift_config.py (re)writes the configs and rings
# under $HOSTFLOW_STATE_DIR/swift/etc (data in .../swift/data); the account,
# container and object servers and the proxy (s3api, tempauth, slo) each run as
# one process (workers = 0), started with -v so they also log to our log file.
swift_absent() {
  [[ -x "$SWIFT_VENV/bin/swift-proxy-server" ]] && return 1
  echo "no $SWIFT_VENV (scripts/setup.sh makes it)"
}
skip_swift_config() { swift_absent; }
start_swift_config() {
  HOSTFLOW_SWIFT_NODE_KEY="$S3_NODE_SECRET_KEY" run_once swift-config "$SWIFT_VENV/bin/python" "$REPO/scripts/swift_config.py"
}
start_swift_server() { PYTHONUNBUFFERED=1 spawn "swift-$1" "$SWIFT_VENV/bin/swift-$1-server" "$SWIFT_ETC/$1-server.conf" -v; }
ready_swift_server() { curl -sf --max-time 3 -o /dev/null "http://127.0.0.1:$1/healthcheck"; }
skip_swift_account() { swift_absent; }
start_swift_account() { start_swift_server account; }
ready_swift_account() { ready_swift_server "$HOSTFLOW_SWIFT_ACCOUNT_PORT"; }
skip_swift_container() { swift_absent; }
start_swift_container() { start_swift_server container; }
ready_swift_container() { ready_swift_server "$HOSTFLOW_SWIFT_CONTAINER_PORT"; }
skip_swift_object() { swift_absent; }
start_swift_object() { start_swift_server object; }
ready_swift_object() { ready_swift_server "$HOSTFLOW_SWIFT_OBJECT_PORT"; }
# The container updater and the object expirer delete the parts of deleted multipart
# objects (scripts/swift_daemon.py).
start_swift_daemon() { PYTHONUNBUFFERED=1 spawn "$1" "$SWIFT_VENV/bin/python" "$REPO/scripts/swift_daemon.py" "$2" "$3" -v; }
skip_swift_updater() { swift_absent; }
start_swift_updater() { start_swift_daemon swift-updater container-updater "$SWIFT_ETC/container-server.conf"; }
ready_swift_updater() { alive "$1"; }
skip_swift_expirer() { swift_absent; }
start_swift_expirer() { start_swift_daemon swift-expirer object-expirer "$SWIFT_ETC/object-expirer.conf"; }
ready_swift_expirer() { alive "$1"; }
skip_swift_proxy() { swift_absent; }
start_swift_proxy() { start_swift_server proxy; }
# Ready when a signed S3 ListBuckets succeeds (s3api, tempauth, memcached and the
# account server all answer); /info first, to spare a Python start while it is down.
ready_swift_proxy() {
  curl -sf --max-time 3 -o /dev/null "$HOSTFLOW_S3_ENDPOINT/info" || return 1
  "$VENV/bin/python" - <<'PY' >/dev/null 2>&1
import os
import boto3
from botocore.config import Config

boto3.client(
    "s3",
    endpoint_url=os.environ["HOSTFLOW_S3_ENDPOINT"],
    aws_access_key_id=os.environ["HOSTFLOW_S3_ACCESS_KEY"],
    aws_secret_access_key=os.environ["HOSTFLOW_S3_SECRET_KEY"],
    region_name=os.environ["HOSTFLOW_S3_REGION"],
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                  connect_timeout=3, read_timeout=5, retries={"max_attempts": 1}),
).list_buckets()
PY
}
# The buckets, and the container ACLs that are the node user's only rights (see there).
skip_s3_buckets() { swift_absent; }
start_s3_buckets() {
  HOSTFLOW_S3_NODE_USER="$S3_NODE_ACCESS_KEY" run_once s3-buckets "$VENV/bin/python" "$REPO/scripts/s3_buckets.py"
}

# BIND 9 for the DNS functions: config, zones and TSIG key under $BIND_DIR (see
# scripts/bind_config.py), in the foreground (-g: logs to stderr, our log file),
# dropping to the bind user; dynamic updates persist in the zones' journals.
start_bind_config() {
  run_once bind-config "$VENV/bin/python" "$REPO/scripts/bind_config.py"
  export_dns_secret
}
start_named() { spawn named /usr/sbin/named -g -u bind -c "$BIND_DIR/named.conf"; }
ready_named() {
  [[ -n "$(dig +short +time=1 +tries=1 -p "$HOSTFLOW_DNS_PORT" "@$HOSTFLOW_DNS_SERVER" SOA "$HOSTFLOW_DNS_ZONE" 2>/dev/null)" ]]
}

skip_api() { module_missing api.app; }
start_api() {
  # --threads: a request waiting on I/O (a dry run's plan job, an image upload streaming,
  # a commit) no longer holds a whole worker process; --timeout: an upload's thread streams
  # for as long as it takes; --keep-alive 0: each answer closes its connection, as the sync
  # workers did (a kept-alive connection the server times out just as a client reuses it
  # fails that client's request with RemoteDisconnected)
  SPAWN_ROLE=api spawn_py api "$VENV/bin/gunicorn" -w 2 --threads 8 --keep-alive 0 --timeout 900 -b "$API_HOST:$API_PORT" --access-logfile - \
    'api.app:create_app()'
}
ready_api() { curl -sf --max-time 3 -o /dev/null "$HOSTFLOW_API_URL/healthz"; }

# The Prefect deployments (workers.deployments.serve): ready once the last one it registers is
# there and not paused (a stopped runner pauses its deployments). Runs started in
# the UI are polled for every second and run in their own process.
skip_deployments() { module_missing workers.deployments.serve; }
start_deployments() { SPAWN_ROLE=flows PREFECT_RUNNER_POLL_FREQUENCY=1 spawn_py deployments "$VENV/bin/python" -m workers.deployments.serve; }
ready_deployments() {
  curl -sf --max-time 3 -u "$PREFECT_API_AUTH_STRING" "$HOSTFLOW_PREFECT_API_URL/deployments/name/detach-share/hostflow" 2>/dev/null |
    grep -Eq '"paused": ?false'
}

# A worker is ready once its liveness key is in Redis (hostflow:alive:<role>-<node>-<pid>,
# a suffix -<n> on a worker it started again: infra/queue.py mark_alive, refreshed
# every second), i.e. after its imports (~4 s here). Not RQ's registration
# (rq:workers): a restart of Redis can expire that while the worker runs on.
skip_worker() { module_missing workers.process; }
start_worker() { SPAWN_ROLE="$3" SPAWN_NODE="${5:-}" spawn_py "$1" "$VENV/bin/python" -m workers.process "${@:2}"; }  # NAME --role ROLE ...
ready_worker() {
  local pattern
  for pattern in "hostflow:alive:*-$1" "hostflow:alive:*-$1-*"; do
    [[ -n "$(redis_cli --raw --scan --pattern "$pattern" 2>/dev/null)" ]] && return 0
  done
  return 1
}
skip_worker_flows() { skip_worker; }
start_worker_flows() { start_worker worker-flows --role flows; }
ready_worker_flows() { ready_worker "$1"; }
# A second flow runner, so one long operation does not hold up the next.
skip_worker_flows2() { skip_worker; }
start_worker_flows2() { start_worker worker-flows2 --role flows; }
ready_worker_flows2() { ready_worker "$1"; }
skip_worker_control() { skip_worker; }
start_worker_control() { start_worker worker-control --role control; }
ready_worker_control() { ready_worker "$1"; }
# The hypervisor workers make the VM bridge when they start; the namespace's veth joins it.
start_gateway_ns() {
  local i prefix="${HOSTFLOW_VM_SUBNET#*/}"
  for ((i = 0; i < 600; i++)); do
    [[ -d "/sys/class/net/$HOSTFLOW_VM_BRIDGE/bridge" ]] && break
    sleep 0.1
  done
  [[ -d "/sys/class/net/$HOSTFLOW_VM_BRIDGE/bridge" ]] || fail gateway-ns "no bridge $HOSTFLOW_VM_BRIDGE after 60 s"
  ip netns list | grep -qw "$GATEWAY_NS" || ip netns add "$GATEWAY_NS"
  if ! ip link show hfgw0 >/dev/null 2>&1; then
    ip -n "$GATEWAY_NS" link del hfgw1 2>/dev/null || true
    ip link add hfgw0 type veth peer name hfgw1 netns "$GATEWAY_NS"
  fi
  ip link set hfgw0 master "$HOSTFLOW_VM_BRIDGE" up
  ip -n "$GATEWAY_NS" addr replace "$HOSTFLOW_VM_GATEWAY/$prefix" dev hfgw1
  ip -n "$GATEWAY_NS" link set hfgw1 up
  ip -n "$GATEWAY_NS" link set lo up
  # Addresses are leased again to new guests with new MACs: an entry for the old MAC is
  # given up after one unicast probe a second later, then ARP asks everyone.
  ip netns exec "$GATEWAY_NS" sysctl -qw net.ipv4.neigh.hfgw1.delay_first_probe_time=1 \
    net.ipv4.neigh.hfgw1.ucast_solicit=1
}
start_phone_home() {
  spawn_py phone-home ip netns exec "$GATEWAY_NS" "$VENV/bin/python" -m workers.phone_home \
    --listen "${HOSTFLOW_PHONE_HOME_URL#http://}" --dir "$HOSTFLOW_STATE_DIR/phone-home"
}
ready_phone_home() { ip netns exec "$GATEWAY_NS" curl -sf --max-time 3 -o /dev/null "$HOSTFLOW_PHONE_HOME_URL/healthz"; }

skip_worker_hv1() { skip_worker; }
start_worker_hv1() { start_worker worker-hv1 --role hv --node hv1; }
ready_worker_hv1() { ready_worker "$1"; }
skip_worker_hv2() { skip_worker; }
start_worker_hv2() { start_worker worker-hv2 --role hv --node hv2; }
ready_worker_hv2() { ready_worker "$1"; }

# ------------------------------------------------------ each role's secrets --
# The variables a service of ROLE is started without (spawn; SPAWN_ROLE=<role>):
#   api      the API (gunicorn): no TSIG secret (its DNS client only queries, for dry
#            runs), no ticketing credentials (the control worker delivers reports)
#   flows    flow runners and the Prefect deployments: neither, nor the inbound
#            webhook, chat and dashboard secrets (only the API checks those)
#   control  the control worker: DNS updates and ticket reports, no inbound secrets
#   hv       hypervisor workers: none of the above, no database URL (they have no
#            database: what they record goes through the control queue) and no
#            PREFECT_* settings (they never load Prefect)
#   prefect  the Prefect server: no hostflow secret (its own auth string, passed to it alone)
#   service  other third-party daemons (Redis, memcached, Swift, named): no hostflow
#            secret, nor the Prefect auth string
withheld_vars() {
  local inbound=() tickets=(HOSTFLOW_JIRA_API_TOKEN HOSTFLOW_SERVICENOW_PASSWORD)
  mapfile -t inbound < <(compgen -e HOSTFLOW_WEBHOOK_SECRET_ || true)
  inbound+=(HOSTFLOW_SLACK_SIGNING_SECRET HOSTFLOW_MATTERMOST_TOKEN HOSTFLOW_UI_SESSION_SECRET)
  case "$1" in
    api) printf '%s\n' "${tickets[@]}" HOSTFLOW_DNS_TSIG_SECRET ;;
    flows) printf '%s\n' "${tickets[@]}" HOSTFLOW_DNS_TSIG_SECRET "${inbound[@]}" ;;
    control) printf '%s\n' "${inbound[@]}" ;;
    hv)
      printf '%s\n' "${tickets[@]}" HOSTFLOW_DNS_TSIG_SECRET "${inbound[@]}" HOSTFLOW_DATABASE_URL
      compgen -e PREFECT_ || true
      ;;
    prefect) printf '%s\n' "${tickets[@]}" HOSTFLOW_DNS_TSIG_SECRET "${inbound[@]}" HOSTFLOW_DATABASE_URL \
      HOSTFLOW_S3_SECRET_KEY ;;
    service) printf '%s\n' "${tickets[@]}" HOSTFLOW_DNS_TSIG_SECRET "${inbound[@]}" HOSTFLOW_DATABASE_URL \
      HOSTFLOW_S3_SECRET_KEY PREFECT_API_AUTH_STRING PREFECT_SERVER_API_AUTH_STRING ;;
    *) die "withheld_vars: unknown role '$1'" ;;
  esac
}

# ----------------------------------------------------------------- helpers --
say() { printf '%s\n' "$*"; }
die() { printf 'stack: ERROR: %s\n' "$*" >&2; exit 1; }

fn_name() { printf '%s' "${1//-/_}"; }
has_fn() { declare -F "$1" >/dev/null; }
pid_file() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }
log_file() { printf '%s/%s.log' "$LOG_DIR" "$1"; }

# Echo a reason and succeed when the Python module has no file in the repo yet.
module_missing() {
  local rel="${1//.//}"
  [[ -f "$REPO/$rel.py" || -d "$REPO/$rel" ]] && return 1
  echo "module $1 not found ($rel.py)"
}

# State letter of a process (R, S, D, Z, ...), empty if there is none. A killed
# orphan stays a zombie until PID 1 reaps it, a few seconds on this machine.
proc_state() {
  local stat=""
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 0
  stat="${stat##*) }"
  printf '%s' "${stat%% *}"
}
alive() {
  local state
  state="$(proc_state "$1")"
  [[ -n "$state" && "$state" != Z ]]
}
cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

# The pid from the service's pid file if that process is alive and is the
# service (cmdline matches); nothing otherwise.
live_pid() {
  local name="$1" match="$2" file pid=""
  file="$(pid_file "$name")"
  [[ -f "$file" ]] || return 0
  read -r pid 2>/dev/null <"$file" || true
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  alive "$pid" || return 0
  [[ "$(cmdline "$pid")" =~ $match ]] || return 0
  printf '%s' "$pid"
}

# A live one: a zombie (one `down` just killed, not yet reaped by PID 1) is not running.
any_process_named() {
  local comm f pid
  for f in /proc/[0-9]*/comm; do
    read -r comm 2>/dev/null <"$f" || continue
    pid="${f#/proc/}"
    [[ "$comm" == "$1" ]] && alive "${pid%/comm}" && return 0
  done
  return 1
}

pgid_of() { ps -o pgid= -p "$1" 2>/dev/null | tr -d ' '; }
group_alive() { ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'; }

log_header() { printf '\n=== %s %s: %s ===\n' "$(date '+%F %T')" "$1" "${*:2}" >>"$(log_file "$1")"; }

# Start a background process of ours in its own session and process group
# (setsid), so that 'down' can stop it with everything it forked.
STARTED=() # "name pid start-time" of what this run started
spawn() {
  local name="$1" pid withheld=() redis_url s3_user=()
  shift
  mapfile -t withheld < <(withheld_vars "${SPAWN_ROLE:-service}")
  case "${SPAWN_ROLE:-service}" in # its own Redis user; third-party daemons get none
    api | flows | control) withheld+=(HOSTFLOW_REDIS_URL) redis_url="$(redis_url_for "$SPAWN_ROLE")" ;;
    hv)
      withheld+=(HOSTFLOW_REDIS_URL) redis_url="$(redis_url_for "node-$SPAWN_NODE")"
      s3_user=("$S3_NODE_ACCESS_KEY" "$S3_NODE_SECRET_KEY")
      ;;
    *) withheld+=(HOSTFLOW_REDIS_URL) redis_url="" ;;
  esac
  log_header "$name" "start $*"
  # the service's environment: ours without what its role has no use for
  (
    cd "$REPO" && unset "${withheld[@]}"
    [[ -z "$redis_url" ]] || export HOSTFLOW_REDIS_URL="$redis_url"
    ((${#s3_user[@]} == 0)) || export HOSTFLOW_S3_ACCESS_KEY="${s3_user[0]}" HOSTFLOW_S3_SECRET_KEY="${s3_user[1]}"
    exec setsid "$@"
  ) </dev/null >>"$(log_file "$name")" 2>&1 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$(pid_file "$name").tmp"
  mv "$(pid_file "$name").tmp" "$(pid_file "$name")"
  STARTED+=("$name $pid ${EPOCHREALTIME/,/.}")
}
# The project's own Python processes also get PYTHONPATH=$REPO.
spawn_py() { PYTHONPATH="$REPO" spawn "$@"; }

# A daemon that forks itself and writes its own pid file (-p).
start_daemon() {
  local name="$1" log
  shift
  log="$(log_file "$name")"
  log_header "$name" "start $*"
  # libvirt daemons log warnings and errors to our log file; they run with the
  # usual umask (they make files for QEMU, which runs as libvirt-qemu).
  (umask 022 && LIBVIRT_LOG_OUTPUTS="3:file:$log" exec "$@") </dev/null >>"$log" 2>&1 9>&-
}

run_once() {
  local name="$1"
  shift
  log_header "$name" "run $*"
  if ! (cd "$REPO" && PYTHONPATH="$REPO" "$@") </dev/null >>"$(log_file "$name")" 2>&1 9>&-; then
    fail "$name" "'$*' failed"
  fi
}

show_log() {
  local log
  log="$(log_file "$1")"
  [[ -f "$log" ]] || return 0
  printf -- '--- last %s lines of %s ---\n' "$LOG_TAIL" "${log#"$REPO"/}" >&2
  tail -n "$LOG_TAIL" "$log" >&2
  printf -- '---\n' >&2
}

# Report a service that did not come up, stop it if it is ours, exit non-zero.
fail() {
  local name="$1" reason="$2" line n kind match
  printf 'stack: %s FAILED: %s\n' "$name" "$reason" >&2
  show_log "$name"
  for line in "${SERVICES[@]}"; do
    read -r n kind match _ <<<"$line"
    if [[ "$n" == "$name" && "$kind" != once ]]; then
      stop_service "$name" "$match" "$kind" >/dev/null
    fi
  done
  die "stack is not up; see $(log_file "$name")"
}

wait_ready() {
  local name="$1" pid="$2" timeout="$3" ready deadline
  ready="ready_$(fn_name "$name")"
  deadline=$((SECONDS + timeout))
  until "$ready" "$pid"; do
    if [[ -n "$pid" ]] && ! alive "$pid"; then
      fail "$name" "process $pid exited"
    fi
    ((SECONDS < deadline)) || fail "$name" "not ready after ${timeout}s"
    sleep 0.25
  done
}

# ------------------------------------------------------------------ up/down --
SKIPPED=()

up_libvirt() {
  local name="$1" match="$2" timeout="$3" pid fn
  fn="$(fn_name "$name")"
  pid="$(live_pid "$name" "$match")"
  if [[ -n "$pid" ]]; then
    wait_ready "$name" "$pid" "$timeout"
    say "  $name: running (pid $pid, ours)"
  elif "external_$fn"; then
    rm -f "$(pid_file "$name")"
    say "  $name: running, not started by this script: left alone"
  else
    rm -f "$(pid_file "$name")"
    "start_$fn" || fail "$name" "$name -d failed"
    pid="$(live_pid "$name" "$match")"
    [[ -n "$pid" ]] || fail "$name" "no live process in $(pid_file "$name")"
    wait_ready "$name" "$pid" "$timeout"
    say "  $name: started (pid $pid)"
  fi
}

# Start a bg service unless it runs; queue it in PENDING to be waited for.
PENDING=() # "name pid timeout start-second state"
up_bg() {
  local name="$1" match="$2" timeout="$3" pid fn reason
  fn="$(fn_name "$name")"
  pid="$(live_pid "$name" "$match")"
  if [[ -n "$pid" ]]; then
    if has_fn "running_$fn"; then "running_$fn"; fi
    PENDING+=("$name $pid $timeout $SECONDS running")
    return
  fi
  rm -f "$(pid_file "$name")"
  if has_fn "skip_$fn" && reason="$("skip_$fn")"; then
    SKIPPED+=("$name: $reason")
    say "  $name: SKIPPED: $reason"
    return
  fi
  "start_$fn"
  read -r pid <"$(pid_file "$name")"
  PENDING+=("$name $pid $timeout $SECONDS started")
}

# Wait for every service in PENDING to be ready, in order.
wait_pending() {
  local entry name pid timeout t0 state
  for entry in "${PENDING[@]}"; do
    read -r name pid timeout t0 state <<<"$entry"
    wait_ready "$name" "$pid" "$timeout"
    if [[ "$state" == started ]]; then
      say "  $name: started (pid $pid, ready after $((SECONDS - t0))s)"
    else
      say "  $name: running (pid $pid)"
    fi
  done
  PENDING=()
}

up_once() {
  local name="$1" fn reason
  fn="$(fn_name "$name")"
  if has_fn "skip_$fn" && reason="$("skip_$fn")"; then
    SKIPPED+=("$name: $reason")
    say "  $name: SKIPPED: $reason"
    return
  fi
  "start_$fn"
  say "  $name: done"
}

# Processes started by this run must still live SETTLE seconds after their
# start: this catches a worker that dies while importing.
settle_check() {
  local entry name pid t0 wait
  for entry in "${STARTED[@]}"; do
    read -r name pid t0 <<<"$entry"
    wait="$(awk -v t0="$t0" -v now="${EPOCHREALTIME/,/.}" -v s="$SETTLE" 'BEGIN { w = t0 + s - now; print (w > 0 ? w : 0) }')"
    sleep "$wait"
    alive "$pid" || fail "$name" "process $pid exited after start"
  done
}

write_openrc() {
  local token="" var
  [[ -r "$ADMIN_TOKEN_FILE" ]] && token="$(<"$ADMIN_TOKEN_FILE")"
  (
    umask 077
    {
      printf '# Written by scripts/stack.sh up: source it to use the local stack.\n'
      printf 'export HOSTFLOW_API_URL=%q\n' "$HOSTFLOW_API_URL"
      if [[ -n "$token" ]]; then
        printf 'export HOSTFLOW_TOKEN=%q\n' "$token"
      else
        printf '# HOSTFLOW_TOKEN: no admin token yet (%s)\n' "$ADMIN_TOKEN_FILE"
      fi
      for var in HOSTFLOW_PREFECT_UI_URL PREFECT_API_URL PREFECT_API_AUTH_STRING HOSTFLOW_REDIS_URL \
        HOSTFLOW_DATABASE_URL HOSTFLOW_STATE_DIR HOSTFLOW_VIRT_TYPE HOSTFLOW_LIBVIRT_URI \
        HOSTFLOW_WEBHOOK_SECRET_GENERIC HOSTFLOW_S3_ENDPOINT HOSTFLOW_S3_ACCESS_KEY \
        HOSTFLOW_S3_SECRET_KEY HOSTFLOW_S3_REGION HOSTFLOW_DNS_ZONE HOSTFLOW_VM_SUBNET \
        HOSTFLOW_DNS_SERVER HOSTFLOW_DNS_PORT HOSTFLOW_DNS_KEY_NAME HOSTFLOW_DNS_TSIG_SECRET \
        HOSTFLOW_ENV_TRAFFIC_CLASSES HOSTFLOW_WEBHOOK_SECRET_JIRA HOSTFLOW_WEBHOOK_SECRET_SERVICENOW \
        HOSTFLOW_WEBHOOK_AUTH_SERVICENOW HOSTFLOW_JIRA_URL HOSTFLOW_JIRA_USER HOSTFLOW_JIRA_API_TOKEN \
        HOSTFLOW_SERVICENOW_URL HOSTFLOW_SERVICENOW_USER HOSTFLOW_SERVICENOW_PASSWORD \
        HOSTFLOW_SLACK_SIGNING_SECRET HOSTFLOW_MATTERMOST_TOKEN HOSTFLOW_CHAT_USERS \
        HOSTFLOW_APPROVAL_ENVS HOSTFLOW_APPROVAL_MAX_VCPUS HOSTFLOW_APPROVERS HOSTFLOW_PREFECT_UI_IDENTITY \
        HOSTFLOW_PREFECT_UI_PROJECTS HOSTFLOW_CHAT_RESPONSE_LOOPBACK; do
        printf 'export %s=%q\n' "$var" "${!var}"
      done
    } >"$OPENRC.tmp"
  )
  chmod 0600 "$OPENRC.tmp"
  mv "$OPENRC.tmp" "$OPENRC"
}

# State files are not readable by others: the state dir is 0751 (others may only
# traverse it: QEMU (libvirt-qemu) to the node roots and share sources, bind to
# bind/, postgres to pg/), everything in it loses g+w and o+rwx, except the paths in
# STATE_OPEN_PATHS, which QEMU must traverse or read:
#   shares/  share sources passed through to guests (9p/virtiofs run as libvirt-qemu)
#   test/    the integration tests' node root (test/nodes/itest)
# The hypervisor storage roots under nodes/ (guest disks, config drives, kernels, console
# logs) are QEMU's group's instead: directories root:$QEMU_GROUP 2750, files 0640
# (functions/node.py make_dir; restrict_node_roots for what an older version made).
# Files made later by the services get umask 027 (above). Run on every 'up', before
# the services start and again after the once steps (configs they rewrote).
STATE_OPEN_PATHS=(nodes shares test) # nodes/: restrict_node_roots
QEMU_GROUP="${HOSTFLOW_QEMU_GROUP:-libvirt-qemu}"
restrict_state_modes() {
  local entry name open
  chmod 0751 "$HOSTFLOW_STATE_DIR"
  for entry in "$HOSTFLOW_STATE_DIR"/* "$HOSTFLOW_STATE_DIR"/.[!.]*; do
    [[ -e "$entry" || -L "$entry" ]] || continue
    [[ -L "$entry" ]] && continue
    name="${entry##*/}"
    for open in "${STATE_OPEN_PATHS[@]}"; do
      [[ "$name" == "$open" ]] && continue 2
    done
    chmod -R g-w,o-rwx "$entry"
  done
  chmod -R g-w,o-rwx "$REPO/.hostflow"
  restrict_node_roots
}
# Without QEMU's group (HOSTFLOW_QEMU_GROUP="" or no such group) nodes/ stays as made (0755).
restrict_node_roots() {
  local nodes="$HOSTFLOW_STATE_DIR/nodes"
  [[ -n "$QEMU_GROUP" ]] && getent group "$QEMU_GROUP" >/dev/null || return 0
  mkdir -p "$nodes"
  chgrp -R "$QEMU_GROUP" "$nodes"
  chmod -R g-w,o-rwx "$nodes"
  find "$nodes" -type d -exec chmod 2750 {} +
}

lock() {
  exec 9>"$RUN_DIR/stack.lock"
  flock -w 300 9 || die "another scripts/stack.sh up/down is running"
}

# /dev/kvm as Debian's udev rule leaves it (root:kvm 0660). Without udev it is
# root-only here; libvirt then finds its cached QEMU capabilities stale ("KVM was
# enabled when probing") and re-probes QEMU on every call: 4-8 s per define/start.
# Guests still run under TCG when HOSTFLOW_VIRT_TYPE=qemu.
kvm_device_access() {
  if [[ -c /dev/kvm ]] && getent group kvm >/dev/null; then
    chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
  fi
}

cmd_up() {
  local line name kind match timeout s
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  mkdir -p "$HOSTFLOW_STATE_DIR"
  lock
  restrict_state_modes
  kvm_device_access
  [[ -x "$VENV/bin/python" ]] || die "no $VENV: run scripts/setup.sh first"
  say "hostflow stack: up"
  for line in "${SERVICES[@]}"; do
    read -r name kind match timeout <<<"$line"
    [[ "$kind" == bg-par ]] || wait_pending
    case "$kind" in
      libvirt) up_libvirt "$name" "$match" "$timeout" ;;
      bg)
        up_bg "$name" "$match" "$timeout"
        wait_pending
        ;;
      bg-par) up_bg "$name" "$match" "$timeout" ;;
      once) up_once "$name" ;;
      *) die "unknown kind '$kind' for $name" ;;
    esac
  done
  wait_pending
  settle_check
  restrict_state_modes
  write_openrc
  say ""
  say "hostflow stack is up"
  say "  API         $HOSTFLOW_API_URL"
  say "  Prefect UI  $HOSTFLOW_PREFECT_UI_URL"
  say "  Redis       $REDIS_URL_BARE (users per role; admin's URL in openrc)"
  say "  database    $HOSTFLOW_DATABASE_URL"
  say "  libvirt     $HOSTFLOW_LIBVIRT_URI (virt type $HOSTFLOW_VIRT_TYPE)"
  say "  S3 (Swift)  $HOSTFLOW_S3_ENDPOINT (access key $HOSTFLOW_S3_ACCESS_KEY, region $HOSTFLOW_S3_REGION)"
  say "  DNS (BIND)  $HOSTFLOW_DNS_SERVER port $HOSTFLOW_DNS_PORT, zone $HOSTFLOW_DNS_ZONE (TSIG key $HOSTFLOW_DNS_KEY_NAME)"
  say "  logs        ${LOG_DIR#"$REPO"/}/<service>.log"
  say "  use it:     source .hostflow/openrc"
  if ((${#SKIPPED[@]})); then
    say ""
    say "WARNING: incomplete stack, skipped:"
    for s in "${SKIPPED[@]}"; do say "  $s"; done
  fi
}

# Stop one service of ours by its pid: SIGTERM, wait STOP_TIMEOUT, SIGKILL.
# A bg service's process group (gunicorn workers, ...) goes with it; a libvirt
# daemon is stopped alone (its guests keep running).
stop_service() {
  local name="$1" match="$2" kind="$3" file pid pgid="" i
  file="$(pid_file "$name")"
  [[ -f "$file" ]] || { say "  $name: not running"; return 0; }
  pid="$(live_pid "$name" "$match")"
  if [[ -z "$pid" ]]; then
    rm -f "$file"
    say "  $name: not running (stale pid file removed)"
    return 0
  fi
  if [[ "$kind" != libvirt && "$(pgid_of "$pid")" == "$pid" ]]; then
    pgid="$pid"
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    say "  $name: no exit ${STOP_TIMEOUT}s after SIGTERM: SIGKILL"
    if [[ -n "$pgid" ]]; then kill -KILL -- "-$pgid" 2>/dev/null || true; else kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  if [[ -n "$pgid" ]] && group_alive "$pgid"; then
    kill -TERM -- "-$pgid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      group_alive "$pgid" || break
      sleep 0.1
    done
    kill -KILL -- "-$pgid" 2>/dev/null || true
  fi
  rm -f "$file"
  say "  $name: stopped (pid $pid)"
}

cmd_down() {
  local i name kind match
  mkdir -p "$RUN_DIR"
  lock
  say "hostflow stack: down"
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
    read -r name kind match _ <<<"${SERVICES[i]}"
    case "$kind" in
      libvirt)
        if [[ -f "$(pid_file "$name")" ]]; then
          stop_service "$name" "$match" libvirt
        else
          say "  $name: not started by this script: left alone"
        fi
        ;;
      bg | bg-par) stop_service "$name" "$match" bg ;;
    esac
  done
  if ip netns list | grep -qw "$GATEWAY_NS"; then
    ip netns del "$GATEWAY_NS"
    say "  gateway-ns: namespace $GATEWAY_NS removed"
  fi
}

cmd_status() {
  local line name kind match pid fn state reason rc=0
  for line in "${SERVICES[@]}"; do
    read -r name kind match _ <<<"$line"
    [[ "$kind" == once ]] && continue
    fn="$(fn_name "$name")"
    pid="$(live_pid "$name" "$match")"
    if [[ -n "$pid" ]]; then
      state=up
    elif [[ "$kind" == libvirt ]] && "external_$fn"; then
      pid=- state="up (not started by this script)"
    elif has_fn "skip_$fn" && reason="$("skip_$fn")"; then
      pid=- state="down (absent: $reason)"
    else
      pid=- state=down rc=3
    fi
    printf '%-16s %-8s %s\n' "$name" "$pid" "$state"
  done
  return "$rc"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) printf 'usage: %s up|down|status\n' "$0" >&2; exit 2 ;;
esac
