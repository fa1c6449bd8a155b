#!/bin/sh
# Ends the test incident in green.
set -eu
here=$(dirname "$0")
"$here/ctl.sh" DELETE /control/fault
