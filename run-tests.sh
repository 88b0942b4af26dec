#!/bin/sh
# Runs the whole test suite: unit tests (Surefire) and end-to-end tests (Failsafe, it-tests).
# Installs what the tests need first when it is missing (qemu-utils, ..., and glance-api for the
# tests that run a real Glance): scripts/ensure-tools.sh --tests.
set -e
cd "$(dirname "$0")"
sh scripts/ensure-tools.sh --tests
exec mvn -B verify "$@"
