package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.Finding;
import dev.diskimage.core.FindingCode;
import dev.diskimage.core.Severity;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VhdInspectorTest {

    private final VhdInspector inspector = new VhdInspector();

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({
        "dynamic, off, 10M", "dynamic, on, 10M", "fixed, off, 10M", "fixed, on, 10M",
        "dynamic, off, 1000000000", "dynamic, on, 1000000000", "fixed, on, 3000000",
        "dynamic, off, 3G", "dynamic, on, 3G", "dynamic, off, 2000G", "dynamic, on, 2040G"})
    void matchesQemuCreatedVhdWithTheSizeQemuReports(String subformat, String forceSize, String size)
            throws Exception {
        Path image = InspectorHarness.qemuImg(dir, "disk.vhd", "create", "-q", "-f", "vpc", "-o",
                "subformat=" + subformat + ",force_size=" + forceSize, "{}", size);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).isEmpty();
        assertThat(inspection.variant()).contains(subformat);
        assertThat(inspection.references()).isEmpty();
        assertThat(inspection.virtualSize()).hasValue(InspectorHarness.qemuVirtualSize(image, "vpc"));
    }

    @Test
    void matchesRawConvertedToVhd() throws Exception {
        Path raw = dir.resolve("disk.raw");
        byte[] data = new byte[3 << 20];
        Arrays.fill(data, 0, 1 << 20, (byte) 0x5A);
        Files.write(raw, data);
        Path image = InspectorHarness.qemuImg(dir, "converted.vhd", "convert", "-f", "raw", "-O", "vpc",
                raw.toString(), "{}");

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).contains("dynamic");
        assertThat(inspection.findings()).isEmpty();
        assertThat(inspection.virtualSize()).hasValue(InspectorHarness.qemuVirtualSize(image, "vpc"));
    }

    @Test
    void matchesWithShortReads() throws Exception {
        Path image = createDynamic("10M");

        Inspection inspection = InspectorHarness.inspectWithShortReads(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(InspectorHarness.qemuVirtualSize(image, "vpc"));
    }

    @Test
    void reportsDifferencingDiskParentAsBackingReference() throws Exception {
        byte[] image = differencing(Files.readAllBytes(createDynamic("10M")), "parent.vhd",
                "..\\parent.vhd");

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).contains("differencing");
        assertThat(inspection.references()).singleElement().satisfies(reference -> {
            assertThat(reference.kind()).isEqualTo(ExternalReference.Kind.BACKING);
            assertThat(reference.code()).isEqualTo(FindingCode.VHD_DIFFERENCING);
            assertThat(reference.target()).isEqualTo("parent.vhd");
        });
        assertThat(inspection.details()).containsEntry("parent_locator.0", "W2ru:..\\parent.vhd");
    }

    @Test
    void rejectsParentLocatorOutsideTheFile() throws Exception {
        byte[] image = differencing(Files.readAllBytes(createDynamic("10M")), "parent.vhd", "p.vhd");
        ByteBuffer header = ByteBuffer.wrap(image, 512, 1024).slice();
        header.putLong(576 + 16, 1L << 40);
        sealDynamicHeader(image);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsBadFooterChecksum() throws Exception {
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        image[100] ^= 1;

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.VHD_BAD_CHECKSUM);
    }

    @Test
    void rejectsBadFixedFooterChecksum() throws Exception {
        byte[] image = Files.readAllBytes(createFixed("1M"));
        image[image.length - 512 + 100] ^= 1;

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.VHD_BAD_CHECKSUM);
    }

    @Test
    void rejectsBadDynamicHeaderChecksum() throws Exception {
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        image[512 + 100] ^= 1;

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.VHD_BAD_CHECKSUM);
    }

    @Test
    void rejectsBlockAllocationTableBeyondEndOfFile() throws Exception {
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        ByteBuffer.wrap(image).putLong(512 + 16, image.length - 8);
        sealDynamicHeader(image);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.VHD_TABLE_OUT_OF_BOUNDS);
    }

    @Test
    void rejectsAllocatedBlockBeyondEndOfFile() throws Exception {
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        ByteBuffer.wrap(image).putInt(1536, 0x10000);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.VHD_TABLE_OUT_OF_BOUNDS);
    }

    @Test
    void rejectsHugeMaxTableEntriesWithoutAllocating() throws Exception {
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        ByteBuffer.wrap(image).putInt(512 + 28, 0xFFFFFFFF);
        sealDynamicHeader(image);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.VHD_TABLE_OUT_OF_BOUNDS);
    }

    @Test
    void rejectsTableTooSmallForVirtualSize() throws Exception {
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        ByteBuffer.wrap(image).putInt(512 + 28, 1);
        sealDynamicHeader(image);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
    }

    @ParameterizedTest
    @CsvSource({"0", "1000", "1073741824", "-1"})
    void rejectsInsaneBlockSizes(int blockSize) throws Exception {
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        ByteBuffer.wrap(image).putInt(512 + 32, blockSize);
        sealDynamicHeader(image);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsAbsurdCurrentSize() throws Exception {
        byte[] image = Files.readAllBytes(createDynamicForceSize("10M"));
        ByteBuffer.wrap(image).putLong(48, Long.MAX_VALUE);
        sealFooter(image, 0);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
        ByteBuffer.wrap(image).putLong(48, -1L);
        sealFooter(image, 0);
        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsDynamicHeaderOffsetBeyondEndOfFile() throws Exception {
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        ByteBuffer.wrap(image).putLong(16, -2L);
        sealFooter(image, 0);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
        ByteBuffer.wrap(image).putLong(16, 1L << 40);
        sealFooter(image, 0);
        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.TRUNCATED);
    }

    @ParameterizedTest
    @CsvSource({"2", "5", "0"})
    void rejectsFooterCopyWithNonDynamicType(int type) throws Exception {
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        ByteBuffer.wrap(image).putInt(60, type);
        sealFooter(image, 0);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsDynamicFooterWithoutCopyAtStart() throws Exception {
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        Arrays.fill(image, 0, 8, (byte) 0);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void acceptsDynamicDiskWithDamagedEndFooterWithWarning() throws Exception {
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        image[image.length - 512] = 'X';

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).singleElement().satisfies(finding ->
                assertThat(finding.severity()).isEqualTo(Severity.WARN));
    }

    @Test
    void matchesRawDataFollowedByValidFixedFooter() throws Exception {
        byte[] fixed = Files.readAllBytes(createFixed("1M"));
        byte[] footer = Arrays.copyOfRange(fixed, fixed.length - 512, fixed.length);
        long declared = ByteBuffer.wrap(footer).getLong(48);
        byte[] image = new byte[(int) declared + 512];
        Arrays.fill(image, 0, (int) declared, (byte) 0xA5);
        System.arraycopy(footer, 0, image, (int) declared, 512);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).contains("fixed");
        assertThat(inspection.virtualSize()).hasValue(declared);
    }

    @Test
    void rejectsFixedFooterDeclaringMoreDataThanPrecedesIt() throws Exception {
        byte[] fixed = Files.readAllBytes(createFixed("1M"));
        byte[] image = Arrays.copyOfRange(fixed, fixed.length - 4096, fixed.length);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.TRUNCATED);
    }

    @Test
    void ignoresFilesWithoutCookie() {
        assertThat(InspectorHarness.inspect(inspector, new byte[4096]).level()).isEqualTo(MatchLevel.NONE);
        assertThat(InspectorHarness.inspect(inspector, new byte[0]).level()).isEqualTo(MatchLevel.NONE);
        assertThat(InspectorHarness.inspect(inspector, "conectix".getBytes(StandardCharsets.US_ASCII)).level())
                .isEqualTo(MatchLevel.NONE);
    }

    @Test
    void truncatedDynamicDiskNeverMatchesSilently() throws Exception {
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        for (Inspection inspection : InspectorHarness.inspectTruncatedAt(inspector, image, 1, 511)) {
            assertThat(inspection.level()).isEqualTo(MatchLevel.NONE);
        }

        for (Inspection inspection : InspectorHarness.inspectTruncatedAt(inspector, image,
                512, 513, 1024, 1535, 1536, 1537, 2047, 2048, image.length - 1)) {
            // Cut before the end of the tables: rejected; cut into the end footer only: qemu still
            // reads the disk by its copy at offset 0, so a match that carries a warning.
            assertThat(inspection.findings()).isNotEmpty();
            if (inspection.level() == MatchLevel.MAGIC_ONLY) {
                assertThat(inspection.findings()).anyMatch(Finding::rejects);
            }
        }
    }

    @Test
    void truncatedFixedDiskIsNotRecognised() throws Exception {
        byte[] image = Files.readAllBytes(createFixed("1M"));

        for (Inspection inspection : InspectorHarness.inspectTruncatedAt(inspector, image,
                511, 512, image.length - 512, image.length - 1)) {
            assertThat(inspection.level()).isEqualTo(MatchLevel.NONE);
        }
    }

    private Path createDynamic(String size) throws Exception {
        return InspectorHarness.qemuImg(dir, "dyn-" + size + ".vhd", "create", "-q", "-f", "vpc", "-o",
                "subformat=dynamic", "{}", size);
    }

    private Path createDynamicForceSize(String size) throws Exception {
        return InspectorHarness.qemuImg(dir, "dyn2-" + size + ".vhd", "create", "-q", "-f", "vpc", "-o",
                "subformat=dynamic,force_size=on", "{}", size);
    }

    private Path createFixed(String size) throws Exception {
        return InspectorHarness.qemuImg(dir, "fixed-" + size + ".vhd", "create", "-q", "-f", "vpc", "-o",
                "subformat=fixed", "{}", size);
    }

    /** qemu cannot create differencing VHDs, so turn a dynamic one into one by hand. */
    static byte[] differencing(byte[] dynamic, String parentName, String relativeLocator) {
        byte[] image = Arrays.copyOf(dynamic, dynamic.length + 512);
        int oldFooter = dynamic.length - 512;
        // Move the end footer one sector on, and put the locator data where it was.
        System.arraycopy(dynamic, oldFooter, image, image.length - 512, 512);
        byte[] locator = relativeLocator.getBytes(StandardCharsets.UTF_16LE);
        Arrays.fill(image, oldFooter, oldFooter + 512, (byte) 0);
        System.arraycopy(locator, 0, image, oldFooter, locator.length);

        ByteBuffer all = ByteBuffer.wrap(image);
        all.putInt(60, VhdInspector.TYPE_DIFFERENCING);
        sealFooter(image, 0);
        System.arraycopy(image, 0, image, image.length - 512, 512);

        byte[] name = parentName.getBytes(StandardCharsets.UTF_16BE);
        System.arraycopy(name, 0, image, 512 + 64, name.length);
        int entry = 512 + 576;
        all.put(entry, "W2ru".getBytes(StandardCharsets.US_ASCII));
        all.putInt(entry + 4, 512);
        all.putInt(entry + 8, locator.length);
        all.putLong(entry + 16, oldFooter);
        sealDynamicHeader(image);
        return image;
    }

    static void sealFooter(byte[] image, int offset) {
        ByteBuffer footer = ByteBuffer.wrap(image, offset, 512).slice();
        footer.putInt(64, 0);
        footer.putInt(64, (int) VhdInspector.checksum(footer, 64));
    }

    static void sealDynamicHeader(byte[] image) {
        ByteBuffer header = ByteBuffer.wrap(image, 512, 1024).slice();
        header.putInt(36, 0);
        header.putInt(36, (int) VhdInspector.checksum(header, 36));
    }

    private static void assertRejected(Inspection inspection, FindingCode code) {
        assertThat(inspection.level()).isNotEqualTo(MatchLevel.NONE);
        assertThat(inspection.findings()).anySatisfy(finding -> {
            assertThat(finding.code()).isEqualTo(code);
            assertThat(finding.rejects()).isTrue();
        });
    }

}
