#!/bin/sh
# Posts one message to the team's Slack-compatible webhook: post-status.sh TEXT.
# The URL is a secret from the environment (SLACK_WEBHOOK_URL); it is never printed.
set -eu
here=$(dirname "$0")
: "${SLACK_WEBHOOK_URL:?SLACK_WEBHOOK_URL is not set}"
text=$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')
"$here/http.sh" POST "$SLACK_WEBHOOK_URL" "{\"text\":\"$text\"}" >/dev/null
echo "posted: $1"
