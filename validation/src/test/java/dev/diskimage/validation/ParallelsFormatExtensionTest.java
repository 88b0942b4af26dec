package dev.diskimage.validation;

import static dev.diskimage.validation.ParallelsInspectorTest.extension;
import static dev.diskimage.validation.ParallelsInspectorTest.feature;
import static dev.diskimage.validation.ParallelsInspectorTest.withExtension;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the Parallels inspector locates a broken format extension, and the limits of its feature list. */
class ParallelsFormatExtensionTest {
    private static final int CLUSTER = 64 << 10;
    private final ParallelsInspector inspector = new ParallelsInspector();

    @TempDir
    static Path dir;
    /** qemu-img parallels, 1 GiB, 64 KiB clusters, nothing allocated. */
    private static byte[] empty;

    @BeforeAll
    static void image() throws Exception {
        empty = Files.readAllBytes(InspectorHarness.qemuImg(dir, "empty.prl", "create", "-q", "-f", "parallels",
                "-o", "cluster_size=64k", "{}", "1G"));
    }

    private Inspection inspect(byte[] features) {
        return InspectorHarness.inspect(inspector, withExtension(empty, extension(features)));
    }

    private static Finding onlyFinding(Inspection inspection) {
        assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(inspection.findings()).hasSize(1);
        return inspection.findings().get(0);
    }

    private static byte[] features(byte[]... headers) {
        int length = 0;
        for (byte[] header : headers) {
            length += header.length;
        }
        byte[] out = new byte[length];
        int at = 0;
        for (byte[] header : headers) {
            System.arraycopy(header, 0, out, at, header.length);
            at += header.length;
        }
        return out;
    }

    @Test
    void locatesAWrongChecksumAtTheStoredChecksum() {
        byte[] cluster = extension(new byte[0]);
        cluster[200] = 1;

        Finding finding = onlyFinding(InspectorHarness.inspect(inspector, withExtension(empty, cluster)));

        assertThat(finding.code()).isEqualTo(FindingCode.MALFORMED_HEADER);
        assertThat(finding.offset()).isEqualTo(empty.length + 8);
    }

    @Test
    void locatesAFeatureWithFlagsAtItsHeader() {
        Finding finding = onlyFinding(inspect(feature(ParallelsInspector.FEATURE_DIRTY_BITMAP, 2, 0)));

        assertThat(finding.offset()).isEqualTo(empty.length + 24);
    }

    @Test
    void locatesAnUnknownFeatureAfterAlignedBitmapDataAtItsHeader() {
        // The bitmap's 36 data bytes end at 84; the next feature starts 8-byte aligned at 88.
        byte[] list = new byte[24 + 40 + 24];
        System.arraycopy(feature(ParallelsInspector.FEATURE_DIRTY_BITMAP, 0, 36), 0, list, 0, 24);
        System.arraycopy(feature(0x1234, 0, 0), 0, list, 64, 24);

        Finding finding = onlyFinding(inspect(list));

        assertThat(finding.code()).isEqualTo(FindingCode.MALFORMED_HEADER);
        assertThat(finding.offset()).isEqualTo(empty.length + 88);
    }

    @Test
    void acceptsFeatureDataThatFillsTheClusterUpToTheEndMark() {
        long data = CLUSTER - 3 * 24;

        Inspection inspection = inspect(feature(ParallelsInspector.FEATURE_DIRTY_BITMAP, 0, data));

        assertThat(inspection.level()).as(inspection.findings().toString()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.details()).containsEntry("format_extension_features", 1L);
    }

    @Test
    void refusesFeatureDataThatLeavesNoRoomForTheEndMarkOrExceedsTheCluster() {
        Finding noEnd = onlyFinding(inspect(feature(ParallelsInspector.FEATURE_DIRTY_BITMAP, 0, CLUSTER - 48)));
        Finding tooLong = onlyFinding(inspect(feature(ParallelsInspector.FEATURE_DIRTY_BITMAP, 0, CLUSTER - 47)));

        assertThat(noEnd.offset()).isEqualTo(empty.length + CLUSTER);
        assertThat(tooLong.offset()).isEqualTo(empty.length + 24);
    }

    @Test
    void acceptsUpToSixtyFourFeaturesCountingTheEndMark() {
        byte[] bitmap = feature(ParallelsInspector.FEATURE_DIRTY_BITMAP, 0, 0);
        byte[][] most = new byte[64][];
        java.util.Arrays.fill(most, bitmap);
        most[63] = feature(ParallelsInspector.FEATURE_END, 0, 0);
        byte[][] tooMany = new byte[65][];
        java.util.Arrays.fill(tooMany, bitmap);
        tooMany[64] = feature(ParallelsInspector.FEATURE_END, 0, 0);

        Inspection accepted = inspect(features(most));
        Finding refused = onlyFinding(inspect(features(tooMany)));

        assertThat(accepted.level()).as(accepted.findings().toString()).isEqualTo(MatchLevel.MATCH);
        assertThat(accepted.details()).containsEntry("format_extension_features", 63L);
        assertThat(refused.offset()).isEqualTo(empty.length + 24 + 64 * 24);
    }

    @Test
    void anExtensionOffsetAtTheLargestSectorNumberIsOutOfBoundsNotAbsurd() {
        byte[] bytes = empty.clone();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(ParallelsInspector.OFF_EXT_OFF,
                Long.MAX_VALUE / 512);

        assertThat(onlyFinding(InspectorHarness.inspect(inspector, bytes)).code())
                .isEqualTo(FindingCode.PARALLELS_TABLE_OUT_OF_BOUNDS);
    }
}
