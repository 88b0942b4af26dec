#!/bin/sh
# Builds the project and runs the benchmarks; figures go to docs/benchmarks.md by hand.
# Usage: bench/run.sh [count]   (default 1000 images)
set -e
cd "$(dirname "$0")/.."
sh scripts/ensure-tools.sh
mvn -B -q -DskipTests package
mvn -B -q -pl bench dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
work=${BENCH_DIR:-$(mktemp -d)}
java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" dev.diskimage.bench.ImageCheckVsQemuInfo \
    bin/image-check "$work" "${1:-1000}"
