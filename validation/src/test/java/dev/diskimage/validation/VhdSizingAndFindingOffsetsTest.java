package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * VHD virtual sizing by creator application and geometry (checked against qemu-img), the offsets
 * findings point at, the exact table-size limits and parent locators beyond the first.
 */
class VhdSizingAndFindingOffsetsTest {

    private static final int HEADER = 512;

    private final VhdInspector inspector = new VhdInspector();

    @TempDir
    static Path dir;

    private static byte[] dynamic10M;
    private static byte[] dynamic4MForceSize;
    private static byte[] fixed1M;
    private static byte[] converted;

    @BeforeAll
    static void createImages() throws Exception {
        dynamic10M = Files.readAllBytes(InspectorHarness.qemuImg(dir, "dyn.vhd", "create", "-q", "-f", "vpc", "-o",
                "subformat=dynamic", "{}", "10M"));
        dynamic4MForceSize = Files.readAllBytes(InspectorHarness.qemuImg(dir, "dyn4.vhd", "create", "-q", "-f",
                "vpc", "-o", "subformat=dynamic,force_size=on", "{}", "4M"));
        fixed1M = Files.readAllBytes(InspectorHarness.qemuImg(dir, "fixed.vhd", "create", "-q", "-f", "vpc", "-o",
                "subformat=fixed", "{}", "1M"));
        Path raw = dir.resolve("data.raw");
        byte[] data = new byte[3 << 20];
        Arrays.fill(data, 0, 1 << 20, (byte) 0x5A);
        Files.write(raw, data);
        converted = Files.readAllBytes(InspectorHarness.qemuImg(dir, "converted.vhd", "convert", "-f", "raw", "-O",
                "vpc", raw.toString(), "{}"));
    }

