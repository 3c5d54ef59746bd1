#!/usr/bin/env bash
# The policy pack (policies/) has its own package.json and lock file, as the
# Pulumi CLI installs it for `pulumi preview --policy-pack policies`. The offline
# plan runs the pack with the project's copies of the same packages, but one
# test starts it the way the CLI does, from its own node_modules: install them
# when they are missing, so `npm test` works on a fresh clone as written.
set -euo pipefail
cd "$(dirname "$0")/../policies"
[ -d node_modules/@pulumi/policy ] && exit 0
echo "ensure-pack-deps: installing the policy pack's dependencies (npm ci in policies/)" >&2
npm ci --no-audit --no-fund >/dev/null
