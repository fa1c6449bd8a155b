#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/verify-phase4-health.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Phase 4 running normally: rollback complete - Phase 4 restored" blue
