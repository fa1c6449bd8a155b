#!/bin/sh
# The rollback: all traffic back to blue, then confirm blue carries it healthily.
set -eu
here=$(dirname "$0")
echo "ROLLBACK: shifting all traffic back to blue"
"$here/ctl.sh" POST "/control/traffic?green=0"
sleep 1
printf 'blue: '
"$here/ctl.sh" GET /api/health/blue
echo
echo "Rollback complete: 100% blue."
