package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VhdxInspectorTest {
    private static final int RT = (int) VhdxInspector.REGION_TABLE_1;
    private static final UUID LOG_GUID = UUID.fromString("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");

    private final VhdxInspector inspector = new VhdxInspector();

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({
        "dynamic, 100M, '', dynamic", "dynamic, 1000000000, ',block_size=1M', dynamic",
        "dynamic, 3G, ',block_size=256M', dynamic", "dynamic, 64M, ',log_size=4M', dynamic",
        "dynamic, 10M, ',block_state_zero=off', dynamic", "fixed, 8M, '', fixed",
        "fixed, 3M, ',block_size=2M', fixed"})
    void matchesQemuCreatedVhdx(String subformat, String size, String options, String variant) throws Exception {
        Path image = InspectorHarness.qemuImg(dir, "disk.vhdx", "create", "-q", "-f", "vhdx", "-o",
                "subformat=" + subformat + options, "{}", size);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).isEmpty();
        assertThat(inspection.variant()).contains(variant);
        assertThat(inspection.references()).isEmpty();
        assertThat(inspection.virtualSize()).hasValue(InspectorHarness.qemuVirtualSize(image, "vhdx"));
    }

    @Test
    void matchesRawConvertedToVhdx() throws Exception {
        Path raw = dir.resolve("disk.raw");
        byte[] data = new byte[3 << 20];
        Arrays.fill(data, 1 << 20, 2 << 20, (byte) 0x3C);
        Files.write(raw, data);
        Path image = InspectorHarness.qemuImg(dir, "converted.vhdx", "convert", "-f", "raw", "-O", "vhdx",
                raw.toString(), "{}");

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(3L << 20);
    }

    @Test
    void matchesWithShortReads() throws Exception {
        Path image = create("64M");

        Inspection inspection = InspectorHarness.inspectWithShortReads(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(64L << 20);
    }

    @Test
    void readsFarLessThanTheBudget() throws Exception {
        Path image = create("1G");

        try (var channel = Files.newByteChannel(image)) {
            FileImageBytes bytes = new FileImageBytes(channel, channel.size(), InspectorHarness.BUDGET);
            assertThat(inspector.run(bytes).level()).isEqualTo(MatchLevel.MATCH);
            assertThat(bytes.bytesRead()).isLessThanOrEqualTo(256 * 1024);
        }
    }

    @Test
    void usesTheOtherHeaderWhenOneIsCorrupt() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        image[(int) VhdxInspector.HEADER_1 + 200] ^= 1;

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).singleElement().satisfies(finding -> {
            assertThat(finding.code()).isEqualTo(FindingCode.VHDX_BAD_CHECKSUM);
            assertThat(finding.severity()).isEqualTo(Severity.WARN);
        });
    }

    @Test
    void rejectsWhenBothHeadersAreCorrupt() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        image[(int) VhdxInspector.HEADER_1 + 200] ^= 1;
        image[(int) VhdxInspector.HEADER_2 + 200] ^= 1;

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.VHDX_BAD_CHECKSUM);
    }

    @Test
    void rejectsCorruptFirstRegionTable() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        image[RT + 100] ^= 1;

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.VHDX_BAD_CHECKSUM);
    }

    @Test
    void warnsAboutCorruptSecondRegionTable() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        image[(int) VhdxInspector.REGION_TABLE_2 + 100] ^= 1;

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).singleElement().satisfies(finding ->
                assertThat(finding.severity()).isEqualTo(Severity.WARN));
    }

    @Test
    void rejectsUnsupportedHeaderVersion() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        for (long header : new long[] {VhdxInspector.HEADER_1, VhdxInspector.HEADER_2}) {
            le(image).putShort((int) header + 66, (short) 2);
            seal(image, (int) header, VhdxInspector.HEADER_SIZE);
        }

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void reportsHasParentBitAsBackingReference() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        int item = metadataItem(image, VhdxInspector.FILE_PARAMETERS);
        le(image).putInt(item + 4, le(image).getInt(item + 4) | VhdxInspector.HAS_PARENT);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).contains("differencing");
        assertThat(inspection.references()).singleElement().satisfies(reference -> {
            assertThat(reference.kind()).isEqualTo(ExternalReference.Kind.BACKING);
            assertThat(reference.code()).isEqualTo(FindingCode.VHDX_HAS_PARENT);
        });
    }

    @Test
    void reportsParentLocatorPathAsTarget() throws Exception {
        byte[] image = withParentLocator(Files.readAllBytes(create("64M")),
                "parent_linkage", "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}", "relative_path", "..\\base.vhdx");

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).contains("differencing");
        assertThat(inspection.references()).singleElement().satisfies(reference ->
                assertThat(reference.target()).isEqualTo("..\\base.vhdx"));
    }

    @Test
    void rejectsNonEmptyLogInBothHeaders() throws Exception {
        Path created = create("64M");
        byte[] image = Files.readAllBytes(created);
        setLogGuid(image, VhdxInspector.HEADER_1, LOG_GUID);
        setLogGuid(image, VhdxInspector.HEADER_2, LOG_GUID);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.findings()).anySatisfy(finding -> {
            assertThat(finding.code()).isEqualTo(FindingCode.VHDX_LOG_NOT_EMPTY);
            assertThat(finding.rejects()).isTrue();
            assertThat(finding.message()).contains(LOG_GUID.toString());
        });
        assertThat(inspection.details()).containsEntry("log_guid_set", true);
    }

    @ParameterizedTest(name = "log in header at {0}, sequence numbers {1}/{2}, rejected: {3}")
    @CsvSource({
        // The header with the higher sequence number is current, whichever slot it is in.
        "65536, 10, 9, true", "65536, 9, 10, false", "131072, 9, 10, true", "131072, 10, 9, false",
        // Sequence numbers are unsigned: 2^63 is higher than 1.
        "65536, -9223372036854775808, 1, true", "131072, -9223372036854775808, 1, false"})
    void decidesTheLogByTheCurrentHeader(long logHeader, long firstSequence, long secondSequence, boolean rejected)
            throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        setSequence(image, VhdxInspector.HEADER_1, firstSequence);
        setSequence(image, VhdxInspector.HEADER_2, secondSequence);
        setLogGuid(image, logHeader, LOG_GUID);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.details()).containsEntry("log_guid_set", rejected);
        if (rejected) {
            assertThat(inspection.findings()).singleElement().satisfies(finding -> {
                assertThat(finding.code()).isEqualTo(FindingCode.VHDX_LOG_NOT_EMPTY);
                assertThat(finding.rejects()).isTrue();
                assertThat(finding.offset()).isEqualTo(logHeader + 48);
            });
        } else {
            assertThat(inspection.findings()).isEmpty();
        }
    }

    @Test
    void ignoresTheLogOfADamagedHeaderEvenWithTheHigherSequence() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        setSequence(image, VhdxInspector.HEADER_1, 100);
        setLogGuid(image, VhdxInspector.HEADER_1, LOG_GUID);
        image[(int) VhdxInspector.HEADER_1 + 300] ^= 1;

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.details()).containsEntry("log_guid_set", false);
        assertThat(inspection.findings()).singleElement().satisfies(finding -> {
            assertThat(finding.code()).isEqualTo(FindingCode.VHDX_BAD_CHECKSUM);
            assertThat(finding.severity()).isEqualTo(Severity.WARN);
        });
    }

    @Test
    void rejectsTwoDifferentHeadersWithTheSameSequenceNumber() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        setSequence(image, VhdxInspector.HEADER_1, 7);
        setSequence(image, VhdxInspector.HEADER_2, 7);
        setLogGuid(image, VhdxInspector.HEADER_2, LOG_GUID);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void acceptsTwoIdenticalHeadersWithTheSameSequenceNumber() throws Exception {
        // Disk2VHD writes them so, and qemu accepts it.
        byte[] image = Files.readAllBytes(create("64M"));
        System.arraycopy(image, (int) VhdxInspector.HEADER_1, image, (int) VhdxInspector.HEADER_2,
                VhdxInspector.HEADER_SIZE);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).isEmpty();
    }

    @Test
    void rejectsAChecksummedHeaderOfAnotherVersionEvenWhenNotCurrent() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        setSequence(image, VhdxInspector.HEADER_1, 1);
        setSequence(image, VhdxInspector.HEADER_2, 2);
        le(image).putShort((int) VhdxInspector.HEADER_1 + 66, (short) 2);
        seal(image, (int) VhdxInspector.HEADER_1, VhdxInspector.HEADER_SIZE);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void escapesControlCharactersInParentLocatorValues() throws Exception {
        byte[] image = withParentLocator(Files.readAllBytes(create("64M")),
                "relative_path", "..\\b\u001b[31m\nase\u0000.vhdx", "absolute_win32_path", "C:\\x\r\u0007.vhdx");

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.references()).singleElement().extracting(ExternalReference::target)
                .isEqualTo("..\\b\\x1b[31m\\x0aase\\x00.vhdx");
        assertThat(inspection.details())
                .containsEntry("parent_locator.relative_path", "..\\b\\x1b[31m\\x0aase\\x00.vhdx")
                .containsEntry("parent_locator.absolute_win32_path", "C:\\x\\x0d\\x07.vhdx");

        Path file = dir.resolve("evil.vhdx");
        Files.write(file, image);
        ValidationReport report = ImageValidator.of(ImagePolicy.defaults()).validate(file,
                dev.diskimage.core.DiskFormat.VHDX);
        assertThat(report.findings()).filteredOn(f -> f.code() == FindingCode.VHDX_HAS_PARENT).singleElement()
                .satisfies(finding -> assertThat(finding.message())
                        .contains("..\\b\\x1b[31m\\x0aase\\x00.vhdx").doesNotContain("\u001b", "\n", "\u0000"));
    }

    @Test
    void rejectsAParentKeyGivenTwice() throws Exception {
        byte[] image = withParentLocator(Files.readAllBytes(create("64M")),
                "relative_path", "a.vhdx", "relative_path", "b.vhdx");

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsRegionBeyondEndOfFile() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        le(image).putLong(RT + 16 + 16, 1L << 40);
        seal(image, RT, VhdxInspector.REGION_TABLE_SIZE);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.TRUNCATED);
    }

    @Test
    void rejectsMisalignedRegion() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        le(image).putLong(RT + 16 + 16, (2L << 20) + 4096);
        seal(image, RT, VhdxInspector.REGION_TABLE_SIZE);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsUnknownRequiredRegion() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        ByteBuffer table = le(image);
        int entry = RT + 16 + 2 * 32;
        putGuid(table, entry, UUID.fromString("11111111-2222-3333-4444-555555555555"));
        table.putLong(entry + 16, 4L << 20);
        table.putInt(entry + 24, 1 << 20);
        table.putInt(entry + 28, 1);
        table.putInt(RT + 8, 3);
        seal(image, RT, VhdxInspector.REGION_TABLE_SIZE);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.VHDX_UNKNOWN_REQUIRED_ITEM);
    }

    @Test
    void ignoresUnknownOptionalRegion() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        ByteBuffer table = le(image);
        int entry = RT + 16 + 2 * 32;
        putGuid(table, entry, UUID.fromString("11111111-2222-3333-4444-555555555555"));
        table.putInt(RT + 8, 3);
        seal(image, RT, VhdxInspector.REGION_TABLE_SIZE);

        assertThat(InspectorHarness.inspect(inspector, image).level()).isEqualTo(MatchLevel.MATCH);
    }

    @Test
    void rejectsUnknownRequiredMetadataItem() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        int table = metadataTable(image);
        ByteBuffer buffer = le(image);
        int count = buffer.getShort(table + 10);
        int entry = table + 32 + count * 32;
        putGuid(buffer, entry, UUID.fromString("99999999-2222-3333-4444-555555555555"));
        buffer.putInt(entry + 24, 4);
        buffer.putShort(table + 10, (short) (count + 1));

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.VHDX_UNKNOWN_REQUIRED_ITEM);
    }

    @Test
    void rejectsAbsurdEntryCounts() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        le(image).putInt(RT + 8, -1);
        seal(image, RT, VhdxInspector.REGION_TABLE_SIZE);
        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);

        byte[] metadata = Files.readAllBytes(create("64M"));
        le(metadata).putShort(metadataTable(metadata) + 10, (short) 0xFFFF);
        assertRejected(InspectorHarness.inspect(inspector, metadata), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsAbsurdVirtualSizeAndBlockSize() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        le(image).putLong(metadataItem(image, VhdxInspector.VIRTUAL_DISK_SIZE), Long.MIN_VALUE);
        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);

        le(image).putLong(metadataItem(image, VhdxInspector.VIRTUAL_DISK_SIZE), 1L << 50);
        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);

        byte[] blocks = Files.readAllBytes(create("64M"));
        le(blocks).putInt(metadataItem(blocks, VhdxInspector.FILE_PARAMETERS), 3 << 20);
        assertRejected(InspectorHarness.inspect(inspector, blocks), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsVirtualSizeTheBatCannotCover() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        le(image).putLong(metadataItem(image, VhdxInspector.VIRTUAL_DISK_SIZE), 60L << 40);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsMetadataItemOutsideItsRegion() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        int table = metadataTable(image);
        le(image).putInt(table + 32 + 16, Integer.MAX_VALUE);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void ignoresFilesWithoutSignature() {
        assertThat(InspectorHarness.inspect(inspector, new byte[300 * 1024]).level()).isEqualTo(MatchLevel.NONE);
        assertThat(InspectorHarness.inspect(inspector, "vhdxfil".getBytes(StandardCharsets.US_ASCII)).level())
                .isEqualTo(MatchLevel.NONE);
    }

    @Test
    void truncationAtEachStructureBoundaryIsRejected() throws Exception {
        byte[] image = Files.readAllBytes(create("64M"));
        int metadata = metadataTable(image);

        for (Inspection inspection : InspectorHarness.inspectTruncatedAt(inspector, image, 8, 4096,
                64 * 1024, 64 * 1024 + 100, 128 * 1024, 132 * 1024 - 1, 192 * 1024, 200 * 1024, 256 * 1024,
                320 * 1024 - 1, 1 << 20, metadata, metadata + 65536, metadata + (1 << 20) - 1)) {
            assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
            assertThat(inspection.findings()).anyMatch(Finding::rejects);
        }
    }

    private Path create(String size) throws Exception {
        return InspectorHarness.qemuImg(dir, "disk-" + size + ".vhdx", "create", "-q", "-f", "vhdx", "{}", size);
    }

    /** Sets a header's LogGuid and recomputes its CRC-32C, as a writer that left the log would. */
    static void setLogGuid(byte[] image, long header, UUID guid) {
        putGuid(le(image), (int) header + 48, guid);
        seal(image, (int) header, VhdxInspector.HEADER_SIZE);
    }

    static void setSequence(byte[] image, long header, long sequence) {
        le(image).putLong((int) header + 8, sequence);
        seal(image, (int) header, VhdxInspector.HEADER_SIZE);
    }

    private static ByteBuffer le(byte[] image) {
        return ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Recomputes the CRC-32C of the structure at {@code offset}, as a writer would. */
    static void seal(byte[] image, int offset, int length) {
        ByteBuffer structure = ByteBuffer.wrap(image, offset, length).slice().order(ByteOrder.LITTLE_ENDIAN);
        structure.putInt(4, (int) Checksums.crc32c(structure, structure.limit(), 4));
    }

    static int metadataTable(byte[] image) {
        ByteBuffer buffer = le(image);
        int count = buffer.getInt(RT + 8);
        for (int i = 0; i < count; i++) {
            int entry = RT + 16 + i * 32;
            if (Guids.mixedEndian(buffer, entry).equals(VhdxInspector.METADATA_REGION)) {
                return (int) buffer.getLong(entry + 16);
            }
        }
        throw new AssertionError("no metadata region");
    }

    static int metadataItem(byte[] image, UUID id) {
        ByteBuffer buffer = le(image);
        int table = metadataTable(image);
        int count = buffer.getShort(table + 10);
        for (int i = 0; i < count; i++) {
            int entry = table + 32 + i * 32;
            if (Guids.mixedEndian(buffer, entry).equals(id)) {
                return table + buffer.getInt(entry + 16);
            }
        }
        throw new AssertionError("no metadata item " + id);
    }

    /** Adds a VHDX parent locator item with the given key-value pairs and sets HasParent. */
    static byte[] withParentLocator(byte[] image, String... keyValues) {
        ByteBuffer buffer = le(image);
        int table = metadataTable(image);
        int count = buffer.getShort(table + 10);
        int itemOffset = 128 * 1024;
        int item = table + itemOffset;
        int pairs = keyValues.length / 2;
        putGuid(buffer, item, UUID.fromString("B04AEFB7-D19E-4A81-B789-25B8E9445913"));
        buffer.putShort(item + 18, (short) pairs);
        int data = 20 + pairs * 12;
        for (int i = 0; i < pairs; i++) {
            byte[] key = keyValues[2 * i].getBytes(StandardCharsets.UTF_16LE);
            byte[] value = keyValues[2 * i + 1].getBytes(StandardCharsets.UTF_16LE);
            int entry = item + 20 + i * 12;
            buffer.putInt(entry, data);
            System.arraycopy(key, 0, image, item + data, key.length);
            data += key.length;
            buffer.putInt(entry + 4, data);
            System.arraycopy(value, 0, image, item + data, value.length);
            data += value.length;
            buffer.putShort(entry + 8, (short) key.length);
            buffer.putShort(entry + 10, (short) value.length);
        }
        int entry = table + 32 + count * 32;
        putGuid(buffer, entry, VhdxInspector.PARENT_LOCATOR);
        buffer.putInt(entry + 16, itemOffset);
        buffer.putInt(entry + 20, data);
        buffer.putInt(entry + 24, 4);
        buffer.putShort(table + 10, (short) (count + 1));
        int parameters = metadataItem(image, VhdxInspector.FILE_PARAMETERS);
        buffer.putInt(parameters + 4, buffer.getInt(parameters + 4) | VhdxInspector.HAS_PARENT);
        return image;
    }

    static void putGuid(ByteBuffer buffer, int offset, UUID id) {
        ByteBuffer le = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long high = id.getMostSignificantBits();
        le.putInt(offset, (int) (high >>> 32));
        le.putShort(offset + 4, (short) (high >>> 16));
        le.putShort(offset + 6, (short) high);
        buffer.duplicate().order(ByteOrder.BIG_ENDIAN).putLong(offset + 8, id.getLeastSignificantBits());
    }

    private static void assertRejected(Inspection inspection, FindingCode code) {
        assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(inspection.findings()).anySatisfy(finding -> {
            assertThat(finding.code()).isEqualTo(code);
            assertThat(finding.rejects()).isTrue();
        });
    }

}
