#!/bin/sh
# Rollback steps 2 and 3: monitoring shows GREEN → BLUE, traffic on BLUE, blue healthy, and
# (with `errors`) the error rate back under the playbook's 0.1 %.
set -eu
here=$(dirname "$0")
share=$("$here/../demo/kpi.sh" green_percent)
echo "traffic on GREEN: ${share}% (want 0)"
[ "${share%.*}" = 0 ] || { echo "traffic is still on GREEN"; exit 1; }
printf 'BLUE health: '
"$here/../demo/ctl.sh" GET /api/health/blue
echo
if [ "${1-}" = errors ]; then
    sleep 1
    rate=$("$here/../demo/kpi.sh" error_rate_pct)
    echo "error rate: ${rate}% (want < 0.1)"
    awk -v r="$rate" 'BEGIN { exit !(r < 0.1) }' || { echo "error rate not back to normal"; exit 1; }
fi
echo "✅ on BLUE"
