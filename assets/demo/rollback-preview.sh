#!/bin/sh
# The rollback's dry run: what it would change, read from the service, changing nothing.
set -eu
here=$(dirname "$0")
green=$("$here/ctl.sh" GET /metrics | sed -n 's/^demo_traffic_green_percent[^ ]* //p' | head -n 1)
green=${green:-unknown}
echo "DRY RUN: nothing is changed."
echo "Traffic now: green ${green}%; the rollback would set it to green 0%, blue 100%."
printf 'blue (takes all traffic after it): '
"$here/ctl.sh" GET /api/health/blue
echo
echo "Steps it would run: POST /control/traffic?green=0, then check blue's health."
