#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/check-message-queue.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Message queue draining" queue
