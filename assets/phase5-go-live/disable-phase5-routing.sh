#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/disable-phase5-routing.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Phase 5 transaction routing disabled: all traffic back to Phase 4" route
