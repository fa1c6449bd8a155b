#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/disable-phase5-systems.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Phase 5 dashboards and alerts disabled: Phase 5 systems offline" 
