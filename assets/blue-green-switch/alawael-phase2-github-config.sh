#!/bin/sh
# Rehearsal stand-in for the playbook's `bash alawael-phase2-github-config.sh`: prints the
# organisation it would configure. The real script talks to GitHub; this one to nobody.
set -eu
echo "Creating organization alawael-org"
for team in devops backend frontend security operations support; do
    sleep 0.2; echo "  team $team configured"
done
for repo in alawael-api alawael-web alawael-infra alawael-docs alawael-deploy; do
    sleep 0.1; echo "  repository $repo created"
done
echo "  8 secrets encrypted and stored"
echo "  GitHub Actions workflows activated"
echo "✅ Organization alawael-org created: 6 teams (48 members), 5 repositories"
