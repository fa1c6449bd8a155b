#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/activate-phase5-framework.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Phase 5 framework marked LIVE" health
