package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * VHDX limits at their exact boundaries (the BAT region a virtual size needs, as qemu computes it;
 * 64 TiB; entry counts; parent locator entries at the item's end), and the offsets findings
 * point at.
 */
class VhdxBoundariesAndFindingOffsetsTest {

    private static final int RT = (int) VhdxInspector.REGION_TABLE_1;
    private static final int H1 = (int) VhdxInspector.HEADER_1;
    private static final int H2 = (int) VhdxInspector.HEADER_2;
    private static final long MIB = 1L << 20;
    private static final UUID UNKNOWN = UUID.fromString("11111111-2222-3333-4444-555555555555");

    private final VhdxInspector inspector = new VhdxInspector();

    @TempDir
    static Path dir;

    /** 8 MiB, qemu's defaults. */
    private static byte[] small;
    /** 131041 MiB in 1 MiB blocks: 131041 data blocks and 31 bitmap blocks fill a 1 MiB BAT region. */
    private static byte[] fullBat;
    /** 64 TiB in 256 MiB blocks. */
    private static byte[] largest;

    @BeforeAll
    static void createImages() throws Exception {
        small = Files.readAllBytes(InspectorHarness.qemuImg(dir, "small.vhdx", "create", "-q", "-f", "vhdx", "{}",
                "8M"));
        fullBat = Files.readAllBytes(InspectorHarness.qemuImg(dir, "full-bat.vhdx", "create", "-q", "-f", "vhdx",
                "-o", "block_size=1M", "{}", "131041M"));
        largest = Files.readAllBytes(InspectorHarness.qemuImg(dir, "largest.vhdx", "create", "-q", "-f", "vhdx",
                "-o", "block_size=256M", "{}", "64T"));
    }

    @Test
    void acceptsAVirtualSizeWhoseBatFillsTheBatRegionExactly() throws Exception {
        assertThat(batLength(fullBat)).isEqualTo(MIB);
        Path file = write("full-bat-as-created.vhdx", fullBat);

        Inspection inspection = InspectorHarness.inspect(inspector, file);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(131041 * MIB)
                .hasValue(InspectorHarness.qemuVirtualSize(file, "vhdx"));
    }

    @Test
    void acceptsAChunkBoundaryWhereTheBatFillsTwoMebibytesExactly() throws Exception {
        // 64 MiB blocks and 512-byte sectors: chunks of 64 blocks. 258112 data blocks end a chunk
        // (4033 * 64), so they need 4032 bitmap entries between them: 262144 entries, 2 MiB.
        Path file = InspectorHarness.qemuImg(dir, "chunk-boundary.vhdx", "create", "-q", "-f", "vhdx", "-o",
                "block_size=64M", "{}", (258112L * 64) + "M");
        byte[] image = Files.readAllBytes(file);
        assertThat(batLength(image)).isEqualTo(2 * MIB);

        Inspection inspection = InspectorHarness.inspect(inspector, file);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(258112L * 64 * MIB)
                .hasValue(InspectorHarness.qemuVirtualSize(file, "vhdx"));
    }

    @Test
    void rejectsAVirtualSizeOneBlockTooLargeForTheBatRegionAsQemuDoes() throws Exception {
        byte[] image = fullBat.clone();
        le(image).putLong(VhdxInspectorTest.metadataItem(image, VhdxInspector.VIRTUAL_DISK_SIZE), 131042 * MIB);
        Path file = write("full-bat-plus-one.vhdx", image);

        Inspection inspection = InspectorHarness.inspect(inspector, file);

        assertRejectedAt(inspection, FindingCode.MALFORMED_HEADER, metadataRegion(image));
        assertThat(inspection.findings()).anySatisfy(f -> assertThat(f.message()).contains("BAT region"));
        assertThatThrownBy(() -> InspectorHarness.qemuVirtualSize(file, "vhdx")).isInstanceOf(Exception.class);
    }

    @ParameterizedTest(name = "{0} MiB with a parent: accepted {1}")
    @CsvSource({"126976, true", "126977, false", "1, true"})
    void sizesTheBatOfADifferencingDiskInWholeChunks(long megabytes, boolean accepted) {
        // 1 MiB blocks and 512-byte sectors: chunks of 4096 blocks, each with its bitmap entry;
        // 31 chunks (126976 blocks) need 126007 entries, 32 need 131104, more than 1 MiB holds.
        byte[] image = fullBat.clone();
        ByteBuffer buffer = le(image);
        buffer.putLong(VhdxInspectorTest.metadataItem(image, VhdxInspector.VIRTUAL_DISK_SIZE), megabytes * MIB);
        int parameters = VhdxInspectorTest.metadataItem(image, VhdxInspector.FILE_PARAMETERS);
        buffer.putInt(parameters + 4, buffer.getInt(parameters + 4) | VhdxInspector.HAS_PARENT);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        if (accepted) {
            assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
            assertThat(inspection.variant()).contains("differencing");
            assertThat(inspection.virtualSize()).hasValue(megabytes * MIB);
            assertThat(inspection.references()).singleElement().satisfies(reference -> {
                assertThat(reference.target()).isEqualTo("(unnamed parent)");
                assertThat(reference.offset()).isEqualTo(metadataRegion(image));
            });
        } else {
            assertRejectedAt(inspection, FindingCode.MALFORMED_HEADER, metadataRegion(image));
        }
    }

    @Test
    void acceptsTheLargest64TibDiskAndRejectsOneSectorMore() {
        Inspection inspection = InspectorHarness.inspect(inspector, largest);
        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(64L << 40);

        byte[] image = largest.clone();
        le(image).putLong(VhdxInspectorTest.metadataItem(image, VhdxInspector.VIRTUAL_DISK_SIZE), (64L << 40) + 512);
        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER,
                metadataRegion(image));
    }

    @Test
    void acceptsAnEmptyDisk() {
        byte[] image = small.clone();
        le(image).putLong(VhdxInspectorTest.metadataItem(image, VhdxInspector.VIRTUAL_DISK_SIZE), 0);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(0);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"block size, CAA16737-FA36-4D43-B3B6-33F0AA44E76B, block size 0",
        "logical sector size, 8141BF1D-A96F-4709-BA47-F233A8FAAB5F, sector sizes 0/",
        "physical sector size, CDA348C7-445D-4471-9CC9-E9885251C556, /0 are not"})
    void namesAZeroFieldAsAnInvalidValueNotAsMissing(String field, String item, String named) {
        byte[] image = small.clone();
        le(image).putInt(VhdxInspectorTest.metadataItem(image, UUID.fromString(item)), 0);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertRejectedAt(inspection, FindingCode.MALFORMED_HEADER, metadataRegion(image));
        assertThat(inspection.findings()).anySatisfy(f -> assertThat(f.message()).contains(named)
                .doesNotContain("lacks"));
    }

    @ParameterizedTest
    @CsvSource({"65536", "131072"})
    void warnsAtTheDamagedHeader(int damaged) {
        byte[] image = small.clone();
        image[damaged + 200] ^= 1;

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).singleElement().satisfies(finding -> {
            assertThat(finding.code()).isEqualTo(FindingCode.VHDX_BAD_CHECKSUM);
            assertThat(finding.offset()).isEqualTo(damaged);
        });
    }

    @Test
    void takesTheFirstOfTwoIdenticalHeadersAsCurrent() {
        byte[] image = small.clone();
        System.arraycopy(image, H2, image, H1, VhdxInspector.HEADER_SIZE);
        VhdxInspectorTest.setLogGuid(image, H1, UUID.fromString("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"));
        System.arraycopy(image, H1, image, H2, VhdxInspector.HEADER_SIZE);

        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.VHDX_LOG_NOT_EMPTY, H1 + 48);
    }

    @Test
    void rejectsAnotherHeaderVersionAtItsVersionField() {
        byte[] image = small.clone();
        le(image).putShort(H1 + 66, (short) 2);
        VhdxInspectorTest.seal(image, H1, VhdxInspector.HEADER_SIZE);

        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER, H1 + 66);
    }

    @Test
    void ignoresTheLogOffsetWhenTheLogIsEmpty() {
        byte[] image = small.clone();
        for (int header : new int[] {H1, H2}) {
            le(image).putInt(header + 68, 0).putLong(header + 72, 12345);
            VhdxInspectorTest.seal(image, header, VhdxInspector.HEADER_SIZE);
        }

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).isEmpty();
    }

    @Test
    void rejectsAMisalignedLogAtTheCurrentHeadersLogOffset() {
        byte[] image = small.clone();
        le(image).putLong(H1 + 72, MIB + 4096);
        VhdxInspectorTest.seal(image, H1, VhdxInspector.HEADER_SIZE);
        VhdxInspectorTest.setSequence(image, H1, le(image).getLong(H2 + 8) + 1);

        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER, H1 + 72);
    }

    @Test
    void ignoresRegionEntriesBeyondTheEntryCount() {
        byte[] image = small.clone();
        int count = le(image).getInt(RT + 8);
        putRegion(image, count, UNKNOWN, 16 * MIB, MIB, 1);

        assertThat(InspectorHarness.inspect(inspector, image).level()).isEqualTo(MatchLevel.MATCH);

        le(image).putInt(RT + 8, count + 1);
        VhdxInspectorTest.seal(image, RT, VhdxInspector.REGION_TABLE_SIZE);
        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.VHDX_UNKNOWN_REQUIRED_ITEM,
                RT + 16 + count * 32);
    }

    @Test
    void rejectsARegionGivenTwiceAtItsSecondEntry() {
        byte[] image = small.clone();
        int count = le(image).getInt(RT + 8);
        System.arraycopy(image, RT + 16, image, RT + 16 + count * 32, 32);
        le(image).putInt(RT + 8, count + 1);
        VhdxInspectorTest.seal(image, RT, VhdxInspector.REGION_TABLE_SIZE);

        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER,
                RT + 16 + count * 32);
    }

    @ParameterizedTest
    @CsvSource({"BAT, metadata", "metadata, BAT"})
    void namesTheMissingRegion(String kept, String missing) {
        byte[] image = small.clone();
        int keptEntry = regionEntry(image, kept.equals("BAT") ? VhdxInspector.BAT_REGION : VhdxInspector.METADATA_REGION);
        System.arraycopy(image, keptEntry, image, RT + 16, 32);
        le(image).putInt(RT + 8, 1);
        VhdxInspectorTest.seal(image, RT, VhdxInspector.REGION_TABLE_SIZE);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertRejectedAt(inspection, FindingCode.MALFORMED_HEADER, RT);
        assertThat(inspection.findings()).anySatisfy(f -> assertThat(f.message())
                .contains("lacks the " + missing + " region"));
    }

    @ParameterizedTest
    @CsvSource({"BAT", "metadata"})
    void namesTheMisalignedRegion(String which) {
        byte[] image = small.clone();
        int entry = regionEntry(image, which.equals("BAT") ? VhdxInspector.BAT_REGION : VhdxInspector.METADATA_REGION);
        le(image).putLong(entry + 16, le(image).getLong(entry + 16) + 4096);
        VhdxInspectorTest.seal(image, RT, VhdxInspector.REGION_TABLE_SIZE);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertRejectedAt(inspection, FindingCode.MALFORMED_HEADER, entry);
        assertThat(inspection.findings()).anySatisfy(f -> assertThat(f.message()).startsWith("VHDX " + which + " region"));
    }

    @Test
    void rejectsTooManyMetadataEntriesAtTheCountField() {
        byte[] image = small.clone();
        int table = VhdxInspectorTest.metadataTable(image);
        le(image).putShort(table + 10, (short) 2048);

        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER, table + 10);
    }

    @Test
    void ignoresMetadataEntriesBeyondTheCountAndUnknownOptionalItems() {
        byte[] image = small.clone();
        int table = VhdxInspectorTest.metadataTable(image);
        int count = le(image).getShort(table + 10);
        putItem(image, count, UNKNOWN, 200_000, 8, 4);
        assertThat(InspectorHarness.inspect(inspector, image).level()).isEqualTo(MatchLevel.MATCH);

        putItem(image, count, UNKNOWN, 200_000, 8, 0);
        le(image).putShort(table + 10, (short) (count + 1));
        Inspection inspection = InspectorHarness.inspect(inspector, image);
        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).isEmpty();
    }

    @Test
    void rejectsAnUnknownRequiredItemAtItsEntry() {
        byte[] image = small.clone();
        int table = VhdxInspectorTest.metadataTable(image);
        // Replaces the first entry (file parameters): the unknown required item is what is reported.
        putItem(image, 0, UNKNOWN, 200_000, 8, 4);

        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.VHDX_UNKNOWN_REQUIRED_ITEM,
                table + 32);
    }

    @Test
    void rejectsAnItemLongerThanAMebibyteAtItsLengthField() {
        byte[] image = small.clone();
        int entry = itemEntry(image, VhdxInspector.PAGE_83_DATA);
        le(image).putInt(entry + 20, (int) MIB + 1);

        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER, entry + 20);
    }

    @Test
    void rejectsAnItemInsideTheMetadataTableAtItsOffsetField() {
        byte[] image = small.clone();
        int entry = itemEntry(image, VhdxInspector.VIRTUAL_DISK_SIZE);
        le(image).putInt(entry + 16, 1024);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertRejectedAt(inspection, FindingCode.MALFORMED_HEADER, entry + 16);
        assertThat(inspection.findings()).anySatisfy(f -> assertThat(f.message()).contains("overlaps"));
    }

    @Test
    void rejectsAnEmptyKnownItemAsTooShort() {
        byte[] image = small.clone();
        int entry = itemEntry(image, VhdxInspector.VIRTUAL_DISK_SIZE);
        le(image).putInt(entry + 16, 0).putInt(entry + 20, 0);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertRejectedAt(inspection, FindingCode.MALFORMED_HEADER, VhdxInspectorTest.metadataTable(image));
        assertThat(inspection.findings()).anySatisfy(f -> assertThat(f.message()).contains("is 0 bytes, shorter"));
    }

    @Test
    void acceptsAParentLocatorWithOnlyItsHeader() {
        byte[] image = withLocator(small.clone(), locator(0, 20));

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.references()).singleElement().extracting(ExternalReference::target)
                .isEqualTo("(parent locator without a readable path)");
    }

    @Test
    void readsAParentLocatorEntryThatEndsExactlyAtTheItemsEnd() {
        // Five entries end at byte 80; the key and value lie where entries 0-3 are, which
        // therefore point nowhere, and entry 4 names them.
        ByteBuffer item = locator(5, 80);
        byte[] key = "relative_path".getBytes(StandardCharsets.UTF_16LE);
        byte[] value = "p.vhdx".getBytes(StandardCharsets.UTF_16LE);
        item.put(20, key).put(20 + key.length, value);
        entry(item, 4, 20, key.length, 20 + key.length, value.length);
        byte[] image = withLocator(small.clone(), item);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.references()).singleElement().extracting(ExternalReference::target)
                .isEqualTo("p.vhdx");
        assertThat(inspection.details()).containsEntry("parent_locator.relative_path", "p.vhdx");
    }

    @Test
    void readsOnlyTheCountedParentLocatorEntriesThatFitTheItem() {
        ByteBuffer item = locator(1, 200);
        byte[] key = "relative_path".getBytes(StandardCharsets.UTF_16LE);
        byte[] other = "absolute_win32_path".getBytes(StandardCharsets.UTF_16LE);
        byte[] value = "p.vhdx".getBytes(StandardCharsets.UTF_16LE);
        item.put(100, key).put(130, value).put(150, other);
        entry(item, 0, 100, key.length, 130, value.length);
        // A second entry the count does not include.
        entry(item, 1, 150, other.length, 130, value.length);
        byte[] image = withLocator(small.clone(), item);
        Inspection counted = InspectorHarness.inspect(inspector, image);

        assertThat(counted.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(counted.details()).containsEntry("parent_locator.relative_path", "p.vhdx")
                .doesNotContainKey("parent_locator.absolute_win32_path");

        // A count far beyond the item: only the entries inside it are read.
        item.putShort(18, (short) 1000);
        Inspection overcounted = InspectorHarness.inspect(inspector, withLocator(small.clone(), item));
        assertThat(overcounted.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(overcounted.details()).containsEntry("parent_locator.relative_path", "p.vhdx")
                .containsEntry("parent_locator.absolute_win32_path", "p.vhdx");
    }

    @Test
    void ignoresAParentPathThatRunsPastTheItem() {
        ByteBuffer item = locator(1, 100);
        byte[] key = "relative_path".getBytes(StandardCharsets.UTF_16LE);
        item.put(40, key);
        entry(item, 0, 40, key.length, 90, 12);

        Inspection inspection = InspectorHarness.inspect(inspector, withLocator(small.clone(), item));

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.references()).singleElement().extracting(ExternalReference::target)
                .isEqualTo("(parent locator without a readable path)");
    }

    @Test
    void rejectsAParentKeyGivenTwiceAtTheSecondEntry() {
        byte[] image = VhdxInspectorTest.withParentLocator(small.clone(), "relative_path", "a.vhdx",
                "relative_path", "b.vhdx");
        int item = VhdxInspectorTest.metadataItem(image, VhdxInspector.PARENT_LOCATOR);

        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER, item + 20 + 12);
    }

    private static ByteBuffer locator(int count, int length) {
        ByteBuffer item = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        item.putShort(18, (short) count);
        return item;
    }

    private static void entry(ByteBuffer item, int index, int keyOffset, int keyLength, int valueOffset,
            int valueLength) {
        int entry = 20 + index * 12;
        item.putInt(entry, keyOffset).putInt(entry + 4, valueOffset).putShort(entry + 8, (short) keyLength)
                .putShort(entry + 10, (short) valueLength);
    }

    /** Adds {@code item} as the parent locator, 128 KiB into the metadata region, and sets HasParent. */
    private static byte[] withLocator(byte[] image, ByteBuffer item) {
        int table = VhdxInspectorTest.metadataTable(image);
        int count = le(image).getShort(table + 10);
        System.arraycopy(item.array(), 0, image, table + 128 * 1024, item.capacity());
        putItem(image, count, VhdxInspector.PARENT_LOCATOR, 128 * 1024, item.capacity(), 4);
        le(image).putShort(table + 10, (short) (count + 1));
        int parameters = VhdxInspectorTest.metadataItem(image, VhdxInspector.FILE_PARAMETERS);
        le(image).putInt(parameters + 4, le(image).getInt(parameters + 4) | VhdxInspector.HAS_PARENT);
        return image;
    }

    private static void putItem(byte[] image, int index, UUID id, int offset, int length, int flags) {
        int entry = VhdxInspectorTest.metadataTable(image) + 32 + index * 32;
        VhdxInspectorTest.putGuid(le(image), entry, id);
        le(image).putInt(entry + 16, offset).putInt(entry + 20, length).putInt(entry + 24, flags);
    }

    private static void putRegion(byte[] image, int index, UUID id, long offset, long length, int required) {
        int entry = RT + 16 + index * 32;
        VhdxInspectorTest.putGuid(le(image), entry, id);
        le(image).putLong(entry + 16, offset).putInt(entry + 24, (int) length).putInt(entry + 28, required);
        VhdxInspectorTest.seal(image, RT, VhdxInspector.REGION_TABLE_SIZE);
    }

    private static int itemEntry(byte[] image, UUID id) {
        int table = VhdxInspectorTest.metadataTable(image);
        int count = le(image).getShort(table + 10);
        for (int i = 0; i < count; i++) {
            int entry = table + 32 + i * 32;
            if (Guids.mixedEndian(le(image), entry).equals(id)) {
                return entry;
            }
        }
        throw new AssertionError("no metadata item " + id);
    }

    private static int regionEntry(byte[] image, UUID id) {
        int count = le(image).getInt(RT + 8);
        for (int i = 0; i < count; i++) {
            int entry = RT + 16 + i * 32;
            if (Guids.mixedEndian(le(image), entry).equals(id)) {
                return entry;
            }
        }
        throw new AssertionError("no region " + id);
    }

    private static long batLength(byte[] image) {
        return le(image).getInt(regionEntry(image, VhdxInspector.BAT_REGION) + 24) & 0xFFFFFFFFL;
    }

    private static long metadataRegion(byte[] image) {
        return VhdxInspectorTest.metadataTable(image);
    }

    private static ByteBuffer le(byte[] image) {
        return ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static Path write(String name, byte[] image) throws Exception {
        Path file = dir.resolve(name);
        Files.write(file, image);
        return file;
    }

    private static void assertRejectedAt(Inspection inspection, FindingCode code, long offset) {
        assertThat(inspection.level()).isNotEqualTo(MatchLevel.NONE);
        assertThat(inspection.findings()).anySatisfy(finding -> {
            assertThat(finding.code()).isEqualTo(code);
            assertThat(finding.rejects()).isTrue();
            assertThat(finding.offset()).isEqualTo(offset);
        });
    }
}
