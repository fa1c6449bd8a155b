#!/bin/sh
# Rehearsal stand-in for ./scripts/resolve-test-incident.sh.
set -eu
"$(dirname "$0")/../demo/ctl.sh" DELETE /control/fault >/dev/null
echo "Test incident resolved"
