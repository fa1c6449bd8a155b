#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/enable-ops-team-access.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Dashboard access enabled for the 12 ops staff" 
