package dev.diskimage.conversion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.conversion.ConversionRefusedException.Reason;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageTooBigException;
import dev.diskimage.core.QemuImg;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageUnacceptableException;
import dev.diskimage.validation.ImageValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** resize with the real qemu-img: validated first, always -f, --shrink only when allowed. */
class ResizeTest {
    private static final QemuImg QEMU = QemuImg.system();
    private final ImageConverter converter = ImageConverter.using(QEMU, ImageValidator.of(ImagePolicy.defaults()));

    @TempDir
    Path dir;

    @Test
    void growsAQcow2Image() throws IOException {
        Path image = TestImages.converted(TestImages.raw(dir, "s.raw", TestImages.MIB, 1), dir.resolve("i.qcow2"),
                DiskFormat.QCOW2);

        converter.resize(image, DiskFormat.QCOW2, 3 * TestImages.MIB, false);

        assertThat(QEMU.info(image, DiskFormat.QCOW2).virtualSize()).isEqualTo(3 * TestImages.MIB);
    }

    @Test
    void shrinkingWithoutPermissionIsRefusedBeforeQemuImgRuns() throws IOException {
        Path calls = dir.resolve("calls");
        ImageConverter recording = ImageConverter.using(QemuImg.at(TestImages.recordingQemuImg(dir.resolve("bin"),
                calls)), ImageValidator.of(ImagePolicy.defaults()));
        Path image = TestImages.raw(dir, "s.raw", 2 * TestImages.MIB, 1);

        assertThatThrownBy(() -> recording.resize(image, DiskFormat.RAW, TestImages.MIB, false))
                .isInstanceOfSatisfying(ConversionRefusedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.SHRINK_NOT_ALLOWED));
        assertThat(calls).doesNotExist();
        assertThat(Files.size(image)).isEqualTo(2 * TestImages.MIB);
    }

    @Test
    void shrinksWhenAllowedPassingFormatAndShrink() throws IOException {
        Path calls = dir.resolve("calls");
        ImageConverter recording = ImageConverter.using(QemuImg.at(TestImages.recordingQemuImg(dir.resolve("bin"),
                calls)), ImageValidator.of(ImagePolicy.defaults()));
        Path image = TestImages.raw(dir, "s.raw", 2 * TestImages.MIB, 1);

        recording.resize(image, DiskFormat.RAW, TestImages.MIB, true);

        assertThat(Files.size(image)).isEqualTo(TestImages.MIB);
        assertThat(Files.readString(calls)).contains("resize -f raw --shrink " + image + " " + TestImages.MIB);
    }

    @Test
    void aRefusedImageIsNotResized() throws IOException {
        Path image = TestImages.raw(dir, "s.raw", TestImages.MIB, 1);

        assertThatThrownBy(() -> converter.resize(image, DiskFormat.QCOW2, 2 * TestImages.MIB, false))
                .isInstanceOf(ImageUnacceptableException.class);
        assertThat(Files.size(image)).isEqualTo(TestImages.MIB);
    }

    @Test
    void checkVirtualSizeRoundsUpToWholeGib() throws IOException {
        Path image = TestImages.converted(TestImages.raw(dir, "s.raw", TestImages.MIB, 1), dir.resolve("i.qcow2"),
                DiskFormat.QCOW2);
        QEMU.resize(image, DiskFormat.QCOW2, (1L << 30) + 512, false);

        assertThat(ImageConverter.checkVirtualSize(QEMU.info(image, DiskFormat.QCOW2), 2, "img")).isEqualTo(2);
        assertThatThrownBy(() -> ImageConverter.checkVirtualSize(QEMU.info(image, DiskFormat.QCOW2), 1, "img"))
                .isInstanceOf(ImageTooBigException.class);
    }
}
