package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.Finding;
import dev.diskimage.core.FindingCode;
import dev.diskimage.core.Severity;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IsoInspectorTest {
    private static final int SECTOR = IsoInspector.SECTOR;
    private static final int PVD = 16 * SECTOR;

    private final IsoInspector inspector = new IsoInspector();

    @TempDir
    Path dir;

    @Test
    void matchesMinimalIso() throws Exception {
        byte[] image = iso(24, 1, 255);
        Path file = dir.resolve("minimal.iso");
        Files.write(file, image);

        Inspection inspection = InspectorHarness.inspect(inspector, file);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).isEmpty();
        assertThat(inspection.virtualSize()).hasValue(image.length);
        assertThat(inspection.details()).containsEntry("volume_id", "TESTVOL")
                .containsEntry("volume_space_bytes", 24L * SECTOR);
    }

    @Test
    void matchesIsoWithBootRecordAndSupplementaryDescriptor() {
        byte[] image = iso(30, 1, 0, 2, 255);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).isEmpty();
    }

    @Test
    void matchesIsohybridImageWithMbrInSystemArea() {
        byte[] image = iso(40, 1, 255);
        ByteBuffer mbr = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        mbr.put(446, (byte) 0x80);
        mbr.put(446 + 4, (byte) 0x17);
        mbr.putInt(446 + 8, 0);
        mbr.putInt(446 + 12, image.length / 512);
        mbr.put(510, (byte) 0x55).put(511, (byte) 0xAA);

        Inspection iso = InspectorHarness.inspect(inspector, image);
        Inspection partitions = InspectorHarness.inspect(new PartitionTableInspector(), image);

        assertThat(iso.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(iso.findings()).isEmpty();
        assertThat(partitions.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(partitions.variant()).contains("mbr");
    }

    @Test
    void matchesWithShortReads() throws Exception {
        Path file = dir.resolve("short.iso");
        Files.write(file, iso(20, 1, 2, 255));

        assertThat(InspectorHarness.inspectWithShortReads(inspector, file).level()).isEqualTo(MatchLevel.MATCH);
    }

    @Test
    void warnsWhenFileIsShorterThanTheVolumeSpace() {
        byte[] image = Arrays.copyOf(iso(100, 1, 255), 20 * SECTOR);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).singleElement().satisfies(finding -> {
            assertThat(finding.code()).isEqualTo(FindingCode.TRUNCATED);
            assertThat(finding.severity()).isEqualTo(Severity.WARN);
        });
    }

    @Test
    void rejectsIsoWithoutPrimaryDescriptor() {
        assertRejected(InspectorHarness.inspect(inspector, iso(20, 2, 255)), FindingCode.ISO_MALFORMED);
    }

    @Test
    void rejectsIsoWithoutTerminator() {
        assertRejected(InspectorHarness.inspect(inspector, iso(20, 1, 2)), FindingCode.ISO_MALFORMED);
    }

    @Test
    void rejectsEndlessDescriptorSetAfterBoundedWalk() {
        int[] types = new int[IsoInspector.MAX_DESCRIPTORS + 10];
        Arrays.fill(types, 2);
        types[0] = 1;
        types[types.length - 1] = 255;

        assertRejected(InspectorHarness.inspect(inspector, iso(100, types)), FindingCode.ISO_MALFORMED);
    }

    @Test
    void rejectsDisagreeingBothEndianFields() {
        byte[] image = iso(20, 1, 255);
        ByteBuffer.wrap(image).putInt(PVD + 84, 21);
        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.ISO_MALFORMED);

        byte[] blockSize = iso(20, 1, 255);
        ByteBuffer.wrap(blockSize).putShort(PVD + 130, (short) 512);
        assertRejected(InspectorHarness.inspect(inspector, blockSize), FindingCode.ISO_MALFORMED);
    }

    @Test
    void rejectsInvalidLogicalBlockSizeAndVersion() {
        byte[] image = iso(20, 1, 255);
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putShort(PVD + 128, (short) 4096);
        ByteBuffer.wrap(image).putShort(PVD + 130, (short) 4096);
        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.ISO_MALFORMED);

        byte[] version = iso(20, 1, 255);
        version[PVD + 6] = 2;
        assertRejected(InspectorHarness.inspect(inspector, version), FindingCode.ISO_MALFORMED);
    }

    @Test
    void handlesAbsurdVolumeSpaceSizeWithoutOverflow() {
        byte[] image = iso(20, 1, 255);
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putInt(PVD + 80, -1);
        ByteBuffer.wrap(image).putInt(PVD + 84, -1);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.details()).containsEntry("volume_space_bytes", 0xFFFFFFFFL * SECTOR);
        assertThat(inspection.findings()).singleElement().extracting(Finding::code).isEqualTo(FindingCode.TRUNCATED);
    }

    @Test
    void ignoresFilesWithoutDescriptors() {
        assertThat(InspectorHarness.inspect(inspector, new byte[40 * SECTOR]).level()).isEqualTo(MatchLevel.NONE);
        assertThat(InspectorHarness.inspect(inspector, new byte[100]).level()).isEqualTo(MatchLevel.NONE);
    }

    @Test
    void truncationInsideTheDescriptorSetIsRejected() {
        byte[] image = iso(24, 1, 2, 255);

        for (Inspection inspection : InspectorHarness.inspectTruncatedAt(inspector, image,
                PVD + 7, PVD + SECTOR - 1, PVD + SECTOR, PVD + 2 * SECTOR + 100, PVD + 3 * SECTOR - 1)) {
            assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
            assertThat(inspection.findings()).anyMatch(Finding::rejects);
        }
        for (Inspection inspection : InspectorHarness.inspectTruncatedAt(inspector, image, 0, PVD, PVD + 6)) {
            assertThat(inspection.level()).isEqualTo(MatchLevel.NONE);
        }
    }

    /**
     * Builds an ISO 9660 image of {@code sectors} sectors with the given volume descriptor types
     * from sector 16; a primary descriptor declares the whole image as its volume space.
     */
    static byte[] iso(int sectors, int... types) {
        byte[] image = new byte[Math.max(sectors, 16 + types.length) * SECTOR];
        for (int i = 0; i < types.length; i++) {
            int offset = PVD + i * SECTOR;
            image[offset] = (byte) types[i];
            System.arraycopy("CD001".getBytes(StandardCharsets.US_ASCII), 0, image, offset + 1, 5);
            image[offset + 6] = 1;
            if (types[i] == IsoInspector.TYPE_PRIMARY) {
                byte[] id = String.format("%-32s", "TESTVOL").getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(id, 0, image, offset + 40, 32);
                ByteBuffer little = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
                ByteBuffer big = ByteBuffer.wrap(image);
                little.putInt(offset + 80, sectors);
                big.putInt(offset + 84, sectors);
                little.putShort(offset + 120, (short) 1);
                big.putShort(offset + 122, (short) 1);
                little.putShort(offset + 124, (short) 1);
                big.putShort(offset + 126, (short) 1);
                little.putShort(offset + 128, (short) SECTOR);
                big.putShort(offset + 130, (short) SECTOR);
            }
        }
        return image;
    }

    private static void assertRejected(Inspection inspection, FindingCode code) {
        assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(inspection.findings()).anySatisfy(finding -> {
            assertThat(finding.code()).isEqualTo(code);
            assertThat(finding.rejects()).isTrue();
        });
    }
}
