#!/bin/bash
# Prints one number from the demo's JSON metrics: kpi.sh FIELD (a command-type KPI source).
# One bash process and its own /dev/tcp, no curl, grep or cut: a command KPI runs every
# few seconds all night, and its children's CPU counts as the console's (examples/perf).
set -eu
: "${DEMO_URL:?DEMO_URL is not set: run this through warroom demo or warroom rehearse}"
hostport=${DEMO_URL#http://}
exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}"
printf 'GET /api/metrics HTTP/1.0\r\nHost: demo\r\n\r\n' >&3
IFS= read -r -d '' body <&3 || true
# The first match is the top-level field (the per-version ones come after it).
case $body in
    *"\"$1\":"*) ;;
    *) echo "no field $1 in the demo's metrics" >&2; exit 1 ;;
esac
rest=${body#*\"$1\":}
echo "${rest%%[,\}]*}"
