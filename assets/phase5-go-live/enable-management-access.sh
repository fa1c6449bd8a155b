#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/enable-management-access.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Executive summary enabled for 5 managers" 
