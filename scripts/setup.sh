#!/usr/bin/env bash
# Installs everything the agent and its tests need on Debian 12, as root: the Debian packages
# (haproxy, keepalived, network tools, the reference Octavia libraries for interop tests), npm
# when the machine has none, and the project's npm packages, which include the Node LTS runtime
# every script runs on. Safe to run again: it only installs what is missing.
# Usage: scripts/setup.sh [--image]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(haproxy keepalived iproute2 ipvsadm nftables openssl procps curl python3-octavia)
# --image: also what `npm run image` and `npm run test:vm` need.
[ "${1:-}" = "--image" ] && packages+=(debootstrap qemu-system-x86 qemu-utils e2fsprogs binutils)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian haproxy package starts its own instance; the agent manages haproxy itself.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now haproxy.service keepalived.service >/dev/null 2>&1 || true
fi

# amphora-interface runs the image's masquerade helper for every namespace interface.
if ! cmp -s scripts/octavia-agent-lvs-masquerade /usr/local/bin/octavia-agent-lvs-masquerade; then
  install -D -m 0755 scripts/octavia-agent-lvs-masquerade /usr/local/bin/octavia-agent-lvs-masquerade
fi

if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: ready ($(node_modules/.bin/node --version), $(haproxy -v | head -1))"
