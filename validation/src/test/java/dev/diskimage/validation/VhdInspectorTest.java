package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.vhd.VhdChecksum;
import dev.diskimage.core.vhd.VhdDiskType;
import dev.diskimage.core.vhd.VhdFooter;
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

    /** A read budget that holds the block allocation table of a 2040 GiB dynamic VHD (4 MB). */
    private static final long LARGE_BUDGET = 8L << 20;
    private static final byte[] COOKIE = VhdFooter.COOKIE.getBytes(StandardCharsets.US_ASCII);

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

        // The whole block allocation table is read: 4 MB for 2000 GiB with 2 MiB blocks.
        Inspection inspection = InspectorHarness.inspect(inspector, image, LARGE_BUDGET);

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
    void acceptsDynamicDiskWithoutEndFooterWithWarning() throws Exception {
        // qemu reads by the copy at offset 0 and tolerates this (a crash while it allocates a block
        // leaves it so); no reader can find another footer at the end.
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        Arrays.fill(image, image.length - 512, image.length, (byte) 0);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).contains("dynamic");
        assertThat(inspection.findings()).singleElement().satisfies(finding -> {
            assertThat(finding.severity()).isEqualTo(Severity.WARN);
            assertThat(finding.message()).contains("missing");
        });
    }

    @Test
    void rejectsDynamicDiskWhoseEndFooterHasABadChecksum() throws Exception {
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        image[image.length - 512 + 100] ^= 1;

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertRejected(inspection, FindingCode.VHD_BAD_CHECKSUM);
        assertThat(inspection.findings()).anySatisfy(finding ->
                assertThat(finding.offset()).isEqualTo(image.length - 512 + 64));
    }

    @Test
    void rejectsDifferencingEndFooterBehindADynamicCopyAtOffsetZero() throws Exception {
        // qemu reads the dynamic copy at offset 0; Hyper-V and the specification the end footer,
        // which makes the same file a differencing disk with a parent.
        byte[] image = differencing(Files.readAllBytes(createDynamic("10M")), "parent.vhd", "parent.vhd");
        ByteBuffer.wrap(image).putInt(60, VhdDiskType.DYNAMIC.code());
        sealFooter(image, 0);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertRejected(inspection, FindingCode.VHD_FOOTER_MISMATCH);
        assertThat(inspection.variant()).contains("differencing");
        assertThat(inspection.references()).singleElement().satisfies(reference -> {
            assertThat(reference.code()).isEqualTo(FindingCode.VHD_DIFFERENCING);
            assertThat(reference.target()).isEqualTo("parent.vhd");
        });
    }

    @Test
    void rejectsDynamicEndFooterBehindADifferencingCopyAtOffsetZero() throws Exception {
        byte[] image = differencing(Files.readAllBytes(createDynamic("10M")), "parent.vhd", "parent.vhd");
        ByteBuffer.wrap(image).putInt(image.length - 512 + 60, VhdDiskType.DYNAMIC.code());
        sealFooter(image, image.length - 512);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertRejected(inspection, FindingCode.VHD_FOOTER_MISMATCH);
        assertThat(inspection.references()).extracting(ExternalReference::code)
                .containsExactly(FindingCode.VHD_DIFFERENCING);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "disk type, 60, 4", "dynamic header offset, 16, 8", "creator application, 28, 4",
        "current size, 48, 8", "geometry cylinders, 56, 2", "geometry heads, 58, 1",
        "geometry sectors, 59, 1", "unique id, 68, 16", "unique id last byte, 83, 1"})
    void rejectsEndFooterThatDescribesAnotherDisk(String field, int offset, int length) throws Exception {
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        int end = image.length - 512;
        image[end + offset + length - 1] ^= 0x10;
        sealFooter(image, end);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertRejected(inspection, FindingCode.VHD_FOOTER_MISMATCH);
        assertThat(inspection.findings()).filteredOn(f -> f.code() == FindingCode.VHD_FOOTER_MISMATCH)
                .singleElement().satisfies(finding -> {
                    assertThat(finding.offset()).isEqualTo(end);
                    assertThat(finding.message()).contains(field.replaceAll(" (cylinders|heads|sectors|last byte)", ""));
                });
    }

    @Test
    void warnsWhenEndFooterDiffersOnlyInFieldsThatDoNotChangeTheDisk() throws Exception {
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        int end = image.length - 512;
        ByteBuffer.wrap(image).putInt(end + 24, 12345); // time stamp
        sealFooter(image, end);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).singleElement().satisfies(finding -> {
            assertThat(finding.severity()).isEqualTo(Severity.WARN);
            assertThat(finding.message()).contains("do not change the disk");
        });
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
        assertThat(InspectorHarness.inspect(inspector, "conecti".getBytes(StandardCharsets.US_ASCII)).level())
                .isEqualTo(MatchLevel.NONE);
    }

    @ParameterizedTest
    @CsvSource({"8", "9", "100", "511"})
    void rejectsFileShorterThanAFooterThatStartsWithTheCookie(int length) {
        byte[] image = new byte[length];
        System.arraycopy(COOKIE, 0, image, 0, 8);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertRejected(inspection, FindingCode.TRUNCATED);
        assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
    }

    @ParameterizedTest
    @CsvSource({"1", "3", "256", "504"})
    void rejectsFixedDiskWhoseFooterIsCutShort(int missing) throws Exception {
        byte[] fixed = Files.readAllBytes(createFixed("1M"));
        byte[] image = Arrays.copyOf(fixed, fixed.length - missing);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertRejected(inspection, FindingCode.TRUNCATED);
    }

    @ParameterizedTest
    @CsvSource({"1", "200", "504"})
    void rejectsDynamicDiskWhoseEndFooterIsCutShort(int missing) throws Exception {
        byte[] dynamic = Files.readAllBytes(createDynamic("10M"));
        byte[] image = Arrays.copyOf(dynamic, dynamic.length - missing);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.TRUNCATED);
    }

    @Test
    void rejectsCookieInTheLastSectorOfASmallFile() {
        byte[] image = new byte[300];
        System.arraycopy(COOKIE, 0, image, 200, 8);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.TRUNCATED);
    }

    @Test
    void truncatedDynamicDiskNeverMatchesSilently() throws Exception {
        byte[] image = Files.readAllBytes(createDynamic("10M"));
        for (Inspection inspection : InspectorHarness.inspectTruncatedAt(inspector, image, 1, 7)) {
            assertThat(inspection.level()).isEqualTo(MatchLevel.NONE);
        }

        assertThat(image.length).isEqualTo(2560);
        for (Inspection inspection : InspectorHarness.inspectTruncatedAt(inspector, image,
                8, 511, 512, 513, 1024, 1535, 1536, 1537, 2047, image.length - 504, image.length - 1)) {
            // Cut anywhere from the cookie on: rejected, also when only the end footer is cut.
            assertThat(inspection.level()).isNotEqualTo(MatchLevel.NONE);
            assertThat(inspection.findings()).anyMatch(Finding::rejects);
        }
        // Cut exactly before the end footer: the footer is missing, which qemu tolerates.
        Inspection withoutEndFooter = InspectorHarness.inspectTruncatedAt(inspector, image, 2048).get(0);
        assertThat(withoutEndFooter.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(withoutEndFooter.findings()).singleElement().satisfies(finding ->
                assertThat(finding.severity()).isEqualTo(Severity.WARN));
    }

    @Test
    void truncatedFixedDiskIsNotRecognisedOrRejected() throws Exception {
        byte[] image = Files.readAllBytes(createFixed("1M"));

        // The footer is gone (or all but its first bytes): what is left is raw data.
        for (Inspection inspection : InspectorHarness.inspectTruncatedAt(inspector, image,
                511, 512, image.length - 512, image.length - 505)) {
            assertThat(inspection.level()).isEqualTo(MatchLevel.NONE);
        }
        // The cookie is there but the footer is cut: a damaged VHD, never raw.
        for (Inspection inspection : InspectorHarness.inspectTruncatedAt(inspector, image,
                image.length - 504, image.length - 1)) {
            assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
            assertThat(inspection.findings()).anyMatch(Finding::rejects);
        }
    }

    @Test
    void rejectsAllocatedBlockPastEndOfFileInA40GibDiskWhoseTableExceeds64Kib() throws Exception {
        Path created = createDynamic("40G");
        byte[] image = Files.readAllBytes(created);
        int entries = ByteBuffer.wrap(image).getInt(512 + 28);
        assertThat(entries * 4).isGreaterThan(64 * 1024);
        int last = entries - 1;
        // The last block allocated right after the table, as qemu would, but the file ends first.
        ByteBuffer.wrap(image).putInt(1536 + last * 4, (image.length - 512) / 512);
        Path patched = dir.resolve("patched-40G.vhd");
        Files.write(patched, image);

        Inspection inspection = InspectorHarness.inspect(inspector, patched);

        assertRejected(inspection, FindingCode.VHD_TABLE_OUT_OF_BOUNDS);
        assertThat(inspection.findings()).anySatisfy(finding ->
                assertThat(finding.message()).contains("VHD data block " + last));
        assertThatThrownBy(() -> InspectorHarness.qemuVirtualSize(patched, "vpc"))
                .hasMessageContaining("free_data_block_offset");
    }

    @Test
    void checksTableEntriesBeyondTheVirtualSizeAsQemuDoes() throws Exception {
        // A table with one entry more than the virtual size needs, in the padding of its sector.
        Path created = createDynamicForceSize("4M");
        byte[] image = Files.readAllBytes(created);
        int entries = ByteBuffer.wrap(image).getInt(512 + 28);
        ByteBuffer.wrap(image).putInt(512 + 28, entries + 1);
        sealDynamicHeader(image);
        ByteBuffer.wrap(image).putInt(1536 + entries * 4, 0x10000);
        Path patched = dir.resolve("patched-4M.vhd");
        Files.write(patched, image);

        assertRejected(InspectorHarness.inspect(inspector, patched), FindingCode.VHD_TABLE_OUT_OF_BOUNDS);
        assertThatThrownBy(() -> InspectorHarness.qemuVirtualSize(patched, "vpc"))
                .hasMessageContaining("free_data_block_offset");
    }

    @Test
    void rejectsTableLargerThanTheReadBudgetNamingTheBudget() throws Exception {
        Path image = InspectorHarness.qemuImg(dir, "big.vhd", "create", "-q", "-f", "vpc", "{}", "600G");

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertRejected(inspection, FindingCode.READ_BUDGET_EXCEEDED);
        assertThat(inspection.findings()).anySatisfy(finding ->
                assertThat(finding.message()).contains("read_budget").contains("block allocation table"));
        assertThat(InspectorHarness.inspect(inspector, image, LARGE_BUDGET).level()).isEqualTo(MatchLevel.MATCH);
    }

    @Test
    void rejectsTableWhoseLastSectorEndsBeyondTheFile() throws Exception {
        byte[] dynamic = Files.readAllBytes(createDynamic("10M"));
        byte[] image = Arrays.copyOf(dynamic, dynamic.length + 100);
        Arrays.fill(image, dynamic.length, image.length, (byte) 0xFF);
        ByteBuffer.wrap(image).putLong(512 + 16, image.length - 30);
        sealDynamicHeader(image);

        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.VHD_TABLE_OUT_OF_BOUNDS);
    }

    @Test
    void escapesControlCharactersInParentNameAndLocators() throws Exception {
        byte[] image = differencing(Files.readAllBytes(createDynamic("10M")), "evil\u001b[2J\nname\u0000hidden",
                "..\\p\u001b]0;x\u0007\r\nlocator\u0000tail");

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.references()).singleElement().extracting(ExternalReference::target)
                .isEqualTo("evil\\x1b[2J\\x0aname\\x00hidden");
        assertThat(inspection.details()).containsEntry("parent_locator.0",
                "W2ru:..\\p\\x1b]0;x\\x07\\x0d\\x0alocator\\x00tail");

        Path file = dir.resolve("evil.vhd");
        Files.write(file, image);
        ValidationReport report = ImageValidator.of(ImagePolicy.defaults()).validate(file,
                dev.diskimage.core.DiskFormat.VPC);
        assertThat(report.findings()).filteredOn(f -> f.code() == FindingCode.VHD_DIFFERENCING).singleElement()
                .satisfies(finding -> {
                    assertThat(finding.message()).contains("evil\\x1b[2J\\x0aname\\x00hidden");
                    assertThat(finding.message()).doesNotContain("\u001b", "\n", "\u0000");
                });
        assertThat(report.details().values()).allSatisfy(value ->
                assertThat(String.valueOf(value)).doesNotContain("\u001b", "\n", "\r", "\u0000", "\u0007"));
    }

    @Test
    void fuzzSeedsAreWhatTheirNamesSay() throws Exception {
        String corpus = "VhdInspectorFuzzTestInputs/inspectsArbitraryBytes/";
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "dynamic.vhd")).isEqualTo(MatchLevel.MATCH);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "fixed.vhd")).isEqualTo(MatchLevel.MATCH);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "footer-mismatch-differencing-end.vhd"))
                .isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "end-footer-cut.vhd"))
                .isEqualTo(MatchLevel.MAGIC_ONLY);
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
        all.putInt(60, VhdDiskType.DIFFERENCING.code());
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
        footer.putInt(64, (int) VhdChecksum.of(footer, footer.limit(), 64));
    }

    static void sealDynamicHeader(byte[] image) {
        ByteBuffer header = ByteBuffer.wrap(image, 512, 1024).slice();
        header.putInt(36, 0);
        header.putInt(36, (int) VhdChecksum.of(header, header.limit(), 36));
    }

    private static void assertRejected(Inspection inspection, FindingCode code) {
        assertThat(inspection.level()).isNotEqualTo(MatchLevel.NONE);
        assertThat(inspection.findings()).anySatisfy(finding -> {
            assertThat(finding.code()).isEqualTo(code);
            assertThat(finding.rejects()).isTrue();
        });
    }

}
