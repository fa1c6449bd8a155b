#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/final-readiness-check.sh [--summary].
exec "$(dirname "$0")/stand-in.sh" "Final readiness check" health "${1-}"
