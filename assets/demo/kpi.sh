#!/bin/sh
# Prints one number from the demo's JSON metrics: kpi.sh FIELD (a command-type KPI source).
# The first match is the top-level field (the per-version ones come after it).
set -eu
here=$(dirname "$0")
"$here/ctl.sh" GET /api/metrics | grep -o "\"$1\":[-0-9.e]*" | head -n 1 | cut -d: -f2
