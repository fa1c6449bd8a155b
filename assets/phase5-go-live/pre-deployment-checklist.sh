#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/pre-deployment-checklist.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Pre-deployment checklist: on-call, channels, backups, rollback reviewed" health
