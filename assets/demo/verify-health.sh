#!/bin/sh
# Pre-flight: both versions must answer healthy.
set -eu
here=$(dirname "$0")
for v in blue green; do
    printf '%s: ' "$v"
    body=$("$here/ctl.sh" GET "/api/health/$v")
    echo "$body"
    case $body in
        *'"status":"healthy"'*) ;;
        *) echo "$v is not healthy"; exit 1 ;;
    esac
done
echo "All green: ready to deploy."
