#!/bin/sh
# Shifts a share of traffic to green, then watches green's health for a few seconds.
set -eu
pct=${1:?usage: shift-traffic.sh PERCENT}
here=$(dirname "$0")
echo "Shifting ${pct}% of traffic to green (step ${WARROOM_STEP:-?})"
"$here/ctl.sh" POST "/control/traffic?green=$pct"
for i in 1 2 3; do
    sleep 1
    printf 'check %s: ' "$i"
    "$here/ctl.sh" GET /api/health/green || { echo "green is not healthy"; exit 1; }
    echo
done
echo "Traffic split now: green ${pct}%, blue $((100 - pct))%"
