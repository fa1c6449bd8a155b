#!/bin/sh
# Rehearsal stand-in for the playbook's ./scripts/analyze-load-test-results.sh: prints what
# it does and checks the demo target. On the night, point the step at the real script.
exec "$(dirname "$0")/stand-in.sh" "Load test results against their limits (< 120 ms, < 0.12 %, CPU < 70 %, memory < 80 %, 2,000 TPS): PASS" metrics
