#!/usr/bin/env bash
# Runs a command on Node.js 22 (the Lambda runtime, and what the tests and CI run on), without a
# global install: when the `node` on PATH is older, Node 22 is installed once from the npm
# registry (the `node` package ships the binary) into a cache outside the checkout and put first
# on PATH for the command.
#
#   scripts/with-node22.sh vitest run        # what `npm test` does
#   scripts/with-node22.sh --bin-dir         # prints the directory to put first on PATH
set -euo pipefail

major=22
cache="${TENON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tenon}"
prefix="$cache/node$major"
bin_dir=""

current=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$current" -ge "$major" ]; then
  bin_dir="$(dirname "$(command -v node)")"
elif [ -x "$prefix/node_modules/.bin/node" ]; then
  bin_dir="$prefix/node_modules/.bin"
else
  start=$(date +%s)
  echo "Node $(node --version 2>/dev/null || echo none) on PATH; installing Node $major from the npm registry into $prefix (once)..." >&2
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.node$major.XXXXXX")
  echo '{"private":true}' > "$tmp/package.json"
  npm install --prefix "$tmp" --no-audit --no-fund --no-save --loglevel=error "node@$major" >&2
  "$tmp/node_modules/.bin/node" --version >/dev/null
  # Another run may have finished first: keep theirs.
  mv -T "$tmp" "$prefix" 2>/dev/null || rm -rf "$tmp"
  bin_dir="$prefix/node_modules/.bin"
  echo "Node $("$bin_dir/node" --version) installed in $(( $(date +%s) - start )) s" >&2
fi

if [ "${1:-}" = "--bin-dir" ]; then
  echo "$bin_dir"
  exit 0
fi
export PATH="$bin_dir:$PATH"
exec "$@"
