#!/bin/sh
# The Phase 5 stand-ins' one body: stand-in.sh "WHAT" [CHECK]. CHECK is health (the API
# answers), metrics (the metrics page reads), replica (database replica in sync), queue
# (orders queue under 1,000), route (all traffic back on the old version), blue (the old
# version healthy). `--summary` after the name prints the one line readiness verifies.
set -eu
here=$(dirname "$0")
ctl="$here/../demo/ctl.sh"
what=$1
check=${2-}
case ${3-} in --summary) echo "All green"; exit 0 ;; esac
echo "$what"
case $check in
    "") ;;
    health) printf '  API: '; "$ctl" GET /api/health/green; echo ;;
    metrics) "$ctl" GET /metrics >/dev/null && echo "  metrics page: ok" ;;
    replica)
        lag=$("$here/../demo/kpi.sh" replication_lag_s)
        echo "  replica lag: ${lag}s"
        awk -v l="$lag" 'BEGIN { exit !(l < 5) }' || { echo "  replica behind"; exit 1; } ;;
    queue)
        depth=$("$here/../demo/kpi.sh" queue_depth)
        echo "  orders queue: $depth"
        awk -v d="$depth" 'BEGIN { exit !(d < 1000) }' || { echo "  queue backing up"; exit 1; } ;;
    route) "$ctl" POST "/control/traffic?green=0" >/dev/null; echo "  traffic: 100% Phase 4" ;;
    blue) printf '  Phase 4: '; "$ctl" GET /api/health/blue; echo ;;
    *) echo "unknown check $check"; exit 2 ;;
esac
