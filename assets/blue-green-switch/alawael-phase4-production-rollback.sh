#!/bin/sh
# Rollback step 1: load balancer and DNS back to BLUE (takes 5 seconds in the playbook).
set -eu
here=$(dirname "$0")
echo "ROLLBACK: load balancer GREEN → BLUE"
"$here/../demo/ctl.sh" POST "/control/traffic?green=0" >/dev/null
echo "Traffic returning to BLUE (v1.0.0 old)"
