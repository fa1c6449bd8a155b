#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/check-memory-stability.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Memory leak check: growth under 100 MB/h" metrics
