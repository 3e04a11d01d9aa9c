#!/usr/bin/env bash
# Install the Debian packages listed in scripts/apt-packages.txt that are not
# installed yet. Runs `apt-get update` once, and only when something is
# missing, so a machine that has everything makes no network request.
#
# Usage: scripts/install-apt-packages.sh [LIST_FILE]
set -euo pipefail

list_file=${1:-$(dirname "${BASH_SOURCE[0]}")/apt-packages.txt}

missing=()
while read -r package _; do
    case $package in
        '' | '#'*) continue ;;
    esac
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done <"$list_file"

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    printf '[apt] ERROR: missing Debian packages %s; install them as root\n' "${missing[*]}" >&2
    exit 1
fi

printf '[apt] Install %s\n' "${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
