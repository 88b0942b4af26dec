package dev.diskimage.conversion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ProcessRequest;
import dev.diskimage.core.ProcessResult;
import dev.diskimage.core.ProcessRunner;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgComparison;
import dev.diskimage.core.QemuImgConvertRequest;
import dev.diskimage.validation.FindingCode;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Targets written in place: a block device with the raw block-device flags, and outputs
 * validated as what was written, not as the whole device or file, which still holds an earlier
 * image's bytes past the new one. The device tests need root and loop devices (each makes one
 * over a sparse file and detaches it); skipped elsewhere.
 */
class BlockDeviceTargetTest {
    private static final QemuImg QEMU = QemuImg.system();
    private static final ImageValidator VALIDATOR = ImageValidator.of(ImagePolicy.defaults());
    private static final ImageConverter CONVERTER = ImageConverter.using(QEMU, VALIDATOR);

    @TempDir
    Path dir;

    private static ProcessResult run(String... command) {
        return ProcessRunner.create().run(ProcessRequest.builder(List.of(command)).timeout(Duration.ofSeconds(20))
                .build());
    }

    /** What a test does with a loop device. */
    private interface DeviceUse {
        void on(Path device) throws IOException;
    }

    /** Runs {@code use} on a loop device over {@code backing}, detached afterwards. */
    private static void withLoopDevice(Path backing, DeviceUse use) throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for a loop device");
        ProcessResult attach = run("losetup", "-f", "--show", backing.toString());
        assumeTrue(attach.succeeded(), "loop devices are not available here");
        Path device = Path.of(attach.stdout().strip());
        try {
            assertThat(BlockDevice.at(device)).isPresent();
            use.on(device);
        } finally {
            run("losetup", "-d", device.toString());
        }
    }

    private Path sparseFile(String name, long size) throws IOException {
        Path file = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        return file;
    }

    /**
     * A volume that held a fixed VHD before: {@code size} bytes ending in that VHD's footer. A
     * check of the whole volume would see a VHD whatever was written at its start.
     */
    private Path reusedVolume(String name, long size) throws IOException {
        Path old = dir.resolve(name + ".old.vhd");
        QEMU.create(dev.diskimage.core.QemuImgCreateRequest.builder(old, DiskFormat.VPC)
                .option("subformat", "fixed").size(TestImages.MIB).build());
        byte[] oldBytes = Files.readAllBytes(old);
        Path volume = sparseFile(name, size);
        try (RandomAccessFile raf = new RandomAccessFile(volume.toFile(), "rw")) {
            raf.seek(size - 512);
            raf.write(oldBytes, oldBytes.length - 512, 512);
        }
        return volume;
    }

    @Test
    void aFreshLoopDeviceIsWrittenInPlaceWithMinusNTargetIsZeroAndOutOfOrderWrites() throws IOException {
        Path source = TestImages.converted(TestImages.raw(dir, "s.raw", 4 * TestImages.MIB, 8),
                dir.resolve("s.qcow2"), DiskFormat.QCOW2);
        withLoopDevice(sparseFile("volume.img", 4 * TestImages.MIB), device -> {
            ConversionResult result = CONVERTER.convertNow(ConvertRequest.builder(source, device, DiskFormat.RAW)
                    .existingTarget(true).build());

            assertThat(result.writtenInPlace()).isTrue();
            assertThat(result.command()).contains("-n", "--target-is-zero", "-W").endsWith(device.toString());
            assertThat(QEMU.compare(source, DiskFormat.QCOW2, device, DiskFormat.RAW, false))
                    .isEqualTo(QemuImgComparison.IDENTICAL);
        });
    }

    @Test
    void aReusedDeviceLargerThanTheImageIsValidatedAsWhatWasWrittenRawAndQcow2() throws IOException {
        Path source = TestImages.converted(TestImages.raw(dir, "s.raw", 2 * TestImages.MIB, 3),
                dir.resolve("s.qcow2"), DiskFormat.QCOW2);
        withLoopDevice(reusedVolume("raw-volume.img", 8 * TestImages.MIB), device -> {
            ConversionResult result = CONVERTER.convertNow(ConvertRequest.builder(source, device, DiskFormat.RAW)
                    .build());

            assertThat(result.writtenInPlace()).isTrue();
            assertThat(VALIDATOR.validatePrefix(device, DiskFormat.RAW, 8 * TestImages.MIB).findings())
                    .extracting(f -> f.code()).contains(FindingCode.FORMAT_MISMATCH);
        });
        withLoopDevice(reusedVolume("qcow2-volume.img", 8 * TestImages.MIB), device -> {
            ConversionResult result = CONVERTER.convertNow(ConvertRequest.builder(source, device, DiskFormat.QCOW2)
                    .build());

            assertThat(result.writtenInPlace()).isTrue();
            assertThat(QEMU.compare(source, DiskFormat.QCOW2, device, DiskFormat.QCOW2, false))
                    .isEqualTo(QemuImgComparison.IDENTICAL);
        });
    }

    @Test
    void aLaunderedOutputOnADeviceIsRefusedAndTheDeviceIsLeftInPlace() throws IOException {
        // A qcow2 image whose guest content is a qcow2 image: written as raw, the device's first
        // bytes are a qcow2 header, which is not the raw image asked for.
        Path inner = TestImages.converted(TestImages.raw(dir, "inner.raw", TestImages.MIB, 9), dir.resolve("inner.img"),
                DiskFormat.QCOW2);
        Path outer = dir.resolve("outer.qcow2");
        QEMU.convert(QemuImgConvertRequest.builder(inner, DiskFormat.RAW, outer, DiskFormat.QCOW2).build());
        withLoopDevice(sparseFile("volume.img", 4 * TestImages.MIB), device -> {
            assertThatThrownBy(() -> CONVERTER.convertNow(ConvertRequest.builder(outer, device, DiskFormat.RAW)
                    .sourceFormat(DiskFormat.QCOW2).existingTarget(true).build()))
                    .isInstanceOfSatisfying(ConvertedImageRejectedException.class, e -> {
                        assertThat(e.getMessage()).contains(device.toString());
                        assertThat(e.findings()).extracting(f -> f.code()).contains(FindingCode.FORMAT_MISMATCH);
                    });
            assertThat(BlockDevice.at(device)).isPresent();
        });
    }

    @Test
    void anExistingFileLargerThanTheImageIsValidatedAsWhatWasWritten() throws IOException {
        Path source = TestImages.raw(dir, "s.raw", 2 * TestImages.MIB, 5);
        Path reused = reusedVolume("existing.raw", 8 * TestImages.MIB);

        ConversionResult result = CONVERTER.convertNow(ConvertRequest.builder(source, reused, DiskFormat.RAW)
                .existingTarget(false).build());

        assertThat(result.writtenInPlace()).isTrue();
        assertThat(Files.size(reused)).isEqualTo(8 * TestImages.MIB);
        assertThat(VALIDATOR.validate(reused, DiskFormat.RAW).accepted()).isFalse();
    }
}
