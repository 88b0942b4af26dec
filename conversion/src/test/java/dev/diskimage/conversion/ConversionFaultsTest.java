package dev.diskimage.conversion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.CacheMode;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.NotEnoughSpaceException;
import dev.diskimage.core.ProcessRequest;
import dev.diskimage.core.ProcessRunner;
import dev.diskimage.core.QemuImg;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageUnacceptableException;
import dev.diskimage.validation.ImageValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a conversion can fail ends with a typed error, no target, no partial sibling and no
 * qemu-img left running.
 */
class ConversionFaultsTest {
    private static final ImageValidator VALIDATOR = ImageValidator.of(ImagePolicy.defaults());
    // 1 MiB/s: a 16 MiB image takes about 8 s (half of it is data), long enough to stop it midway.
    private static final long SLOW = 1 << 20;

    @TempDir
    Path dir;

    private Path target;
    private Conversion running;

    @AfterEach
    void noTargetNoSiblingNoQemuImg() throws IOException {
        if (running != null && running.cancel()) {
            // A test that failed midway must not leave its conversion to the next test.
            try {
                running.await();
            } catch (RuntimeException | InterruptedException ignored) {
                // only the cleanup matters here
            }
        }
        if (target != null) {
            assertThat(target).doesNotExist();
            assertThat(TestImages.filesNamed(target.getParent(), PartialTarget.MARKER)).isEmpty();
            assertThat(TestImages.processesMentioning(target.getFileName().toString())).isEmpty();
        }
    }

    private ImageConverter real() {
        return ImageConverter.using(QemuImg.system(), VALIDATOR);
    }

    private Conversion slowConversion(ImageConverter converter, ConvertRequest.Builder extra) throws IOException {
        Path source = TestImages.raw(dir, "slow.raw", 16 * TestImages.MIB, 7);
        target = dir.resolve("slow.qcow2");
        running = converter.convert(extra == null
                ? ConvertRequest.builder(source, target, DiskFormat.QCOW2).throttle(Throttle.rateLimit(SLOW)).build()
                : extra.build());
        return running;
    }

    private static void awaitProgressOrProcess(Conversion conversion, String name) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (TestImages.processesMentioning(name).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(TestImages.processesMentioning(name)).as("qemu-img running").isNotEmpty();
    }

    @Test
    void rejectedSourceNeverReachesQemuImg() throws IOException {
        Path calls = dir.resolve("calls");
        QemuImg recording = QemuImg.at(TestImages.recordingQemuImg(dir.resolve("bin"), calls));
        Path source = TestImages.raw(dir, "claims-qcow2.raw", TestImages.MIB, 1);
        target = dir.resolve("out.raw");

        assertThatThrownBy(() -> ImageConverter.using(recording, VALIDATOR).convertNow(
                ConvertRequest.builder(source, target, DiskFormat.RAW).sourceFormat(DiskFormat.QCOW2).build()))
                .isInstanceOf(ImageUnacceptableException.class)
                .isNotInstanceOf(ConvertedImageRejectedException.class);
        assertThat(calls).doesNotExist();
    }

