package dev.diskimage.conversion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.CacheMode;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgComparison;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every target format there and back with the real qemu-img, content compared by qemu-img compare. */
class ImageConverterRoundTripTest {
    private static final QemuImg QEMU = QemuImg.system();
    private final ImageConverter converter = ImageConverter.using(QEMU, ImageValidator.of(ImagePolicy.defaults()));

    @TempDir
    Path dir;

    static Stream<Arguments> targets() {
        return Stream.of(
                Arguments.of("raw", DiskFormat.RAW, Map.of()),
                Arguments.of("qcow2", DiskFormat.QCOW2, Map.of("compat", "1.1")),
                Arguments.of("vmdk-monolithicSparse", DiskFormat.VMDK, Map.of("subformat", "monolithicSparse")),
                Arguments.of("vmdk-streamOptimized", DiskFormat.VMDK, Map.of("subformat", "streamOptimized")),
                Arguments.of("vpc-fixed", DiskFormat.VPC, Map.of("subformat", "fixed")),
                Arguments.of("vpc-dynamic", DiskFormat.VPC, Map.of("subformat", "dynamic")),
                Arguments.of("vhdx", DiskFormat.VHDX, Map.of()),
                Arguments.of("vdi", DiskFormat.VDI, Map.of()),
                Arguments.of("qed", DiskFormat.QED, Map.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void convertsToTheFormatAndBackWithTheSameContent(String name, DiskFormat format, Map<String, String> options)
            throws IOException {
        Path source = TestImages.raw(dir, "source.raw", 4 * TestImages.MIB, name.hashCode());
        Path target = dir.resolve("target." + name);
        List<Double> progress = new CopyOnWriteArrayList<>();
        ConvertRequest.Builder there = ConvertRequest.builder(source, target, format).sourceFormat(DiskFormat.RAW)
                .progress(progress::add);
        options.forEach(there::option);

        ConversionResult result = converter.convertNow(there.build());

        assertThat(result.target()).isEqualTo(target);
        assertThat(result.sourceFormat()).isEqualTo(DiskFormat.RAW);
        assertThat(result.targetFormat()).isEqualTo(format);
        assertThat(result.writtenInPlace()).isFalse();
        assertThat(result.targetCacheMode()).isIn(CacheMode.NONE, CacheMode.WRITEBACK);
        assertThat(result.command()).containsSubsequence("-f", "raw", "-O", format.qemuName());
        assertThat(progress).isNotEmpty().last().isEqualTo(100.0);
        assertThat(QEMU.compare(source, DiskFormat.RAW, target, format, false)).isEqualTo(QemuImgComparison.IDENTICAL);
        assertThat(TestImages.filesNamed(dir, PartialTarget.MARKER)).isEmpty();

        Path back = dir.resolve("back.raw");
        converter.convertNow(ConvertRequest.builder(target, back, DiskFormat.RAW).sourceFormat(format).build());
        assertThat(QEMU.compare(source, DiskFormat.RAW, back, DiskFormat.RAW, false))
                .isEqualTo(QemuImgComparison.IDENTICAL);
        assertThat(Files.size(back)).isEqualTo(4 * TestImages.MIB);
    }
}
