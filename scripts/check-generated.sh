#!/usr/bin/env bash
# Fails when packages/protocol/src/gen is not what `npm run generate` makes from proto/ now, or
# when the viewer's zstd WebAssembly (packages/viewer-element/src/gen) is not what
# packages/viewer-element/wasm/build.mjs makes from its sources.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
template=$(cat <<JSON
{"version":"v2","inputs":[{"directory":"."}],"plugins":[{"local":"$PWD/node_modules/.bin/protoc-gen-es","out":"$tmp","opt":["target=ts","import_extension=js"]}]}
JSON
)
(cd proto && ../node_modules/.bin/buf generate --template "$template")
if ! diff -ru packages/protocol/src/gen "$tmp"; then
  echo "packages/protocol/src/gen is stale: run 'npm run generate' and commit the result." >&2
  exit 1
fi
echo "generated code is up to date"
node packages/viewer-element/wasm/build.mjs --check
