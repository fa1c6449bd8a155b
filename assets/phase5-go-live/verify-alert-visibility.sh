#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/verify-alert-visibility.sh: prints what
# it does. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Alert rules visible in Alertmanager; Slack alerts configured for the team"
