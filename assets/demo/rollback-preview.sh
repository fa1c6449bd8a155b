#!/bin/sh
# The rollback's dry run: what it would change, read from the service, changing nothing.
# Its last lines are what the rollback modal shows first on a small terminal.
set -eu
here=$(dirname "$0")
green=$("$here/ctl.sh" GET /metrics | sed -n 's/^demo_traffic_green_percent[^ ]* //p' | head -n 1)
blue=$("$here/ctl.sh" GET /api/health/blue | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')
echo "blue now: ${blue:-unknown}"
echo "DRY RUN, nothing changed. The rollback would:"
echo "  POST /control/traffic?green=0   (green ${green:-?}% -> 0%, blue -> 100%)"
echo "  then check blue's health"
