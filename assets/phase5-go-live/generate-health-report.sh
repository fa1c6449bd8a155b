#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/generate-health-report.sh: prints what it does and checks
# the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Full system health report: health-report-2026-02-08.pdf" health
