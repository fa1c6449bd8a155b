#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/generate-daily-report.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Daily report generated (received by 02:31)" metrics
