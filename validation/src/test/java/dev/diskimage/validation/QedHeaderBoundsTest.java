package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QedInspector at the edges of its limits: the largest image size the tables can map, table
 * geometries whose mapped size overflows 63 bits, and the feature words it reports. The
 * qemu-img images are made once.
 */
class QedHeaderBoundsTest {
    private final QedInspector inspector = new QedInspector();

    @TempDir
    static Path dir;
    private static byte[] plain;
    private static byte[] overlay;

    @BeforeAll
    static void createImages() throws Exception {
        plain = Files.readAllBytes(InspectorHarness.qemuImg(dir, "plain.qed", "create", "-f", "qed", "{}", "1G"));
        InspectorHarness.qemuImg(dir, "base.qed", "create", "-f", "qed", "{}", "1G");
        overlay = Files.readAllBytes(InspectorHarness.qemuImg(dir, "overlay.qed", "create", "-f", "qed", "-b",
                "base.qed", "-F", "qed", "{}", "1G"));
    }

    private Inspection inspect(byte[] image) {
        return InspectorHarness.inspect(inspector, image);
    }

    private static byte[] patch64(byte[] image, int offset, long value) {
        byte[] copy = image.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putLong(offset, value);
        return copy;
    }

    @Test
    void acceptsTheLargestImageSizeItsTablesCanMap() {
        // 64 KiB clusters, 4-cluster tables: 32 Ki entries per table, 32 Ki * 32 Ki * 64 KiB = 64 TiB.
        long largest = 1L << 46;
        Inspection result = inspect(patch64(plain, 48, largest));
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.virtualSize()).hasValue(largest);
        Inspection beyond = inspect(patch64(plain, 48, largest + 512));
        assertThat(beyond.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(beyond.findings()).singleElement().satisfies(f -> {
            assertThat(f.code()).isEqualTo(FindingCode.MALFORMED_HEADER);
            assertThat(f.offset()).isEqualTo(48);
        });
    }

    @Test
    void acceptsAnySectorMultipleWhenTheTablesMapTwoToTheSixtyThreeBytes() throws Exception {
        // 2 MiB clusters and 8-cluster tables map 2^63 bytes, one more than a long holds.
        long cluster = 2L << 20;
        Path file = dir.resolve("huge-map.qed");
        byte[] header = new byte[64];
        ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0x00444551).putInt(4, (int) cluster)
                .putInt(8, 8).putInt(12, 1).putLong(40, cluster).putLong(48, 1L << 50);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(header);
            raf.setLength(cluster + 8 * cluster);
        }
        Inspection result = InspectorHarness.inspect(inspector, file);
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.virtualSize()).hasValue(1L << 50);
        assertThat(result.details()).containsEntry("cluster_size", cluster).containsEntry("table_size", 8L);
    }

    @Test
    void reportsCompatibleAndAutoclearFeatureWordsOnlyWhenSet() {
        assertThat(inspect(plain).details()).doesNotContainKeys("compat_features", "autoclear_features",
                "needs_check");
        Inspection compat = inspect(patch64(plain, 24, 0x10));
        assertThat(compat.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(compat.details()).containsEntry("compat_features", "0x10").doesNotContainKey("autoclear_features");
        Inspection autoclear = inspect(patch64(plain, 32, 0x4));
        assertThat(autoclear.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(autoclear.details()).containsEntry("autoclear_features", "0x4").doesNotContainKey("compat_features");
    }

    @Test
    void reportsNoBackingFormatWhenQemuMayProbeIt() {
        Inspection result = inspect(overlay);
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.details()).doesNotContainKey("backing_format");
        assertThat(result.references()).singleElement().satisfies(ref -> {
            int nameOffset = ByteBuffer.wrap(overlay).order(ByteOrder.LITTLE_ENDIAN).getInt(56);
            assertThat(ref.offset()).isEqualTo(nameOffset);
        });
    }
}
