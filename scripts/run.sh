#!/usr/bin/env bash
# Builds Zhengwu (release) and serves the portal with demo data at http://127.0.0.1:3000,
# on an SQLite file in ./data (created and migrated on first start). Extra arguments go to
# `zhengwu serve` (e.g. --addr 0.0.0.0:8080, --database-url postgres://…).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release
printf '\033[1m[run]\033[0m %s\n' "starting: target/release/zhengwu serve --demo $*"
exec target/release/zhengwu serve --demo "$@"
