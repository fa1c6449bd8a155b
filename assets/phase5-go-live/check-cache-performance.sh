#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/check-cache-performance.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Cache performance normal" metrics
