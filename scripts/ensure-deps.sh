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
# prometheus) lints the /metrics exposition; javac, php, go and commons-codec run the signing
# examples of docs/examples/. The first argument is a command, or a file path (with a slash)
# that the package installs.
debian_tool() {
  if [[ "$1" == */* ]]; then [ -e "$1" ] && return 0; else command -v "$1" >/dev/null 2>&1 && return 0; fi
  echo "deps: apt-get install $2"
  local sudo; sudo=$( [ "$(id -u)" -eq 0 ] || echo sudo )
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "$2" >/dev/null \
    || { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "$2" >/dev/null; }
}
debian_tool docker-compose docker-compose
debian_tool promtool prometheus
debian_tool javac default-jdk-headless
debian_tool php php-cli
debian_tool go golang-go
debian_tool /usr/share/java/commons-codec.jar libcommons-codec-java
debian_tool python3 python3
