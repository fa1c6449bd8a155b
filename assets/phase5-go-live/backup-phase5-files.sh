#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/backup-phase5-files.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Full backup of the Phase 5 files" replica