    @ParameterizedTest(name = "creator ''{0}'' geometry {1}/{2}/{3} current size {4}")
    @CsvSource({
        "'win ', 31, 4, 17, 512000, 512000",
        "'qem2', 31, 4, 17, 512000, 512000",
        "'d2v ', 31, 4, 17, 512000, 512000",
        "'CTXS', 31, 4, 17, 512000, 512000",
        "'tap', 31, 4, 17, 512000, 512000",
        "'vpc ', 31, 4, 17, 512000, 1079296",
        "'vpc ', 65535, 16, 255, 512000, 512000",
        "'win ', 31, 4, 17, 0, 0"})
    void sizesAFixedDiskByCurrentSizeOrGeometryAsQemuDoes(String creator, int cylinders, int heads, int sectors,
            long currentSize, long expected) throws Exception {
        byte[] image = fixed1M.clone();
        int footer = image.length - 512;
        ByteBuffer buffer = ByteBuffer.wrap(image);
        // "tap\0" (XenServer blktap) ends in a NUL, which a CSV cannot hold.
        String app = creator.length() == 3 ? creator + "\0" : creator;
        buffer.put(footer + 28, app.getBytes(StandardCharsets.ISO_8859_1));
        buffer.putLong(footer + 48, currentSize);
        buffer.putShort(footer + 56, (short) cylinders).put(footer + 58, (byte) heads).put(footer + 59, (byte) sectors);
        VhdInspectorTest.sealFooter(image, footer);
        Path file = dir.resolve("sized-" + creator.trim() + "-" + cylinders + "-" + currentSize + ".vhd");
        Files.write(file, image);

        Inspection inspection = InspectorHarness.inspect(inspector, file);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).isEmpty();
        assertThat(inspection.virtualSize()).hasValue(expected);
        assertThat(InspectorHarness.qemuVirtualSize(file, "vpc")).isEqualTo(expected);
    }

    @Test
    void acceptsATableWithExactlyTheEntriesTheVirtualSizeNeeds() {
        // 4 MiB in 2 MiB blocks: two entries, no more, no fewer.
        assertThat(ByteBuffer.wrap(dynamic4MForceSize).getInt(HEADER + 28)).isEqualTo(2);

        Inspection inspection = InspectorHarness.inspect(inspector, dynamic4MForceSize);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(4L << 20);
        assertThat(inspection.details()).containsEntry("block_size", 2L << 20);
    }

    @Test
    void rejectsATableOneEntryShortAtTheEntryCountField() {
        byte[] image = dynamic4MForceSize.clone();
        ByteBuffer.wrap(image).putInt(HEADER + 28, 1);
        VhdInspectorTest.sealDynamicHeader(image);

        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER, HEADER + 28);
    }

    @Test
    void rejectsMoreTableEntriesThanA2040GibDiskUsesAtTheEntryCountField() {
        byte[] image = dynamic10M.clone();
        // 2040 GiB in 2 MiB blocks is 1044480 entries; one more is refused before the table is placed.
        ByteBuffer.wrap(image).putInt(HEADER + 28, 1044481);
        VhdInspectorTest.sealDynamicHeader(image);

        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.VHD_TABLE_OUT_OF_BOUNDS,
                HEADER + 28);
    }

    @Test
    void rejectsABadDynamicHeaderChecksumAtTheChecksumField() {
        byte[] image = dynamic10M.clone();
        image[HEADER + 100] ^= 1;

        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.VHD_BAD_CHECKSUM, HEADER + 36);
    }

    @ParameterizedTest
    @CsvSource({"0", "1000", "1073741824"})
    void rejectsABadBlockSizeAtTheBlockSizeField(int blockSize) {
        byte[] image = dynamic10M.clone();
        ByteBuffer.wrap(image).putInt(HEADER + 32, blockSize);
        VhdInspectorTest.sealDynamicHeader(image);

        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER, HEADER + 32);
    }

    @Test
    void rejectsADynamicHeaderOffsetOfZeroAtTheMissingCookie() {
        byte[] image = dynamic10M.clone();
        ByteBuffer.wrap(image).putLong(16, 0);
        VhdInspectorTest.sealFooter(image, 0);

        // Offset 0 is a valid place, but it holds the footer copy, not "cxsparse".
        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertRejectedAt(inspection, FindingCode.MALFORMED_HEADER, 0);
        assertThat(inspection.findings()).anySatisfy(f -> assertThat(f.message()).contains("cxsparse"));
    }

    @Test
    void rejectsADynamicEndFooterWithoutCopyAtItsDiskTypeField() {
        byte[] image = dynamic10M.clone();
        Arrays.fill(image, 0, 8, (byte) 0);

        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER,
                image.length - 512 + 60);
    }

    @Test
    void rejectsAFooterCookieCutShortAtTheCookie() {
        byte[] image = Arrays.copyOf(fixed1M, fixed1M.length - 4);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertRejectedAt(inspection, FindingCode.TRUNCATED, fixed1M.length - 512);
        assertThat(inspection.findings()).anySatisfy(f -> assertThat(f.message())
                .contains("offset " + (fixed1M.length - 512)).contains("508 bytes later"));
    }

    @Test
    void rejectsATableOffsetSoLargeThatItsEndOverflows() {
        byte[] image = dynamic10M.clone();
        ByteBuffer.wrap(image).putLong(HEADER + 16, Long.MAX_VALUE - 8);
        VhdInspectorTest.sealDynamicHeader(image);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertRejectedAt(inspection, FindingCode.VHD_TABLE_OUT_OF_BOUNDS, Long.MAX_VALUE - 8);
    }

    @Test
    void rejectsAnAllocatedBlockThatStartsAtTheEndFooter() {
        byte[] image = converted.clone();
        long tableOffset = ByteBuffer.wrap(image).getLong(HEADER + 16);
        int footerSector = (image.length - 512) / 512;
        ByteBuffer.wrap(image).putInt((int) tableOffset, footerSector);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertRejectedAt(inspection, FindingCode.VHD_TABLE_OUT_OF_BOUNDS, (long) footerSector * 512);
        assertThat(inspection.findings()).anySatisfy(f -> assertThat(f.message()).contains("VHD data block 0"));
    }

    @Test
    void findsTheParentByTheFirstNonEmptyLocatorAndReportsEveryLocator() {
        byte[] image = VhdInspectorTest.differencing(dynamic10M, "", "unused");
        int data = dynamic10M.length - 512;
        ByteBuffer all = ByteBuffer.wrap(image);
        Arrays.fill(image, data, data + 512, (byte) 0);
        byte[] first = "a.vhd".getBytes(StandardCharsets.UTF_16LE);
        byte[] second = "b.vhd".getBytes(StandardCharsets.UTF_16LE);
        byte[] mac = "file://./c.vhd".getBytes(StandardCharsets.UTF_8);
        byte[] reserved = "z.vhd".getBytes(StandardCharsets.UTF_16LE);
        all.put(data + 64, first).put(data + 128, second).put(data + 192, mac).put(data + 256, reserved);
        locator(all, 0, "W2ku", data, 0);
        locator(all, 1, "W2ru", data + 64, first.length);
        locator(all, 2, "W2ku", data + 128, second.length);
        locator(all, 3, "MacX", data + 192, mac.length);
        // The reserved bytes after the eight locator entries are not a ninth locator.
        locator(all, 8, "W2ru", data + 256, reserved.length);
        VhdInspectorTest.sealDynamicHeader(image);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.references()).singleElement().satisfies(reference -> {
            assertThat(reference.target()).isEqualTo("a.vhd");
            assertThat(reference.offset()).isEqualTo(HEADER + 64);
        });
        assertThat(inspection.details())
                .containsEntry("parent_locator.0", "W2ku:")
                .containsEntry("parent_locator.1", "W2ru:a.vhd")
                .containsEntry("parent_locator.2", "W2ku:b.vhd")
                .containsEntry("parent_locator.3", "MacX:file://./c.vhd")
                .doesNotContainKey("parent_locator.8");
    }

    @Test
    void namesAnUnnamedParentWithoutLocatorsAsSuch() {
        byte[] image = VhdInspectorTest.differencing(dynamic10M, "", "");
        Arrays.fill(image, HEADER + 576, HEADER + 576 + 24, (byte) 0);
        VhdInspectorTest.sealDynamicHeader(image);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.references()).singleElement().extracting(ExternalReference::target)
                .isEqualTo("(unnamed parent)");
    }

    private static void locator(ByteBuffer image, int slot, String platform, int offset, int length) {
        int entry = HEADER + 576 + slot * 24;
        image.put(entry, platform.getBytes(StandardCharsets.US_ASCII));
        image.putInt(entry + 4, 512);
        image.putInt(entry + 8, length);
        image.putLong(entry + 16, offset);
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
