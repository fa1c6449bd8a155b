#!/bin/sh
# Sends one request to the demo target: ctl.sh METHOD PATH [JSON-BODY]
set -eu
: "${DEMO_URL:?DEMO_URL is not set: run this through warroom demo or warroom rehearse}"
exec "$(dirname "$0")/http.sh" "$1" "$DEMO_URL$2" "${3-}"
