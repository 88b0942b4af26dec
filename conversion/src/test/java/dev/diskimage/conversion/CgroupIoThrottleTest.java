package dev.diskimage.conversion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.conversion.ConversionRefusedException.Reason;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cgroup v2 io.max throttle, as far as it can be tested here. What cannot run in this test
 * suite: a real throttled conversion, which needs a block device to limit, a cgroup v2 hierarchy
 * with the io controller delegated to this process, and the privilege to create groups; CI
 * machines (and this one: a cgroup v1/hybrid host) have none of these. The parts below run on a
 * directory laid out like a cgroup, so detection, the io.max line, the refusals and the group's
 * life cycle are checked for real.
 */
class CgroupIoThrottleTest {
    @TempDir
    Path dir;

    @Test
    void ioMaxLineNamesTheDeviceAndBothLimitsWithMaxForNone() {
        assertThat(CgroupIoThrottle.ioMaxLine(8, 16, 1_048_576, 0)).isEqualTo("8:16 rbps=1048576 wbps=max");
        assertThat(CgroupIoThrottle.ioMaxLine(259, 3, 0, 5)).isEqualTo("259:3 rbps=max wbps=5");
    }

    @Test
    void findsTheCgroup2MountAndThisProcessGroup() {
        List<String> mounts = List.of("proc /proc proc rw 0 0",
                "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0",
                "cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0");

        assertThat(CgroupIoThrottle.cgroup2Mount(mounts)).contains(Path.of("/sys/fs/cgroup"));
        assertThat(CgroupIoThrottle.cgroup2Mount(mounts.subList(0, 2))).isEmpty();
        assertThat(CgroupIoThrottle.ownGroup(List.of("4:memory:/x", "0::/system.slice/app.service")))
                .contains("/system.slice/app.service");
        assertThat(CgroupIoThrottle.ownGroup(List.of("4:memory:/x"))).isEmpty();
    }

    @Test
    void refusesWhenTheIoControllerIsNotDelegated() throws IOException {
        Files.writeString(dir.resolve("cgroup.subtree_control"), "cpu memory\n");

        assertThatThrownBy(() -> CgroupIoThrottle.create(dir, new BlockDevice(Path.of("/dev/x"), 8, 0), 1, 1))
                .isInstanceOfSatisfying(ConversionRefusedException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.THROTTLE_UNAVAILABLE);
                    assertThat(e.getMessage()).contains("io controller");
                });
    }

    @Test
    void refusesWhereNoCgroupIs() {
        assertThatThrownBy(() -> CgroupIoThrottle.create(dir, new BlockDevice(Path.of("/dev/x"), 8, 0), 1, 1))
                .isInstanceOfSatisfying(ConversionRefusedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.THROTTLE_UNAVAILABLE));
    }

    @Test
    void createsTheChildWritesIoMaxAttachesAndRemovesIt() throws IOException {
        Files.writeString(dir.resolve("cgroup.subtree_control"), "cpu io memory\n");

        CgroupIoThrottle throttle = CgroupIoThrottle.create(dir, new BlockDevice(Path.of("/dev/x"), 253, 2), 0,
                4096);
        Path group = throttle.group();
        throttle.attach(4242);

        assertThat(group.getParent()).isEqualTo(dir);
        assertThat(Files.readString(group.resolve("io.max"))).isEqualTo("253:2 rbps=max wbps=4096");
        assertThat(Files.readString(group.resolve("cgroup.procs"))).isEqualTo("4242");
        // A real cgroup directory can be removed while it holds only its interface files; this
        // stand-in must be emptied first.
        Files.delete(group.resolve("io.max"));
        Files.delete(group.resolve("cgroup.procs"));
        throttle.close();
        assertThat(group).doesNotExist();
    }

    @Test
    void aCgroupThrottleOnAFileTargetIsRefusedBeforeQemuImgRuns() throws IOException {
        Path source = TestImages.raw(dir, "s.raw", TestImages.MIB, 1);
        Path target = dir.resolve("t.raw");

        assertThatThrownBy(() -> ImageConverter.using(QemuImg.system(), ImageValidator.of(ImagePolicy.defaults()))
                .convertNow(ConvertRequest.builder(source, target, DiskFormat.RAW)
                        .throttle(Throttle.cgroupIoMax(1 << 20, 1 << 20)).build()))
                .isInstanceOfSatisfying(ConversionRefusedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.THROTTLE_UNAVAILABLE));
        assertThat(target).doesNotExist();
    }

    @Test
    void deviceNumbersAreSplitAsGlibcDoes() {
        // makedev(8, 16) and makedev(259, 1048575) in glibc's encoding.
        assertThat(BlockDevice.major(0x810)).isEqualTo(8);
        assertThat(BlockDevice.minor(0x810)).isEqualTo(16);
        long rdev = ((259L & 0xfffL) << 8) | ((259L & ~0xfffL) << 32) | (1048575L & 0xffL)
                | ((1048575L & ~0xffL) << 12);
        assertThat(BlockDevice.major(rdev)).isEqualTo(259);
        assertThat(BlockDevice.minor(rdev)).isEqualTo(1048575);
        assertThat(BlockDevice.at(dir)).isEmpty();
    }

    @Test
    void partialSiblingNamesCarryThePidAndOnlyOurNamesAreRecognised() {
        PartialTarget partial = PartialTarget.beside(dir.resolve("disk.raw"));

        assertThat(partial.path().getParent()).isEqualTo(dir.toAbsolutePath());
        assertThat(partial.path().getFileName().toString()).startsWith(".disk.raw" + PartialTarget.MARKER
                + ProcessHandle.current().pid() + "-");
        assertThat(PartialTarget.owner(partial.path().getFileName().toString()))
                .contains(ProcessHandle.current().pid());
        assertThat(PartialTarget.owner("disk.raw")).isEmpty();
        assertThat(PartialTarget.owner(".disk.raw" + PartialTarget.MARKER + "12-notHex")).isEmpty();
        assertThat(PartialTarget.beside(dir.resolve("x".repeat(250))).path().getFileName().toString().length())
                .isLessThan(255);
    }
}
