#!/bin/sh
# Phase 4 starts with BLUE serving 100%: the demo target, staging until now, plays
# production from here, so all its traffic goes back to blue first; then blue must be healthy.
set -eu
here=$(dirname "$0")
"$here/../demo/ctl.sh" POST "/control/traffic?green=0" >/dev/null
printf 'blue: '
"$here/../demo/ctl.sh" GET /api/health/blue
echo
echo "BLUE (v1.0.0 old) serving 100% of traffic"
