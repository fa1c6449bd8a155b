#!/bin/sh
# Rehearsal stand-in for `bash alawael-phase2-verification.sh` (and the team's
# `gh auth status`, `gh repo list alawael-org`): prints each success signal it checks.
set -eu
for signal in "Organization alawael-org exists" "6 teams configured (48 members)" \
    "5 repositories created" "8 secrets stored" "GitHub Actions workflows active" \
    "All team members have access"; do
    sleep 0.2; echo "✅ $signal"
done
