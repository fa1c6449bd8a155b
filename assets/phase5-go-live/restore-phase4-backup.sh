#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/restore-phase4-backup.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Restored from the pre-deployment database backup: all data intact" replica
