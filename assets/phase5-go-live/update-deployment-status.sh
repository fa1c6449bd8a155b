#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/update-deployment-status.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Deployment status documentation updated" 
