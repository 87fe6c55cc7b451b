#!/usr/bin/env bash
# Builds kube-apiserver once from the Go module proxy, for the tests against a real API server
# (test/support/apiserver.ts). Nothing is vendored: a scratch module requires k8s.io/kubernetes
# and replaces each staging module it requires at v0.0.0 with the matching published v0.x.
# The binary is cached outside the checkout, keyed by version, and so are Go's module and
# build caches (GOMODCACHE, GOCACHE defaults), so later runs and CI on this machine reuse them.
#
#   scripts/build-kube-apiserver.sh            # prints the binary's path on the last line
#   KUBE_VERSION=1.35.4 TENON_CACHE=~/.cache/tenon scripts/build-kube-apiserver.sh
set -euo pipefail

version="${KUBE_VERSION:-1.35.4}"
minor_patch="${version#*.}"                      # 35.4
staging="v0.${minor_patch}"                      # v0.35.4
cache="${TENON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tenon}"
out="$cache/kube-apiserver-v$version"
bin="$out/kube-apiserver"

if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "v$version"; then
  echo "kube-apiserver v$version: cached at $bin"
  echo "$bin"
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "build-kube-apiserver: go is not on PATH" >&2; exit 1; }

start=$(date +%s)
src="$out/src"
rm -rf "$src" && mkdir -p "$src"
cd "$src"

# The staging modules k8s.io/kubernetes requires at v0.0.0 (its own replace block points them
# at ./staging, which a dependency's replace cannot do for us).
gomod=$(go mod download -json "k8s.io/kubernetes@v$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
mapfile -t mods < <(grep -E '^\s+k8s\.io/[A-Za-z0-9._-]+ v0\.0\.0$' "$gomod" | awk '{print $1}')
[ ${#mods[@]} -gt 0 ] || { echo "build-kube-apiserver: no staging modules found in $gomod" >&2; exit 1; }

{
  echo "module tenon.local/kube-apiserver-build"
  echo
  echo "go 1.25.0"
  echo
  echo "require k8s.io/kubernetes v$version"
  echo
  echo "replace ("
  for m in "${mods[@]}"; do echo "	$m => $m $staging"; done
  echo ")"
} > go.mod
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO

echo "kube-apiserver v$version: resolving modules (${#mods[@]} staging modules at $staging)..."
go mod tidy
ldflags=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $p.gitVersion=v$version -X $p.gitMajor=1 -X $p.gitMinor=${minor_patch%%.*}"
  ldflags+=" -X $p.gitTreeState=clean"
done
echo "kube-apiserver v$version: building (first time only; 7-13 minutes on 2 busy cores)..."
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w$ldflags" -o "$bin.tmp" k8s.io/kubernetes/cmd/kube-apiserver
mv "$bin.tmp" "$bin"
"$bin" --version
echo "kube-apiserver v$version: one-time build took $(( $(date +%s) - start )) s"
echo "$bin"
