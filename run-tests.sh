#!/bin/sh
# Runs the whole test suite: unit tests (Surefire) and end-to-end tests (Failsafe, it-tests).
set -e
cd "$(dirname "$0")"
sh scripts/ensure-tools.sh
exec mvn -B verify "$@"