    @Test
    void aDirectoryAsTheTargetIsRefusedBeforeQemuImgRuns() throws IOException {
        Path calls = dir.resolve("calls");
        QemuImg recording = QemuImg.at(TestImages.recordingQemuImg(dir.resolve("bin"), calls));
        Path source = TestImages.raw(dir, "plain.raw", TestImages.MIB, 1);
        Path directory = java.nio.file.Files.createDirectories(dir.resolve("volumes"));

        assertThatThrownBy(() -> ImageConverter.using(recording, VALIDATOR).convertNow(
                ConvertRequest.builder(source, directory, DiskFormat.QCOW2).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is a directory");
        assertThat(calls).doesNotExist();
        assertThat(TestImages.filesNamed(dir, "diskimage-partial")).isEmpty();
    }

    @Test
    void cancelStopsQemuImgAndLeavesNothing() throws Exception {
        Conversion conversion = slowConversion(real(), null);
        awaitProgressOrProcess(conversion, "slow.qcow2");

        assertThat(conversion.cancel()).isTrue();

        assertThatThrownBy(conversion::await).isInstanceOf(ConversionCancelledException.class);
        assertThat(conversion.isDone()).isTrue();
        assertThat(conversion.result()).isEmpty();
        assertThat(conversion.cancel()).isFalse();
    }

    @Test
    void cancelBeforeQemuImgStartedStillLeavesNothing() throws Exception {
        Conversion conversion = slowConversion(real(), null);

        conversion.cancel();

        assertThatThrownBy(conversion::await).isInstanceOf(ConversionCancelledException.class);
    }

    @Test
    void aRunningConversionReportsProgressAndAwaitWithATimeoutReturnsEmpty() throws Exception {
        Conversion conversion = slowConversion(real(), null);
        awaitProgressOrProcess(conversion, "slow.qcow2");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (conversion.progress() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }

        assertThat(conversion.await(Duration.ofMillis(50))).isEmpty();
        assertThat(conversion.isDone()).isFalse();
        // Not below 100: with -r, qemu-img counts requests as issued, and reports 100% while
        // the rate-limited writes still drain.
        assertThat(conversion.progress()).isGreaterThan(0);
        assertThat(conversion.target()).isEqualTo(target);
        assertThat(conversion.result()).isEmpty();
        conversion.cancel();
        assertThatThrownBy(conversion::await).isInstanceOf(ConversionCancelledException.class);
    }

    @Test
    void timeoutStopsQemuImgAndLeavesNothing() throws IOException {
        Path source = TestImages.raw(dir, "slow.raw", 16 * TestImages.MIB, 7);
        target = dir.resolve("slow.qcow2");

        assertThatThrownBy(() -> real().convertNow(ConvertRequest.builder(source, target, DiskFormat.QCOW2)
                        .throttle(Throttle.rateLimit(SLOW)).timeout(Duration.ofMillis(700)).build()))
                .isInstanceOfSatisfying(ConversionTimedOutException.class,
                        e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(700)));
    }

    @Test
    void qemuImgKilledFromOutsideIsAFailureThatLeavesNothing() throws Exception {
        Conversion conversion = slowConversion(real(), null);
        awaitProgressOrProcess(conversion, "slow.qcow2");

        for (long pid : TestImages.processesMentioning("slow.qcow2")) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }

        assertThatThrownBy(conversion::await).isInstanceOfSatisfying(ConversionFailedException.class,
                e -> assertThat(e.qemuImgFailure().exitCode()).isEqualTo(128 + 9));
    }

