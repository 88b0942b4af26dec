package dev.diskimage.conversion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ProcessRequest;
import dev.diskimage.core.ProcessResult;
import dev.diskimage.core.ProcessRunner;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgComparison;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A block device target is written in place, with the raw block-device flags. Needs root and
 * loop devices (the test makes one over a sparse file and detaches it); skipped elsewhere.
 */
class BlockDeviceTargetTest {
    @TempDir
    Path dir;

    private static ProcessResult run(String... command) {
        return ProcessRunner.create().run(ProcessRequest.builder(List.of(command)).timeout(Duration.ofSeconds(20))
                .build());
    }

    @Test
    void aFreshLoopDeviceIsWrittenInPlaceWithMinusNTargetIsZeroAndOutOfOrderWrites() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for a loop device");
        Path backing = dir.resolve("volume.img");
        try (RandomAccessFile file = new RandomAccessFile(backing.toFile(), "rw")) {
            file.setLength(4 * TestImages.MIB);
        }
        ProcessResult attach = run("losetup", "-f", "--show", backing.toString());
        assumeTrue(attach.succeeded(), "loop devices are not available here");
        Path device = Path.of(attach.stdout().strip());
        try {
            Path source = TestImages.converted(TestImages.raw(dir, "s.raw", 4 * TestImages.MIB, 8),
                    dir.resolve("s.qcow2"), DiskFormat.QCOW2);
            assertThat(BlockDevice.at(device)).isPresent();

            ConversionResult result = ImageConverter.using(QemuImg.system(), ImageValidator.of(ImagePolicy.defaults()))
                    .convertNow(ConvertRequest.builder(source, device, DiskFormat.RAW).existingTarget(true).build());

            assertThat(result.writtenInPlace()).isTrue();
            assertThat(result.command()).contains("-n", "--target-is-zero", "-W").endsWith(device.toString());
            assertThat(QemuImg.system().compare(source, DiskFormat.QCOW2, device, DiskFormat.RAW, false))
                    .isEqualTo(QemuImgComparison.IDENTICAL);
        } finally {
            run("losetup", "-d", device.toString());
        }
    }
}
