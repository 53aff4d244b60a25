#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than package-lock.json, and
# (re)generates the Prisma client when it is missing or older than the schema.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "deps: npm ci"
  npm ci --no-audit --no-fund
fi
# test/scripts/docker-compose.test.ts validates docker-compose.yml with Debian's docker-compose.
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "deps: apt-get install docker-compose"
  $( [ "$(id -u)" -eq 0 ] || echo sudo ) apt-get install -y docker-compose
fi
client=packages/db/src/generated/prisma/client.ts
if [ ! -f "$client" ] || [ prisma/schema.prisma -nt "$client" ]; then
  npm run --silent generate
fi
