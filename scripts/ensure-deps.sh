#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than package-lock.json, and
# (re)generates the Prisma client when it is missing or older than the schema.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "deps: npm ci"
  npm ci --no-audit --no-fund
fi
client=packages/db/src/generated/prisma/client.ts
if [ ! -f "$client" ] || [ prisma/schema.prisma -nt "$client" ]; then
  npm run --silent generate
fi
# Debian tools the tests run: docker-compose validates docker-compose.yml; promtool (package
# prometheus) lints the /metrics exposition.
debian_tool() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "deps: apt-get install $2"
  local sudo; sudo=$( [ "$(id -u)" -eq 0 ] || echo sudo )
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "$2" >/dev/null \
    || { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "$2" >/dev/null; }
}
debian_tool docker-compose docker-compose
debian_tool promtool prometheus
