package dev.diskimage.conversion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.conversion.ConversionRefusedException.Reason;
import dev.diskimage.core.CacheMode;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import dev.diskimage.validation.ValidatedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The qemu-img flags a request turns into, and the requests refused before qemu-img runs. */
class ConvertFlagsTest {
    private static final ImageValidator VALIDATOR = ImageValidator.of(ImagePolicy.defaults());
    private final ImageConverter converter = ImageConverter.using(QemuImg.system(), VALIDATOR);

    @TempDir
    Path dir;

    private Path source() throws IOException {
        return TestImages.raw(dir, "s.raw", TestImages.MIB, 4);
    }

    @Test
    void defaultsAreProgressCacheNoneAndTheDetectedSourceFormatBeforeTheFileNames() throws IOException {
        Path target = dir.resolve("t.qcow2");
        ConversionResult result = converter.convertNow(ConvertRequest.builder(source(), target, DiskFormat.QCOW2)
                .build());

        assertThat(result.command()).startsWith("convert", "-p", "-t", result.targetCacheMode().qemuName(), "-f",
                "raw", "-O", "qcow2");
        assertThat(result.command().get(result.command().size() - 1)).contains(PartialTarget.MARKER);
        assertThat(result.command()).doesNotContain("-n", "-S", "-W", "-c", "-r", "--target-is-zero");
    }

    @Test
    void nonSparseRawIsWrittenFullyAndOutOfOrder() throws IOException {
        ConversionResult result = converter.convertNow(ConvertRequest.builder(source(), dir.resolve("t.raw"),
                DiskFormat.RAW).sparse(false).cache(TargetCache.WRITEBACK).build());

        assertThat(result.command()).containsSubsequence("-W", "-S", "0", "-t", "writeback");
        assertThat(result.targetCacheMode()).isEqualTo(CacheMode.WRITEBACK);
    }

    @Test
    void nonSparseQcow2IsNotWrittenOutOfOrder() throws IOException {
        ConversionResult result = converter.convertNow(ConvertRequest.builder(source(), dir.resolve("t.qcow2"),
                DiskFormat.QCOW2).sparse(false).build());

        assertThat(result.command()).containsSubsequence("-S", "0").doesNotContain("-W");
    }

    @Test
    void freshExistingTargetGetsMinusNAndTargetIsZeroAndIsWrittenInPlace() throws IOException {
        Path volume = dir.resolve("volume.raw");
        try (var file = new java.io.RandomAccessFile(volume.toFile(), "rw")) {
            file.setLength(TestImages.MIB);
        }

        ConversionResult result = converter.convertNow(ConvertRequest.builder(source(), volume, DiskFormat.RAW)
                .existingTarget(true).build());

        assertThat(result.writtenInPlace()).isTrue();
        assertThat(result.command()).containsSubsequence("-n", "--target-is-zero").endsWith(volume.toString());
        assertThat(Files.mismatch(volume, dir.resolve("s.raw"))).isEqualTo(-1);
    }

    @Test
    void existingTargetThatMayHoldDataGetsMinusNAlone() throws IOException {
        Path volume = Files.write(dir.resolve("used.raw"), new byte[(int) TestImages.MIB]);

        ConversionResult result = converter.convertNow(ConvertRequest.builder(source(), volume, DiskFormat.RAW)
                .existingTarget(false).build());

        assertThat(result.command()).contains("-n").doesNotContain("--target-is-zero");
    }

    @Test
    void compressionRateLimitCoroutinesSourceCacheAndVpcForceSizeReachTheCommand() throws IOException {
        ConversionResult qcow2 = converter.convertNow(ConvertRequest.builder(source(), dir.resolve("c.qcow2"),
                DiskFormat.QCOW2).compress(true).throttle(Throttle.rateLimit(1L << 30)).coroutines(4)
                .sourceCache(CacheMode.WRITEBACK).background(true).timeout(Duration.ofMinutes(1)).build());
        ConversionResult vpc = converter.convertNow(ConvertRequest.builder(source(), dir.resolve("v.vhd"),
                DiskFormat.VPC).option("subformat", "fixed").build());

        assertThat(qcow2.command()).contains("-c").containsSubsequence("-r", Long.toString(1L << 30))
                .containsSubsequence("-m", "4").containsSubsequence("-T", "writeback");
        assertThat(vpc.command()).containsSubsequence("-o", "subformat=fixed,force_size=on");
    }

    @Test
    void backgroundConversionsRunAtLowCpuAndIoPriority() throws IOException {
        Path priority = dir.resolve("priority");
        Path fake = TestImages.script(dir.resolve("bin"), "case \"$1\" in convert) { nice; ionice -p $$; } > '"
                + priority + "';; esac\nexec '" + TestImages.REAL_QEMU_IMG + "' \"$@\"");
        ImageConverter converter = ImageConverter.using(QemuImg.at(fake), VALIDATOR);

        converter.convertNow(ConvertRequest.builder(source(), dir.resolve("b.qcow2"), DiskFormat.QCOW2)
                .background(true).build());
        List<String> background = Files.readAllLines(priority);
        converter.convertNow(ConvertRequest.builder(source(), dir.resolve("f.qcow2"), DiskFormat.QCOW2).build());
        List<String> foreground = Files.readAllLines(priority);

        int own = Integer.parseInt(foreground.get(0).strip());
        assertThat(Integer.parseInt(background.get(0).strip())).isEqualTo(Math.min(19, own + 10));
        assertThat(background.get(1)).isEqualTo("best-effort: prio 7");
        assertThat(foreground.get(1)).isNotEqualTo("best-effort: prio 7");
    }

