#!/bin/sh
# Stand-in for ./scripts/feature-flags.sh: enable-internal | enable-beta | enable-all-users |
# kill-all. The demo target has no flags; this prints what the real script switches.
set -eu
case ${1:?usage: feature-flags.sh enable-internal|enable-beta|enable-all-users|kill-all} in
    enable-internal) echo "launch flags ON for internal users" ;;
    enable-beta) echo "launch flags ON for beta users" ;;
    enable-all-users) echo "launch flags ON for all users" ;;
    kill-all) echo "KILL SWITCH: new features OFF for all users; new flows stopped" ;;
    *) echo "unknown: $1"; exit 2 ;;
esac
