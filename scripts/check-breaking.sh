#!/usr/bin/env bash
# Breaking-change check of proto/ against the newest tagged contract (tags `contract-v<semver>`).
# Until the first contract is tagged there is nothing to compare with, and the script says so.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=$(git tag --list 'contract-v*' --sort=-v:refname 2>/dev/null | head -n 1 || true)
if [ -z "$tag" ]; then
  echo "no tagged contract (contract-v*) yet: breaking-change check has nothing to compare against"
  exit 0
fi
(cd proto && ../node_modules/.bin/buf breaking --against "../.git#tag=$tag,subdir=proto")
echo "proto/ has no breaking change against $tag"
