#!/bin/sh
# Builds everything, creates sample images (benign and malicious) with the real qemu-img, and
# runs the main job, image-check, over them: the benign ones are accepted, the others rejected.
# Then the toolkit around it: upload and fetch through a local image service, and a distro
# cloud image from a local mirror through the image cache.
set -e
cd "$(dirname "$0")"
sh scripts/ensure-tools.sh
mvn -B -q -DskipTests package
dir=samples
rm -rf "$dir"
mkdir -p "$dir"
q() { qemu-img "$@" >/dev/null; }

# Benign images of every format qemu-img can create.
q create -f qcow2 "$dir/good.qcow2" 64M
q create -f qcow2 -o compat=0.10 "$dir/good-v2.qcow2" 64M
q create -f raw "$dir/disk.raw" 8M
q convert -f raw -O vmdk -o subformat=streamOptimized "$dir/disk.raw" "$dir/stream.vmdk"
q create -f vmdk "$dir/sparse.vmdk" 64M
q create -f vpc -o subformat=fixed "$dir/fixed.vhd" 16M
q create -f vhdx "$dir/disk.vhdx" 64M
q create -f vdi "$dir/disk.vdi" 64M
q create -f qed "$dir/disk.qed" 64M
q create -f parallels "$dir/disk.ploop" 64M

# Malicious or broken images.
q create -f qcow2 -b /etc/hostname -F raw "$dir/evil-backing.qcow2" 64M
q create -f qcow2 -o data_file="$dir/evil-data.bin" "$dir/evil-datafile.qcow2" 64M
q create -f vmdk -o subformat=monolithicFlat "$dir/evil-flat.vmdk" 8M
head -c 100 "$dir/good.qcow2" > "$dir/evil-truncated.qcow2"
cp "$dir/good.qcow2" "$dir/evil-polyglot.qcow2"
# A bootable MBR partition table and signature inside the qcow2 header cluster: also a raw disk.
dd if=/dev/zero of="$dir/evil-polyglot.qcow2" bs=1 seek=446 count=64 conv=notrunc 2>/dev/null
printf '\200\000\002\000\203\000\000\000\001\000\000\000\000\020\000\000' |
    dd of="$dir/evil-polyglot.qcow2" bs=1 seek=446 conv=notrunc 2>/dev/null
printf '\125\252' | dd of="$dir/evil-polyglot.qcow2" bs=1 seek=510 conv=notrunc 2>/dev/null

echo "== $(bin/diskimage --version): bin/image-check is bin/diskimage check; the installable archives are in cli/target =="
ls cli/target/diskimage-*.tar.gz cli/target/diskimage-*.zip cli/target/diskimage-*-all.jar
echo
echo "== image-check on the samples (exit 1 is expected: some are malicious) =="
set +e
bin/image-check "$dir"/*.qcow2 "$dir"/*.raw "$dir"/stream.vmdk "$dir"/sparse.vmdk "$dir"/evil-flat.vmdk \
    "$dir"/*.vhd "$dir"/*.vhdx "$dir"/*.vdi "$dir"/*.qed "$dir"/*.ploop
echo "(exit code $?)"
echo
echo "== a qcow2 declared as raw (JSON output) =="
bin/image-check --format raw --json "$dir/good.qcow2"
echo "(exit code $?)"
echo
echo "== a qcow2 validated while it streams in on standard input =="
bin/image-check --format qcow2 - < "$dir/good.qcow2"
echo "(exit code $?)"
echo
echo "== the embedded image service (a local directory): upload, then fetch into a raw volume =="
rm -rf "$dir/images"
id=$(bin/diskimage upload --service "$dir/images" --name good --disk-format qcow2 "$dir/good.qcow2")
echo "uploaded good.qcow2 as image $id"
bin/diskimage images --service "$dir/images" list
bin/diskimage fetch --service "$dir/images" --volume-format raw --size 1 "$id" "$dir/volume.raw"
echo "(exit code $?)"
echo
echo "== an image whose stored bytes were swapped for a malicious qcow2 behind the service's back =="
evil=$(bin/diskimage upload --service "$dir/images" --name swapped --disk-format raw "$dir/disk.raw")
cp "$dir/evil-backing.qcow2" "$dir/images/$evil.data"
bin/diskimage fetch --service "$dir/images" "$evil" "$dir/evil-volume.raw"
echo "(exit code $?: refused, nothing at $dir/evil-volume.raw)"
echo
echo "== a distro cloud image from a mirror (a local directory in Fedora's layout): two overlays, one download =="
mirror="$dir/mirror/releases/41/Cloud"
mkdir -p "$mirror/x86_64/images" "$mirror/aarch64/images"
image="Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2"
cp "$dir/good.qcow2" "$mirror/x86_64/images/$image"
(cd "$mirror/x86_64/images" && echo "SHA256 ($image) = $(sha256sum "$image" | cut -d' ' -f1)" \
    > Fedora-Cloud-41-1.4-x86_64-CHECKSUM)
cp "$dir/evil-backing.qcow2" "$mirror/aarch64/images/Fedora-Cloud-Base-Generic-41-1.4.aarch64.qcow2"
from="--mirror file://$(pwd)/$dir/mirror/ --cache-dir $dir/cache --snapshot-dir $dir/snapshots"
bin/diskimage distro get fedora --arch x86_64 $from
bin/diskimage distro get fedora --arch x86_64 $from --json
bin/diskimage cache list --cache-dir "$dir/cache"
echo "(exit code $?)"
echo
echo "== the same distro's aarch64 image has a backing file on the mirror =="
bin/diskimage distro get fedora --arch aarch64 $from
echo "(exit code $?: refused, nothing cached, no overlay)"
exit 0
