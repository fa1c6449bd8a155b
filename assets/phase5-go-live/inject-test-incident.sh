#!/bin/sh
# Rehearsal stand-in for ./scripts/inject-test-incident.sh: a test incident in the new
# version (the demo target's fault); the API health check fails until it is resolved.
set -eu
"$(dirname "$0")/../demo/ctl.sh" POST /control/fault >/dev/null
echo "Test incident injected: expect the L2 escalation within 3 minutes"
