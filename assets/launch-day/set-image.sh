#!/bin/sh
# Stand-in for `kubectl set image deployment/api-gateway api-gateway=...:v1.0.0 --record`
# and its verification (`kubectl rollout status`, `kubectl get pods`): the canary pods
# (green on the demo target) must come up healthy.
set -eu
here=$(dirname "$0")
echo "deployment/api-gateway image updated: gcr.io/media-gateway/api-gateway:v1.0.0"
i=1
while [ "$i" -le 3 ]; do
    printf 'rollout status %s/3: ' "$i"
    "$here/../demo/ctl.sh" GET /api/health/green
    echo
    i=$((i + 1)); sleep 0.3
done
echo 'deployment "api-gateway" successfully rolled out'
