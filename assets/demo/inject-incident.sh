#!/bin/sh
# Rehearsal only: makes green fail (error rate and latency climb over a few seconds).
set -eu
here=$(dirname "$0")
echo "Injecting a test incident into green..."
"$here/ctl.sh" POST /control/fault
echo "Watch the error-rate gauge and the alert feed."
