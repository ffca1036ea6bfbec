#!/usr/bin/env bash
# Builds Zhengwu without cargo-leptos (see docs/architecture.md, "Build"):
#   1. the WebAssembly islands: cargo (wasm32, hydrate) → wasm-bindgen → wasm-opt
#   2. the site: CSS and public files into target/site, precompressed (br, gzip)
#   3. the server binary: cargo (ssr), debug or release
# usage: scripts/build.sh [release|debug|site]    (default: release; "site" skips the server)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-release}
case "$mode" in release|debug|site) ;; *) echo "usage: scripts/build.sh [release|debug|site]" >&2; exit 2 ;; esac
say() { printf '\033[1m[build]\033[0m %s\n' "$*"; }
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/tools/node_modules/.bin:$PATH"

bash scripts/tools.sh build

SITE=target/site
PKG=$SITE/pkg
WASM=target/wasm32-unknown-unknown/wasm-release/zhengwu.wasm

say "WebAssembly islands: cargo build --target wasm32-unknown-unknown --features hydrate --profile wasm-release"
cargo build --quiet --lib --target wasm32-unknown-unknown --features hydrate --profile wasm-release

rm -rf "$PKG.new" && mkdir -p "$PKG.new"
say "wasm-bindgen → $PKG"
wasm-bindgen --target web --no-typescript --out-dir "$PKG.new" --out-name zhengwu "$WASM"
say "wasm-opt -Oz"
# The features Rust enables by default for wasm32-unknown-unknown; nothing newer.
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-reference-types --enable-multivalue --enable-mutable-globals --strip-debug --strip-producers \
  "$PKG.new/zhengwu_bg.wasm" -o "$PKG.new/zhengwu_bg.wasm"
# One stylesheet: main.css first, then the others in name order.
cat style/main.css $(ls style/*.css | grep -v "/main.css$" | sort) > "$PKG.new/zhengwu.css"
# The island loader goes with the bundle, so it is fingerprinted and cached with it.
cp public/islands.js "$PKG.new/islands.js"

say "precompressing (gzip, brotli)"
for f in "$PKG.new"/*.wasm "$PKG.new"/*.js "$PKG.new"/*.css; do
  gzip -9 -k -f "$f"
  if command -v brotli >/dev/null; then brotli -q 11 -f -o "$f.br" "$f"; fi
done
rm -rf "$PKG" && mv "$PKG.new" "$PKG"
cp -r public/. "$SITE/"

raw=$(stat -c %s "$PKG/zhengwu_bg.wasm")
br=$( [ -f "$PKG/zhengwu_bg.wasm.br" ] && stat -c %s "$PKG/zhengwu_bg.wasm.br" || echo "?")
say "zhengwu_bg.wasm: $raw bytes raw, $br bytes brotli"

case "$mode" in
  release) say "server: cargo build --release --features ssr"; cargo build --quiet --release --bin zhengwu --features ssr ;;
  debug) say "server: cargo build --features ssr"; cargo build --quiet --bin zhengwu --features ssr ;;
  site) ;;
esac
say "done"
