#!/bin/sh
# Sends one request to the demo target: ctl.sh METHOD PATH
# Uses curl when present; otherwise bash's /dev/tcp, so the demo needs nothing installed.
set -eu
method=$1
path=$2
: "${DEMO_URL:?DEMO_URL is not set: run this through warroom demo}"
if command -v curl >/dev/null 2>&1; then
    exec curl -fsS -X "$method" "$DEMO_URL$path"
fi
hostport=${DEMO_URL#http://}
host=${hostport%:*}
port=${hostport##*:}
exec bash -c '
exec 3<>"/dev/tcp/$0/$1"
printf "%s %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$2" "$3" "$0" >&3
sed "1,/^\r$/d" <&3
' "$host" "$port" "$method" "$path"
