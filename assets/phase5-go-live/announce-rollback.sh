#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/announce-rollback.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Phase 5 deployment aborted - rollback initiated: leadership and all teams notified" 
