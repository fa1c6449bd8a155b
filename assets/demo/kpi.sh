#!/bin/sh
# Prints one number from the demo's JSON metrics: kpi.sh FIELD (a command-type KPI source).
set -eu
here=$(dirname "$0")
"$here/ctl.sh" GET /api/metrics | sed -n "s/.*\"$1\":\([-0-9.e]*\).*/\1/p"
