#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/lock-phase5-files.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Locking edits to the 32 Phase 5 files" 
