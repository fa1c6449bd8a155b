#!/bin/sh
# GREEN comes online and passes its health checks: green-health.sh [CHECKS] (default 3).
set -eu
here=$(dirname "$0")
n=${1:-3}
i=1
while [ "$i" -le "$n" ]; do
    printf 'green health check %s/%s: ' "$i" "$n"
    body=$("$here/../demo/ctl.sh" GET /api/health/green) || { echo "GREEN failing"; exit 1; }
    echo "$body"
    case $body in *'"healthy"'*) ;; *) echo "GREEN not healthy"; exit 1 ;; esac
    i=$((i + 1))
    sleep 0.5
done
echo "✅ GREEN health check PASS"
