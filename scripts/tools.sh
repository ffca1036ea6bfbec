#!/usr/bin/env bash
# Installs, idempotently, the tools Zhengwu's build and tests need, saying what it does.
# Every tool comes from a package registry (crates.io, npm, Debian); nothing else is downloaded.
#   scripts/tools.sh build   wasm32 target, wasm-bindgen CLI (= Cargo.lock), wasm-opt
#   scripts/tools.sh test    the above + Chromium, the end2end npm packages, and moto (PyPI;
#                            an independent S3 implementation for the blob-store tests)
#   scripts/tools.sh bench   the build tools + wrk
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m[tools]\033[0m %s\n' "$*"; }

# Pinned tool versions. wasm-bindgen's comes from Cargo.lock: the CLI must match the crate exactly.
BINARYEN_VERSION=132
MOTO_VERSION=5.1.22
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
[ -n "$WASM_BINDGEN_VERSION" ] || { echo "error: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/tools/node_modules/.bin:$PATH"

apt_updated=0
apt_install() {
  local missing=()
  # "install ok installed" only: a removed package whose config files remain also answers dpkg -s.
  for p in "$@"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $apt_updated -eq 0 ]; then say "apt-get update"; apt-get update -qq; apt_updated=1; fi
  say "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build_tools() {
  apt_install brotli
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding Rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  else say "ok: Rust target wasm32-unknown-unknown"; fi

  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION from crates.io (about 4 minutes on 2 cores)"
    # Not --locked: one of its locked dependencies is no longer on the registry.
    cargo install --quiet wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  else say "ok: wasm-bindgen $WASM_BINDGEN_VERSION"; fi

  # binaryen from npm into ./tools (Debian's wasm-opt is far older); kept out of the global prefix.
  if [ "$(wasm-opt --version 2>/dev/null | grep -o 'version [0-9]*' | awk '{print $2}')" != "$BINARYEN_VERSION" ]; then
    say "installing wasm-opt (npm binaryen@$BINARYEN_VERSION) into ./tools"
    mkdir -p tools
    (cd tools && npm install --silent --no-audit --no-fund --no-save "binaryen@$BINARYEN_VERSION" >/dev/null)
  else say "ok: wasm-opt $BINARYEN_VERSION"; fi
}

test_tools() {
  build_tools
  for c in clippy rustfmt; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$c"; then
      say "adding Rust component $c"; rustup component add "$c"
    fi
  done
  apt_install chromium fonts-noto-cjk openssl
  /usr/bin/chromium --version >/dev/null 2>&1 || { echo "error: /usr/bin/chromium does not run after installing" >&2; exit 1; }
  say "ok: $(/usr/bin/chromium --version 2>/dev/null)"
  if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    say "installing end2end npm packages (npm ci; Playwright's own browser download is not used)"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-audit --no-fund >/dev/null)
  else say "ok: end2end npm packages"; fi
  if [ "$(tools/venv/bin/python -c 'import moto; print(moto.__version__)' 2>/dev/null)" != "$MOTO_VERSION" ]; then
    say "installing moto $MOTO_VERSION (S3 server for the tests) into ./tools/venv from PyPI (about 30 s)"
    python3 -m venv tools/venv
    tools/venv/bin/pip install --quiet --disable-pip-version-check "moto[s3,server]==$MOTO_VERSION"
  else say "ok: moto $MOTO_VERSION"; fi
}

case "${1:-build}" in
  build) build_tools ;;
  test) test_tools ;;
  bench) build_tools; apt_install wrk; say "ok: $(wrk --version 2>&1 | head -1)" ;;
  *) echo "usage: scripts/tools.sh build|test|bench" >&2; exit 2 ;;
esac