    @Test
    void fullFileSystemDuringConversionNamesTheMountPoint() throws IOException {
        Path mount = dir.resolve("small");
        Files.createDirectories(mount);
        // As root the test mounts an 8 MiB tmpfs. Not root (no mount): a qemu-img that fails as
        // a full disk does, which still proves the mapping to the typed error and the cleanup.
        boolean mounted = "root".equals(System.getProperty("user.name"))
                && run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount.toString());
        try {
            // 16 MiB virtual with 1 MiB of data: the measured need (about 1.3 MiB) passes the
            // space check, but -S 0 writes the zeros too, so the file system fills up midway.
            Path source = TestImages.raw(dir, "sparse.raw", 2 * TestImages.MIB, 5);
            try (var file = new java.io.RandomAccessFile(source.toFile(), "rw")) {
                file.setLength(16 * TestImages.MIB);
            }
            ImageConverter converter = mounted ? real()
                    : ImageConverter.using(QemuImg.at(fakeFailing("qemu-img: error while writing at byte 7340032:"
                            + " No space left on device")), VALIDATOR);
            Path expectedMount = mounted ? mount : mountPointOf(dir);
            target = mount.resolve("full.qcow2");

            assertThatThrownBy(() -> converter.convertNow(ConvertRequest.builder(source, target, DiskFormat.QCOW2)
                            .sparse(false).build()))
                    .isInstanceOfSatisfying(NotEnoughSpaceException.class, e -> {
                        assertThat(e.mountPoint()).isEqualTo(expectedMount);
                        assertThat(e.path()).isEqualTo(target);
                    });
        } finally {
            if (mounted) {
                noTargetNoSiblingNoQemuImg();
                target = null;
                run("umount", mount.toString());
            }
        }
    }

    private static Path mountPointOf(Path path) throws IOException {
        Path real = path.toRealPath();
        var store = Files.getFileStore(real);
        Path mount = real;
        for (Path parent = real.getParent(); parent != null && Files.getFileStore(parent).equals(store);
                parent = parent.getParent()) {
            mount = parent;
        }
        return mount;
    }

    @Test
    void outputThatFailsValidationIsDeletedAndTyped() throws IOException {
        // A qcow2 image whose guest content is itself a qcow2 image: converted to raw, the
        // output's bytes are a qcow2 header, which is not the raw image that was asked for.
        Path inner = TestImages.converted(TestImages.raw(dir, "inner.raw", TestImages.MIB, 9), dir.resolve("inner.img"),
                DiskFormat.QCOW2);
        Path outer = dir.resolve("outer.qcow2");
        QemuImg.system().convert(dev.diskimage.core.QemuImgConvertRequest.builder(inner, DiskFormat.RAW, outer,
                DiskFormat.QCOW2).build());
        target = dir.resolve("laundered.raw");

        assertThatThrownBy(() -> real().convertNow(ConvertRequest.builder(outer, target, DiskFormat.RAW)
                        .sourceFormat(DiskFormat.QCOW2).build()))
                .isInstanceOfSatisfying(ConvertedImageRejectedException.class,
                        e -> assertThat(e.findings()).isNotEmpty());
    }

    @Test
    void directIoRefusalFallsBackToWriteback() throws IOException {
        // A destination that refuses O_DIRECT, as NFSv3 or ZFS do: qemu-img fails to open it
        // with cache=none and EINVAL.
        Path fake = TestImages.script(dir.resolve("bin"), "case \" $* \" in\n"
                + "  *' -t none '*) echo \"qemu-img: Could not open 'x': Invalid argument\" >&2; exit 1;;\n"
                + "esac\nexec '" + TestImages.REAL_QEMU_IMG + "' \"$@\"");
        Path source = TestImages.raw(dir, "s.raw", TestImages.MIB, 2);
        Path out = dir.resolve("out.qcow2");

        ConversionResult result = ImageConverter.using(QemuImg.at(fake), VALIDATOR)
                .convertNow(ConvertRequest.builder(source, out, DiskFormat.QCOW2).build());

        assertThat(result.targetCacheMode()).isEqualTo(CacheMode.WRITEBACK);
        assertThat(result.command()).containsSubsequence("-t", "writeback");
        assertThat(out).exists();
        assertThat(TestImages.filesNamed(dir, PartialTarget.MARKER)).isEmpty();
    }

    @Test
    void cacheNoneDoesNotFallBack() throws IOException {
        Path fake = fakeFailing("qemu-img: Could not open 'x': Invalid argument");
        Path source = TestImages.raw(dir, "s.raw", TestImages.MIB, 2);
        target = dir.resolve("out.qcow2");

        assertThatThrownBy(() -> ImageConverter.using(QemuImg.at(fake), VALIDATOR).convertNow(
                ConvertRequest.builder(source, target, DiskFormat.QCOW2).cache(TargetCache.NONE).build()))
                .isInstanceOf(ConversionFailedException.class).hasMessageContaining("Invalid argument");
    }

    @Test
    void staleSiblingOfADeadProcessIsRemovedAndALiveOneKept() throws IOException {
        long dead = deadPid();
        Path stale = dir.resolve(".old.raw" + PartialTarget.MARKER + dead + "-0123456789abcdef");
        Path live = dir.resolve(".other.raw" + PartialTarget.MARKER + ProcessHandle.current().pid()
                + "-0123456789abcdef");
        Files.write(stale, new byte[10]);
        Files.write(live, new byte[10]);
        Path source = TestImages.raw(dir, "s.raw", TestImages.MIB, 2);

        real().convertNow(ConvertRequest.builder(source, dir.resolve("new.raw"), DiskFormat.RAW).build());

        assertThat(stale).doesNotExist();
        assertThat(live).exists();
    }

    private static long deadPid() {
        Process process;
        try {
            process = new ProcessBuilder("true").start();
            process.waitFor();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return process.pid();
    }

    private Path fakeFailing(String message) throws IOException {
        return TestImages.script(dir.resolve("bin"), "case \"$1\" in\n"
                + "  convert) echo \"" + message + "\" >&2; exit 1;;\n"
                + "esac\nexec '" + TestImages.REAL_QEMU_IMG + "' \"$@\"");
    }

    private static boolean run(String... command) {
        return ProcessRunner.create().run(ProcessRequest.builder(List.of(command)).timeout(Duration.ofSeconds(20))
                .build()).succeeded();
    }
}
