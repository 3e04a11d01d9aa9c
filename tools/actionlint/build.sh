#!/usr/bin/env bash
# Build actionlint at the version pinned in this directory's go.mod and print
# the path of the binary.
#
# The binary goes to a cache outside the repository, keyed by the version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/k3s-multicloud/actionlint/<version>/actionlint
# A later run reuses it, so only the first build on a machine pays for the
# download and compile. Override the cache root with K3SMC_TOOLS_CACHE.
set -euo pipefail

module_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$module_dir"

version="$(go list -m -f '{{.Version}}' github.com/rhysd/actionlint)"
cache_root="${K3SMC_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/k3s-multicloud}"
bin_dir="$cache_root/actionlint/$version"
bin="$bin_dir/actionlint"

if [[ -x "$bin" ]]; then
    echo "$bin"
    exit 0
fi

mkdir -p "$bin_dir"
# Build next to the target and rename, so an interrupted build never leaves a
# half-written binary that the check above would accept.
tmp="$(mktemp "$bin_dir/actionlint.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp" github.com/rhysd/actionlint/cmd/actionlint >&2
chmod 0755 "$tmp"
mv -f "$tmp" "$bin"
trap - EXIT

echo "$bin"
