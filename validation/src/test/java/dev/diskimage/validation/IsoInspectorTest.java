package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.DiskFormat;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
        for (Inspection inspection : InspectorHarness.inspectTruncatedAt(inspector, image, 0, PVD, PVD + 5)) {
            assertThat(inspection.level()).isEqualTo(MatchLevel.NONE);
        }
        // Type and "CD001" complete, the file ends: a cut disc image, not raw.
        Inspection cut = InspectorHarness.inspectTruncatedAt(inspector, image, PVD + 6).get(0);
        assertThat(cut.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(cut.findings()).anyMatch(Finding::rejects);
    }

    @Test
    void reportsPlainIsoAsIso9660Variant() {
        Inspection inspection = InspectorHarness.inspect(inspector, iso(24, 1, 255));

        assertThat(inspection.variant()).contains("iso9660");
        assertThat(inspection.details()).doesNotContainKey("udf_block_size");
    }

    @Test
    void escapesControlCharactersInTheVolumeId() {
        byte[] image = iso(24, 1, 255);
        byte[] id = "A\u001b[2JB\nC\u0000D".getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(id, 0, image, PVD + 40, id.length);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.details()).containsEntry("volume_id", "A\\x1b[2JB\\x0aC\\x00D");
    }

    @ParameterizedTest
    @CsvSource({"NSR02, 2", "NSR03, 3"})
    void matchesUdfOnlyDisc(String nsr, int version) throws Exception {
        byte[] image = udf(300, 2048, 2048, "BEA01", nsr, "TEA01");

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).isEmpty();
        assertThat(inspection.variant()).contains("udf");
        assertThat(inspection.virtualSize()).hasValue(image.length);
        assertThat(inspection.details()).containsEntry("udf_nsr_version", (long) version)
                .containsEntry("udf_block_size", 2048L);
        Path file = dir.resolve("udf-" + nsr + ".iso");
        Files.write(file, image);
        assertThat(InspectorHarness.inspectWithShortReads(inspector, file).level()).isEqualTo(MatchLevel.MATCH);
    }

    @ParameterizedTest
    @CsvSource({"512, 2048", "1024, 2048", "4096, 4096"})
    void matchesUdfWithOtherBlockSizes(int blockSize, int stride) {
        byte[] image = udf(600, blockSize, stride, "BEA01", "NSR03", "TEA01");

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).contains("udf");
        assertThat(inspection.details()).containsEntry("udf_block_size", (long) blockSize);
    }

    @Test
    void matchesIsoUdfBridgeDisc() {
        byte[] image = bridge(300, "BEA01", "NSR02", "TEA01");

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).isEmpty();
        assertThat(inspection.variant()).contains("iso9660+udf");
        assertThat(inspection.details()).containsEntry("volume_id", "TESTVOL").containsEntry("udf_nsr_version", 2L);
    }

    @Test
    void treatsAnExtendedAreaWithoutNsrAfterIso9660AsPlainIso() {
        byte[] image = bridge(300, "BEA01", "BOOT2", "TEA01");
        Arrays.fill(image, 256 * SECTOR, 257 * SECTOR, (byte) 0);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).contains("iso9660");
    }

    @Test
    void rejectsBridgeDiscWhoseUdfAnchorIsMissing() {
        byte[] image = bridge(300, "BEA01", "NSR03", "TEA01");
        Arrays.fill(image, 256 * SECTOR, 257 * SECTOR, (byte) 0);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.UDF_MALFORMED);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // Each field alone is wrong; the tag checksum is recomputed unless it is the field under test.
        "tag identifier, 0, 9, true", "tag location, 12, 257, true", "CRC length, 10, 497, true",
        "tag checksum, 4, 0, false", "descriptor CRC, 8, 0, false", "descriptor body, 100, 7, false"})
    void rejectsUdfOnlyDiscWithDamagedAnchor(String what, int offset, int value, boolean resealTag) {
        byte[] image = udf(300, 2048, 2048, "BEA01", "NSR02", "TEA01");
        int anchor = 256 * SECTOR;
        ByteBuffer fields = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        if (offset == 12) {
            fields.putInt(anchor + offset, value);
        } else if (offset == 0 || offset == 10) {
            fields.putShort(anchor + offset, (short) value);
        } else {
            image[anchor + offset] ^= (byte) (value == 0 ? 0x40 : value);
        }
        if (resealTag) {
            ByteBuffer tag = ByteBuffer.wrap(image, anchor, 512).slice().order(ByteOrder.LITTLE_ENDIAN);
            tag.put(4, (byte) UdfVolume.tagChecksum(tag));
        }

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.UDF_MALFORMED);
    }

    @Test
    void rejectsUdfOnlyDiscWithoutAnchorOrTooShortForIt() {
        byte[] image = udf(300, 2048, 2048, "BEA01", "NSR02", "TEA01");
        assertRejected(InspectorHarness.inspect(inspector, Arrays.copyOf(image, 256 * SECTOR + 100)),
                FindingCode.UDF_MALFORMED);
        assertRejected(InspectorHarness.inspect(inspector, Arrays.copyOf(image, 200 * SECTOR)),
                FindingCode.UDF_MALFORMED);
    }

    @Test
    void rejectsUdfRecognitionSequenceWithoutNsrOrTerminator() {
        assertRejected(InspectorHarness.inspect(inspector, udf(300, 2048, 2048, "BEA01", "TEA01")),
                FindingCode.UDF_MALFORMED);
        assertRejected(InspectorHarness.inspect(inspector, udf(300, 2048, 2048, "BEA01", "NSR02")),
                FindingCode.UDF_MALFORMED);
        assertRejected(InspectorHarness.inspect(inspector, udf(300, 2048, 2048, "BEA01", "NSR02", "NSR03", "TEA01")),
                FindingCode.UDF_MALFORMED);
        String[] endless = new String[UdfVolume.MAX_DESCRIPTORS + 2];
        Arrays.fill(endless, "BOOT2");
        endless[0] = "BEA01";
        endless[1] = "NSR02";
        endless[endless.length - 1] = "TEA01";
        assertRejected(InspectorHarness.inspect(inspector, udf(300, 2048, 2048, endless)), FindingCode.UDF_MALFORMED);
    }

    @Test
    void truncatedUdfOnlyDiscIsNeverRaw() {
        byte[] image = udf(300, 2048, 2048, "BEA01", "NSR02", "TEA01");

        for (Inspection inspection : InspectorHarness.inspectTruncatedAt(inspector, image,
                PVD + 6, PVD + SECTOR, PVD + SECTOR + 3, PVD + 2 * SECTOR + 5, 100 * SECTOR, 256 * SECTOR + 511)) {
            assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
            assertThat(inspection.findings()).anyMatch(Finding::rejects);
        }
    }

    @Test
    void warnsWhenTheUdfVolumeDescriptorSequenceLiesBeyondTheFile() {
        byte[] image = udf(300, 2048, 2048, "BEA01", "NSR02", "TEA01");
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putInt(256 * SECTOR + 20, 100_000);
        sealAnchor(image, 256 * SECTOR);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).singleElement().satisfies(finding -> {
            assertThat(finding.code()).isEqualTo(FindingCode.TRUNCATED);
            assertThat(finding.severity()).isEqualTo(Severity.WARN);
        });
    }

    @Test
    void validatorAcceptsUdfOnlyDiscDeclaredIsoFromFilesAndStreams() throws Exception {
        for (int blockSize : new int[] {2048, 512}) {
            byte[] image = udf(600, blockSize, 2048, "BEA01", "NSR03", "TEA01");
            Path file = dir.resolve("udf-" + blockSize + ".iso");
            Files.write(file, image);
            ImageValidator validator = ImageValidator.of(ImagePolicy.defaults());

            ValidationReport report = validator.validate(file, DiskFormat.ISO);
            ValidationReport streamed;
            try (InputStream in = new ByteArrayInputStream(image)) {
                streamed = validator.inspecting(in, "udf.iso", DiskFormat.ISO).drainAndReport();
            }

            for (ValidationReport each : List.of(report, streamed)) {
                assertThat(each.accepted()).as(each.findings().toString()).isTrue();
                assertThat(each.detectedFormat()).contains(DiskFormat.ISO);
                assertThat(each.variant()).contains("udf");
                assertThat(each.virtualSize()).hasValue(image.length);
            }
            assertThat(validator.validate(file, DiskFormat.RAW).accepted()).isTrue();
        }
    }

    @Test
    void udfCrcIsCrcItuT() {
        // CRC-16 with polynomial 0x1021 and initial value 0 of "123456789" (the usual check value).
        ByteBuffer check = ByteBuffer.wrap("123456789".getBytes(StandardCharsets.US_ASCII));
        assertThat(Checksums.crc16Itu(check, 0, 9)).isEqualTo(0x31C3);
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

    /**
     * Builds a UDF-only image of {@code sectors} 2048-byte sectors: the given volume structure
     * descriptors from 32 KiB, {@code stride} bytes apart, and an anchor volume descriptor pointer
     * at block 256 of {@code blockSize} bytes.
     */
    static byte[] udf(int sectors, int blockSize, int stride, String... descriptors) {
        byte[] image = new byte[sectors * SECTOR];
        for (int i = 0; i < descriptors.length; i++) {
            putDescriptor(image, PVD + i * stride, descriptors[i]);
        }
        putAnchor(image, 256 * blockSize, blockSize);
        return image;
    }

    /** An ISO 9660 primary descriptor and terminator, followed by the given UDF descriptors. */
    static byte[] bridge(int sectors, String... descriptors) {
        byte[] image = iso(sectors, 1, 255);
        for (int i = 0; i < descriptors.length; i++) {
            putDescriptor(image, PVD + (2 + i) * SECTOR, descriptors[i]);
        }
        putAnchor(image, 256 * SECTOR, SECTOR);
        return image;
    }

    private static void putDescriptor(byte[] image, int offset, String identifier) {
        image[offset] = 0;
        System.arraycopy(identifier.getBytes(StandardCharsets.US_ASCII), 0, image, offset + 1, 5);
        image[offset + 6] = 1;
    }

    /** ECMA-167 3/10.2: tag 2, version 2, location 256; main and reserve sequences at blocks 32 and 48. */
    private static void putAnchor(byte[] image, int offset, int blockSize) {
        ByteBuffer anchor = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        anchor.putShort(offset, (short) 2);
        anchor.putShort(offset + 2, (short) 2);
        anchor.putShort(offset + 6, (short) 1);
        anchor.putShort(offset + 10, (short) 496);
        anchor.putInt(offset + 12, 256);
        anchor.putInt(offset + 16, 16 * blockSize);
        anchor.putInt(offset + 20, 32);
        anchor.putInt(offset + 24, 16 * blockSize);
        anchor.putInt(offset + 28, 48);
        sealAnchor(image, offset);
    }

    /** Recomputes the descriptor CRC and the tag checksum, as a writer would. */
    private static void sealAnchor(byte[] image, int offset) {
        ByteBuffer anchor = ByteBuffer.wrap(image, offset, 512).slice().order(ByteOrder.LITTLE_ENDIAN);
        anchor.putShort(8, (short) Checksums.crc16Itu(anchor, 16, 496));
        anchor.put(4, (byte) UdfVolume.tagChecksum(anchor));
    }

    private static void assertRejected(Inspection inspection, FindingCode code) {
        assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(inspection.findings()).anySatisfy(finding -> {
            assertThat(finding.code()).isEqualTo(code);
            assertThat(finding.rejects()).isTrue();
        });
    }
}
