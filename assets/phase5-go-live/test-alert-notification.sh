#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/test-alert-notification.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Test alert sent to Slack, Email and PagerDuty (< 30 s)" 
