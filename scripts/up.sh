#!/usr/bin/env bash
# Quick start (`npm run up`): installs what is missing, starts PostgreSQL and Redis if they are down,
# creates and migrates the database, starts ingress + worker + a demo callback receiver, creates the
# demo operator, pushes one demo order and shows it go through. Stays in the foreground; Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."

export DATABASE_URL="${DATABASE_URL:-postgresql://root@127.0.0.1:5432/topup}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export ADMIN_TOKEN="${ADMIN_TOKEN:-demo-admin-token}"
export CALLBACK_ALLOWED_CIDRS="${CALLBACK_ALLOWED_CIDRS:-127.0.0.1/32}"
export PORT="${PORT:-8088}" ADMIN_PORT="${ADMIN_PORT:-8089}"
# A sandbox instance: orders no route matches go to the built-in simulator (PROTOCOL §10, §11).
export DEFAULT_CHANNEL="${DEFAULT_CHANNEL-simulator}"
export DEMO_UID="${DEMO_UID:-3928857}" DEMO_MD5KEY="${DEMO_MD5KEY:-9f8e7d6c5b4a39281706f5e4d3c2b1a0}"
export DEMO_RECEIVER_PORT="${DEMO_RECEIVER_PORT:-9099}"

bash scripts/ensure-deps.sh
bash scripts/services.sh
npx tsx scripts/create-database.ts
npm run --silent migrate

mkdir -p .demo
# Each service runs in a process group of its own (job control), and a stop signals whole groups:
# npm and sh do not pass a signal on to the node process under them, which would outlive the script.
set -m
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

npx tsx scripts/demo-receiver.ts & pids+=($!)
npm run --silent start:ingress > .demo/ingress.log 2>&1 & pids+=($!)
npm run --silent start:worker > .demo/worker.log 2>&1 & pids+=($!)

for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:${ADMIN_PORT}/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done

created=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:${ADMIN_PORT}/admin/operators" \
  -H "Authorization: Bearer ${ADMIN_TOKEN}" -H 'Content-Type: application/json' \
  -d "{\"name\":\"演示运营商\",\"uid\":\"${DEMO_UID}\",\"md5key\":\"${DEMO_MD5KEY}\",\"rateBp\":9900}")
case "$created" in
  201) echo "demo operator ${DEMO_UID} created" ;;
  409) echo "demo operator ${DEMO_UID} already exists" ;;
  *) echo "could not create the demo operator (HTTP $created); see .demo/ingress.log" >&2; exit 1 ;;
esac

echo "--- pushing a demo order and following it (its callback shows up as [callback]) ---"
npx tsx scripts/demo-order.ts
sleep 1

cat <<MSG

The platform is up:
  operator API  http://127.0.0.1:${PORT}/1/api/oper/{order,balance,query_order}
  admin API     http://127.0.0.1:${ADMIN_PORT}/admin  (Authorization: Bearer ${ADMIN_TOKEN})
  logs          .demo/ingress.log, .demo/worker.log
Push another order (in a second terminal):  npm run demo:order -- 13800000010
Ctrl-C stops everything.
MSG
wait
