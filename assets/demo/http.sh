#!/bin/sh
# One HTTP request: http.sh METHOD URL [JSON-BODY]; prints the answer's body, fails on an
# error status. Uses curl when present; otherwise bash's /dev/tcp (plain http only), so
# the rehearsals need nothing installed.
set -eu
method=$1
url=$2
body=${3-}
if command -v curl >/dev/null 2>&1; then
    if [ -n "$body" ]; then
        exec curl -fsS -X "$method" -H 'content-type: application/json' --data "$body" "$url"
    fi
    exec curl -fsS -X "$method" "$url"
fi
rest=${url#http://}
hostport=${rest%%/*}
path=/${rest#*/}
[ "$path" = "/$rest" ] && path=/
host=${hostport%:*}
port=${hostport##*:}
[ "$port" = "$hostport" ] && port=80
exec bash -c '
exec 3<>"/dev/tcp/$0/$1"
if [ -n "$4" ]; then
    printf "%s %s HTTP/1.0\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n%s" "$2" "$3" "$0" "${#4}" "$4" >&3
else
    printf "%s %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$2" "$3" "$0" >&3
fi
IFS= read -r status <&3
case $status in
    *" 2"[0-9][0-9]*) ;;
    *) echo "HTTP error: $status" >&2; exit 22 ;;
esac
sed "1,/^\r$/d" <&3
' "$host" "$port" "$method" "$path" "$body"
