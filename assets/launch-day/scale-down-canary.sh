#!/bin/sh
# Stand-in for ./scripts/rollback.sh scale-down-canary (kubectl scale ... --replicas=0 for
# every service's canary): the canary must carry no traffic any more.
set -eu
here=$(dirname "$0")
for svc in api-gateway content-service auth-service search-service sona-engine sync-service playback-service mcp-server; do
    echo "deployment.apps/$svc-canary scaled to 0"
done
share=$("$here/../demo/kpi.sh" green_percent)
[ "${share%.*}" = 0 ] || { echo "canary still takes ${share}% of traffic"; exit 1; }
