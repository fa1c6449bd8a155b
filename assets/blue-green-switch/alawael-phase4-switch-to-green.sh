#!/bin/sh
# THE 5-SECOND SWITCH: DNS + load balancer to GREEN, then the checks at T+1 s and T+5 s.
set -eu
here=$(dirname "$0")
ctl="$here/../demo/ctl.sh"
echo "T-0: EXECUTE SWITCH: load balancer BLUE → GREEN"
"$ctl" POST "/control/traffic?green=100" >/dev/null
sleep 1
share=$("$here/../demo/kpi.sh" green_percent)
echo "T+1s: traffic on GREEN: ${share}%"
[ "${share%.*}" = 100 ] || { echo "traffic is not on GREEN"; exit 1; }
sleep 1
printf 'T+5s: GREEN health: '
"$ctl" GET /api/health/green
echo
echo "Switch complete: GREEN serving 100%"
