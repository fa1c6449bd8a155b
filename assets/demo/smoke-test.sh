#!/bin/sh
# Smoke tests against the live target: smoke-test.sh [VERSION...] (default: blue green).
# Each version named answers healthy, the metrics page reads, and the error rate is under
# the playbooks' 1 % critical line.
set -eu
here=$(dirname "$0")
ctl="$here/ctl.sh"
versions=${*:-blue green}
for v in $versions; do
    printf 'GET /api/health/%s: ' "$v"
    "$ctl" GET "/api/health/$v" || { echo "$v does not answer"; exit 1; }
    echo
done
"$ctl" GET /metrics >/dev/null && echo "GET /metrics: ok"
rate=$("$here/kpi.sh" error_rate_pct)
echo "error rate: ${rate}%"
awk -v r="$rate" 'BEGIN { exit !(r < 1) }' || { echo "error rate at or above 1%"; exit 1; }
echo "✅ Smoke tests passed"