    @Test
    void compressionOfAFormatThatCannotStoreItIsRefused() throws IOException {
        Path target = dir.resolve("t.raw");
        assertThatThrownBy(() -> converter.convertNow(ConvertRequest.builder(source(), target, DiskFormat.RAW)
                .compress(true).build()))
                .isInstanceOfSatisfying(ConversionRefusedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.COMPRESSION_UNSUPPORTED));
        assertThatThrownBy(() -> converter.convertNow(ConvertRequest.builder(source(), dir.resolve("t.vmdk"),
                DiskFormat.VMDK).compress(true).build()))
                .isInstanceOf(ConversionRefusedException.class);
        assertThat(target).doesNotExist();
    }

    @Test
    void streamOptimizedVmdkCanBeCompressed() throws IOException {
        ConversionResult result = converter.convertNow(ConvertRequest.builder(source(), dir.resolve("t.vmdk"),
                DiskFormat.VMDK).option("subformat", "streamOptimized").compress(true).build());

        assertThat(result.command()).contains("-c");
    }

    @Test
    void disabledConversionRefusesAnotherFormatButCopiesTheSameOne() throws IOException {
        ImageConverter disabled = converter.withImageConversionDisabled(true);
        Path target = dir.resolve("t.qcow2");

        assertThat(disabled.imageConversionDisabled()).isTrue();
        assertThatThrownBy(() -> disabled.convertNow(ConvertRequest.builder(source(), target, DiskFormat.QCOW2)
                .build()))
                .isInstanceOfSatisfying(ConversionRefusedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.CONVERSION_DISABLED));
        assertThat(target).doesNotExist();
        assertThat(disabled.convertNow(ConvertRequest.builder(source(), dir.resolve("copy.raw"), DiskFormat.RAW)
                .build()).targetFormat()).isEqualTo(DiskFormat.RAW);
    }

    @Test
    void bitmapsNeedQcow2OnBothSides() throws IOException {
        assertThatThrownBy(() -> converter.convertNow(ConvertRequest.builder(source(), dir.resolve("t.qcow2"),
                DiskFormat.QCOW2).keepBitmaps(true).build()))
                .isInstanceOfSatisfying(ConversionRefusedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.BITMAPS_UNSUPPORTED));
        Path qcow2 = TestImages.converted(source(), dir.resolve("s.qcow2"), DiskFormat.QCOW2);

        ConversionResult result = converter.convertNow(ConvertRequest.builder(qcow2, dir.resolve("t2.qcow2"),
                DiskFormat.QCOW2).keepBitmaps(true).build());

        assertThat(result.command()).contains("--bitmaps");
    }

    @Test
    void aValidatedSourceIsUsedAsItIsAndADeclaredFormatMustAgree() throws IOException {
        ValidatedImage validated = VALIDATOR.check(source(), DiskFormat.RAW);

        assertThat(converter.convertNow(ConvertRequest.builder(validated, dir.resolve("t.qcow2"), DiskFormat.QCOW2)
                .build()).sourceFormat()).isEqualTo(DiskFormat.RAW);
        assertThatThrownBy(() -> converter.convertNow(ConvertRequest.builder(validated, dir.resolve("u.qcow2"),
                DiskFormat.QCOW2).sourceFormat(DiskFormat.QCOW2).build()))
                .isInstanceOfSatisfying(ConversionRefusedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.FORMAT_MISMATCH));
    }

    @Test
    void aSourceChangedAfterValidationIsRefused() throws IOException {
        ValidatedImage validated = VALIDATOR.check(source(), DiskFormat.RAW);
        Files.write(validated.path(), new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
        Path target = dir.resolve("t.qcow2");

        assertThatThrownBy(() -> converter.convertNow(ConvertRequest.builder(validated, target, DiskFormat.QCOW2)
                .build())).isInstanceOf(dev.diskimage.validation.ImageChangedException.class);
        assertThat(target).doesNotExist();
    }

    @Test
    void notEnoughSpaceBeforeTheConversionIsRefusedWithoutRunningQemuImg() throws IOException {
        // A raw target needs its whole virtual size: 1 PiB fits nowhere.
        Path huge = dir.resolve("huge.qcow2");
        QemuImg.system().create(dev.diskimage.core.QemuImgCreateRequest.builder(huge, DiskFormat.QCOW2)
                .size(1L << 50).build());
        Path target = dir.resolve("huge.raw");

        assertThatThrownBy(() -> converter.convertNow(ConvertRequest.builder(huge, target, DiskFormat.RAW).build()))
                .isInstanceOf(dev.diskimage.core.NotEnoughSpaceException.class);
        assertThat(target).doesNotExist();
    }

    @Test
    void badRequestValuesAreRefusedWhenBuilt() {
        Path p = dir.resolve("x");
        assertThatThrownBy(() -> ConvertRequest.builder(p, p, DiskFormat.RAW).option("bad key", "v"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConvertRequest.builder(p, p, DiskFormat.RAW).coroutines(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConvertRequest.builder(p, p, DiskFormat.RAW).timeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConvertRequest.builder(p, p, DiskFormat.RAW).existingTarget(true)
                .option("compat", "1.1").build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Throttle.rateLimit(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Throttle.cgroupIoMax(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Throttle.cgroupIoMax(-1, 5)).isInstanceOf(IllegalArgumentException.class);
    }
}
