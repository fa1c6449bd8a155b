#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/load-test-2000tps.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Load test at 2,000 TPS" metrics
