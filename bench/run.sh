#!/bin/sh
# Builds the project and runs the benchmarks; figures go to docs/benchmarks.md by hand.
# Usage: [BENCH_REFERENCE=<commit>] [BENCH_CONVERT_GIB=2] [BENCH_CONVERT_ROUNDS=5] bench/run.sh [count] [startup-runs] [luks-rounds]
#        (default 1000 images, 20 startup runs, 10 LUKS unlock rounds)
set -e
cd "$(dirname "$0")/.."
sh scripts/ensure-tools.sh
mvn -B -q -DskipTests package
# In the same reactor as package, so that the class path names this checkout's jars, not older
# ones a past install left in ~/.m2.
mvn -B -q -pl bench -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
work=${BENCH_DIR:-$(mktemp -d)}
classpath="bench/target/classes:$(cat bench/target/classpath.txt)"
java -cp "$classpath" dev.diskimage.bench.ImageCheckVsQemuInfo bin/image-check "$work" "${1:-1000}"
echo
# Proving a LUKS passphrase: LuksHeader.unlocks against cryptsetup open --test-passphrase.
java -cp "$classpath" dev.diskimage.bench.LuksUnlockVsCryptsetup "$work/luks" "${3:-10}"
echo
# Startup of one call through the installed distribution: unpack the tar.gz as a user would.
# BENCH_REFERENCE=<commit> also builds that commit in a temporary worktree and times its
# bin/image-check in the same rounds (the code as it was, launched as it was).
install=$(mktemp -d)
tar -xzf cli/target/diskimage-*.tar.gz -C "$install"
reference=
if [ -n "$BENCH_REFERENCE" ]; then
    git worktree add -q --detach "$install/reference" "$BENCH_REFERENCE"
    (cd "$install/reference" && mvn -B -q -DskipTests package)
    reference="$install/reference/bin/image-check"
fi
java -cp "$classpath" dev.diskimage.bench.LauncherStartup "$install"/diskimage-*/ "$work/startup" "${2:-20}" $reference
if [ -n "$reference" ]; then
    git worktree remove --force "$install/reference"
fi
rm -rf "$install"
echo
# diskimage convert vs bare qemu-img convert, and the chosen flags vs Cinder's (2 GiB of data).
# BENCH_CONVERT_GIB and BENCH_CONVERT_ROUNDS change the size and the number of alternated rounds.
java -cp "$classpath" dev.diskimage.bench.ConvertVsQemuImg bin/diskimage "$work/convert" \
    "${BENCH_CONVERT_GIB:-2}" "${BENCH_CONVERT_ROUNDS:-5}"
echo
# Coalescing a two-level VHD chain (VhdChain.coalesceInto) vs cp of the same data (1 GiB).
java -cp "$classpath" dev.diskimage.bench.CoalesceVsCp "$work/coalesce" "${BENCH_COALESCE_MIB:-1024}" 3
echo
# The download pass's hashing (md5 + sha512 together) vs sha512sum of the same 1 GiB file.
java -cp "$classpath" dev.diskimage.bench.MultihashVsSha512sum "$work/multihash" "${BENCH_HASH_MIB:-1024}" 5
echo
# A verified streaming fetch (hash + inspect + write) vs curl -o of the same URL (1 GiB, local HTTP).
java -cp "$classpath" dev.diskimage.bench.FetchVsCurl "$work/fetch" "${BENCH_FETCH_MIB:-1024}" 5
echo
# A verified volume upload (validate + hash while sending + compare the service's hashes) vs curl -T (1 GiB).
java -cp "$classpath" dev.diskimage.bench.UploadVsCurl "$work/upload" "${BENCH_UPLOAD_MIB:-1024}" 5
echo
# A first download into the image cache (hash + sync + checksum + validate + rename) vs curl -o + sha256sum + sync (1 GiB).
java -cp "$classpath" dev.diskimage.bench.CacheFetchVsCurl "$work/cache" "${BENCH_CACHE_MIB:-1024}" 5
