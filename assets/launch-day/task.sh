#!/bin/sh
# Rehearsal stand-in for a launch-day task the playbook names but gives no command for:
# task.sh "WHAT IT DOES" [CHECK...]. Prints the task, then each check it makes against the
# demo target: health (both versions), metrics (the page reads), replica (lag under 5 s).
set -eu
here=$(dirname "$0")
ctl="$here/../demo/ctl.sh"
echo "$1"
shift
for check in "$@"; do
    case $check in
        health)
            for v in blue green; do
                printf '  %s health: ' "$v"
                "$ctl" GET "/api/health/$v"
                echo
            done ;;
        metrics) "$ctl" GET /metrics >/dev/null && echo "  metrics page: ok" ;;
        replica)
            lag=$("$here/../demo/kpi.sh" replication_lag_s)
            echo "  replica lag: ${lag}s"
            awk -v l="$lag" 'BEGIN { exit !(l < 5) }' || { echo "  read replica not in sync"; exit 1; } ;;
        *) echo "unknown check $check"; exit 2 ;;
    esac
done
echo "✅ done"
