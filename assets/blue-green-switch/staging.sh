#!/bin/sh
# Rehearsal stand-in for the staging deployment's stages (the playbook names no script):
# staging.sh provision|database|deploy. Each prints what it does and checks the target.
set -eu
here=$(dirname "$0")
case ${1:?usage: staging.sh provision|database|deploy} in
    provision) echo "Provisioning staging infrastructure"; sleep 1 ;;
    database) echo "Setting up the staging database (backup taken first)"; sleep 1 ;;
    deploy) echo "Deploying v1.0.0 to staging (green)"; sleep 1 ;;
    *) echo "unknown stage $1"; exit 2 ;;
esac
printf 'green health: '
"$here/../demo/ctl.sh" GET /api/health/green
echo
