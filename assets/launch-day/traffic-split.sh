#!/bin/sh
# Stand-in for `kubectl apply -f traffic-split-PCT.yaml` (the Istio VirtualService weights):
# traffic-split.sh PCT sends PCT % to the canary (green on the demo target), then shows the
# weights as `kubectl get virtualservice ... | grep weight` would.
set -eu
here=$(dirname "$0")
pct=${1:?usage: traffic-split.sh PERCENT}
"$here/../demo/ctl.sh" POST "/control/traffic?green=$pct" >/dev/null
sleep 0.5
share=$("$here/../demo/kpi.sh" green_percent)
[ -n "$share" ] || { echo "cannot read the traffic split back"; exit 1; }
echo "weight: canary ${share%.*}, stable $((100 - ${share%.*}))"
[ "${share%.*}" = "$pct" ] || { echo "traffic split not applied"; exit 1; }
