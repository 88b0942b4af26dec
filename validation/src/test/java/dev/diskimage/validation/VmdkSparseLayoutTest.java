package dev.diskimage.validation;

import static dev.diskimage.validation.InspectorHarness.inspect;
import static dev.diskimage.validation.InspectorHarness.qemuImg;
import static dev.diskimage.validation.VmdkForeignReferenceTest.cowd;
import static dev.diskimage.validation.VmdkForeignReferenceTest.le;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Where the VMDK inspector locates what it refuses (the finding offsets users see), how it sizes
 * the tables a sparse header points to, what it makes of the embedded descriptor when qemu would
 * follow it (zero capacity), of qemu's fixed descriptor window and of COWD header corners.
 */
class VmdkSparseLayoutTest {
    private static final VmdkInspector INSPECTOR = new VmdkInspector();
    private static final int SECTOR = 512;
    private static final int FLAGS = 8;
    private static final int CAPACITY = 12;
    private static final int GRAIN_SIZE = 20;
    private static final int DESCRIPTOR_OFFSET = 28;
    private static final int DESCRIPTOR_SIZE = 36;
    private static final int RGD_OFFSET = 48;
    private static final int GD_OFFSET = 56;
    private static final int OVERHEAD = 64;

    @TempDir
    static Path dir;
    /** qemu-img monolithicSparse, 10 MiB: descriptor at sector 1 (20 sectors), grain 128 sectors. */
    private static byte[] sparse;
    private static String ownDescriptor;
    /** qemu-img streamOptimized with its header moved into a footer. */
    private static byte[] footer;

    @BeforeAll
    static void images() throws Exception {
        sparse = Files.readAllBytes(qemuImg(dir, "own.vmdk", "create", "-q", "-f", "vmdk", "-o",
                "subformat=monolithicSparse", "{}", "10M"));
        ownDescriptor = VmdkForeignReferenceTest.descriptor(sparse, "own.vmdk");
        Path raw = dir.resolve("data.raw");
        byte[] data = new byte[1 << 20];
        new Random(5).nextBytes(data);
        Files.write(raw, data);
        footer = VmdkForeignReferenceTest.withFooter(Files.readAllBytes(qemuImg(dir, "stream.vmdk", "convert", "-q",
                "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw.toString(), "{}")));
    }

    private static Finding onlyFinding(Inspection inspection) {
        assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(inspection.findings()).hasSize(1);
        return inspection.findings().get(0);
    }

    private static void put(byte[] bytes, int offset, String text) {
        VmdkSelfContainmentTest.put(bytes, offset, text);
    }

    // ------------------------------------------------------------------ offsets of header findings

    @ParameterizedTest
    @CsvSource({"4, 4, 9, MALFORMED_HEADER", "12, 8, -1, MALFORMED_HEADER", "12, 8, 1125899906842624, MALFORMED_HEADER",
            "20, 8, 0, MALFORMED_HEADER", "20, 8, 3, MALFORMED_HEADER", "44, 4, 4096, MALFORMED_HEADER",
            "56, 8, 0, MALFORMED_HEADER", "64, 8, -1, MALFORMED_HEADER", "77, 2, 7, MALFORMED_HEADER",
            "28, 8, -2, MALFORMED_HEADER", "36, 8, 129, VMDK_MALFORMED_DESCRIPTOR", "36, 8, 0, VMDK_MALFORMED_DESCRIPTOR"})
    void locatesABadFieldOfTheFootersHeaderCopyAtThatField(int field, int width, long value, FindingCode code) {
        byte[] bytes = footer.clone();
        int copy = bytes.length - 1024;
        switch (width) {
            case 2 -> le(bytes).putShort(copy + field, (short) value);
            case 4 -> le(bytes).putInt(copy + field, (int) value);
            default -> le(bytes).putLong(copy + field, value);
        }

        Finding finding = onlyFinding(inspect(INSPECTOR, bytes));

        assertThat(finding.code()).isEqualTo(code);
        assertThat(finding.offset()).isEqualTo(copy + field);
    }

    @Test
    void locatesDamagedNewlineBytesOfTheFootersHeaderCopy() {
        byte[] bytes = footer.clone();
        int copy = bytes.length - 1024;
        bytes[copy + 75] = '\n';

        Finding finding = onlyFinding(inspect(INSPECTOR, bytes));

        assertThat(finding.code()).isEqualTo(FindingCode.MALFORMED_HEADER);
        assertThat(finding.offset()).isEqualTo(copy + 73);
    }

    @Test
    void locatesAFooterHeaderCopyThatDefersAgainAtTheCopy() {
        byte[] bytes = footer.clone();
        le(bytes).putLong(bytes.length - 1024 + GD_OFFSET, -1L);

        assertThat(onlyFinding(inspect(INSPECTOR, bytes)).offset()).isEqualTo(bytes.length - 1024);
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 12, 512, 1024, 1032, 1036})
    void rejectsAFooterWithAnyMarkerFieldWrong(int field) {
        byte[] bytes = footer.clone();
        int start = bytes.length - 1536;
        bytes[start + field] ^= 0x40;

        Finding finding = onlyFinding(inspect(INSPECTOR, bytes));

        assertThat(finding.code()).isEqualTo(FindingCode.MALFORMED_HEADER);
        assertThat(finding.offset()).isEqualTo(start);
    }

    @Test
    void acceptsTheSmallestStreamWhoseHeaderIsInAFooter() {
        // An empty disk: header, footer marker, header copy, end-of-stream marker; 2048 bytes.
        byte[] bytes = new byte[2048];
        byte[] header = Arrays.copyOf(footer, SECTOR);
        le(header).putLong(CAPACITY, 0).putLong(DESCRIPTOR_OFFSET, 0).putLong(DESCRIPTOR_SIZE, 0)
                .putLong(RGD_OFFSET, 0).putLong(OVERHEAD, 1);
        System.arraycopy(header, 0, bytes, 0, SECTOR);
        le(bytes).putLong(GD_OFFSET, -1L).putInt(SECTOR + 12, VmdkInspector.MARKER_FOOTER);
        System.arraycopy(header, 0, bytes, 2 * SECTOR, SECTOR);
        le(bytes).putLong(2 * SECTOR + GD_OFFSET, 1);

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.level()).as(inspection.findings().toString()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(0L);
        assertThat(inspection.details()).containsEntry("footer_offset", 1024L);
        assertThat(inspect(INSPECTOR, Arrays.copyOf(bytes, 2047)).findings()).extracting(Finding::code)
                .containsExactly(FindingCode.TRUNCATED);
    }

    @Test
    void reportsTheHeaderFieldsOfAQemuImage() {
        Inspection inspection = inspect(INSPECTOR, sparse);

        assertThat(inspection.details()).containsEntry("version", 1L).containsEntry("grain_size", 65536L)
                .containsEntry("compressed", false);
    }

    @Test
    void rejectsAnUncompressedHeaderWhoseDescriptorClaimsStreamOptimized() {
        byte[] bytes = sparse.clone();
        Arrays.fill(bytes, SECTOR, 21 * SECTOR, (byte) 0);
        put(bytes, SECTOR, ownDescriptor.replace("monolithicSparse", "streamOptimized"));

        Finding finding = onlyFinding(inspect(INSPECTOR, bytes));

        assertThat(finding.code()).isEqualTo(FindingCode.MALFORMED_HEADER);
        assertThat(finding.offset()).isEqualTo(0);
    }

    // ------------------------------------------------------------------ table sizes

    /** The image with a capacity of {@code gdEntries} full grain tables plus {@code extra} sectors, GD in the last sector. */
    private static byte[] gdInLastSector(long capacity) {
        byte[] bytes = sparse.clone();
        le(bytes).putLong(CAPACITY, capacity).putLong(GD_OFFSET, bytes.length / SECTOR - 1)
                .putLong(RGD_OFFSET, bytes.length / SECTOR - 1);
        return bytes;
    }

    @Test
    void theGrainDirectoryNeedsAnEntryForEveryStartedGrainTable() {
        long perTable = 128 * 512;
        byte[] full = gdInLastSector(128 * perTable);
        byte[] oneMore = gdInLastSector(128 * perTable + 1);

        // The own descriptor's extent no longer matches the capacity: it is reported, not refused.
        assertThat(inspect(INSPECTOR, full).level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspect(INSPECTOR, full).virtualSize()).hasValue(128 * perTable * SECTOR);
        assertThat(onlyFinding(inspect(INSPECTOR, oneMore)).code()).isEqualTo(FindingCode.TRUNCATED);
    }

    @Test
    void checksTheRedundantGrainDirectoryOnlyWhenTheHeaderDeclaresIt() {
        byte[] declared = sparse.clone();
        le(declared).putLong(RGD_OFFSET, 0);
        byte[] undeclared = declared.clone();
        le(undeclared).putInt(FLAGS, le(undeclared).getInt(FLAGS) & ~2);
        byte[] beyond = sparse.clone();
        le(beyond).putLong(RGD_OFFSET, 1 << 20);

        Finding zero = onlyFinding(inspect(INSPECTOR, declared));
        assertThat(zero.code()).isEqualTo(FindingCode.MALFORMED_HEADER);
        assertThat(zero.offset()).isEqualTo(RGD_OFFSET);
        assertThat(onlyFinding(inspect(INSPECTOR, beyond)).code()).isEqualTo(FindingCode.TRUNCATED);
        assertThat(inspect(INSPECTOR, undeclared).level()).isEqualTo(MatchLevel.MATCH);
    }

    @Test
    void acceptsMetadataThatEndsExactlyAtTheEndOfTheFile() {
        byte[] bytes = sparse.clone();
        le(bytes).putLong(OVERHEAD, bytes.length / SECTOR);

        assertThat(inspect(INSPECTOR, bytes).level()).isEqualTo(MatchLevel.MATCH);
        le(bytes).putLong(OVERHEAD, bytes.length / SECTOR + 1);
        assertThat(onlyFinding(inspect(INSPECTOR, bytes)).code()).isEqualTo(FindingCode.TRUNCATED);
    }

    @Test
    void anEmptyDiskWithoutDescriptorNeedsNoGrainDirectory() {
        byte[] bytes = sparse.clone();
        le(bytes).putLong(CAPACITY, 0).putLong(DESCRIPTOR_OFFSET, 0).putLong(GD_OFFSET, 0).putLong(RGD_OFFSET, 0);
        Arrays.fill(bytes, SECTOR, 21 * SECTOR, (byte) 0);

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.level()).as(inspection.findings().toString()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(0L);
        assertThat(inspection.variant()).hasValue("monolithicSparse");
    }

    // ------------------------------------------------------------------ zero capacity: qemu follows the descriptor

    private static byte[] zeroCapacity(String descriptor) {
        byte[] bytes = sparse.clone();
        le(bytes).putLong(CAPACITY, 0);
        Arrays.fill(bytes, SECTOR, 21 * SECTOR, (byte) 0);
        put(bytes, SECTOR, descriptor);
        return bytes;
    }

    @Test
    void reportsEveryReferenceOfTheDescriptorQemuFollowsAtZeroCapacity() {
        String text = "# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=2\ncreateType=\"monolithicFlat\"\n"
                + "parentFileNameHint=\"/srv/base.vmdk\"\nchangeTrackPath=\"d-ctk.vmdk\"\nRW 20480 FLAT \"/etc/shadow\" 0\n";

        Inspection inspection = inspect(INSPECTOR, zeroCapacity(text));

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.details()).containsEntry("zero_capacity_descriptor", true);
        assertThat(inspection.virtualSize()).hasValue(20480L * SECTOR);
        assertThat(inspection.references()).extracting(ExternalReference::kind, ExternalReference::target,
                ExternalReference::offset).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple(ExternalReference.Kind.EXTENT, "/etc/shadow",
                        (long) SECTOR + text.indexOf("RW ")),
                org.assertj.core.groups.Tuple.tuple(ExternalReference.Kind.DATA_FILE, "d-ctk.vmdk", (long) SECTOR),
                org.assertj.core.groups.Tuple.tuple(ExternalReference.Kind.BACKING, "/srv/base.vmdk", (long) SECTOR));
    }

    @Test
    void reportsAParentCidOfTheDescriptorQemuFollowsAtZeroCapacity() {
        Inspection inspection = inspect(INSPECTOR, zeroCapacity(ownDescriptor.replace("parentCID=ffffffff",
                "parentCID=0badf00d")));

        assertThat(inspection.references()).extracting(ExternalReference::kind, ExternalReference::target)
                .contains(org.assertj.core.groups.Tuple.tuple(ExternalReference.Kind.BACKING, "parentCID=badf00d"));
    }

    @Test
    void anUnterminatedZeroCapacityDescriptorThatEndsTheFileIsAllQemuReads() {
        String text = "# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\nRW 8 FLAT \"d-flat.vmdk\" 0\n";
        String padded = text + "#".repeat(SECTOR - text.length() - 1) + "\n";
        byte[] bytes = Arrays.copyOf(sparse, 2 * SECTOR);
        le(bytes).putLong(CAPACITY, 0).putLong(DESCRIPTOR_SIZE, 1);
        put(bytes, SECTOR, padded);

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.level()).as(inspection.findings().toString()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.references()).extracting(ExternalReference::target).containsExactly("d-flat.vmdk");
        byte[] longer = Arrays.copyOf(bytes, 3 * SECTOR);
        assertThat(onlyFinding(inspect(INSPECTOR, longer)).code()).isEqualTo(FindingCode.VMDK_MALFORMED_DESCRIPTOR);
        byte[] terminated = longer.clone();
        terminated[2 * SECTOR - 1] = 0;
        assertThat(inspect(INSPECTOR, terminated).level()).isEqualTo(MatchLevel.MATCH);
    }

    // ------------------------------------------------------------------ qemu's window at 0x200

    private static byte[] withWindow(String window) {
        return VmdkSelfContainmentTest.withWindow(sparse, ownDescriptor, window);
    }

    @Test
    void aWindowCopyThatOnlyChangesTheIdsIsRefusedWithoutInventingAReference() {
        Inspection inspection = inspect(INSPECTOR, withWindow(ownDescriptor.replaceFirst("CID=[0-9a-f]+", "CID=1")));

        assertThat(inspection.findings()).extracting(Finding::code).containsExactly(FindingCode.VMDK_COPIES_DISAGREE);
        assertThat(inspection.references()).isEmpty();
        assertThat(inspection.findings().get(0).message()).contains("1 extents");
    }

    @Test
    void reportsAChangeTrackingFileNamedInTheWindow() {
        Inspection inspection = inspect(INSPECTOR, withWindow("changeTrackPath=\"w-ctk.vmdk\"\nparentCID=1\n"));

        assertThat(inspection.references()).extracting(ExternalReference::kind, ExternalReference::target)
                .contains(org.assertj.core.groups.Tuple.tuple(ExternalReference.Kind.DATA_FILE, "w-ctk.vmdk"));
        assertThat(inspection.findings()).extracting(Finding::code).containsExactly(FindingCode.VMDK_COPIES_DISAGREE);
        assertThat(inspection.findings().get(0).message()).contains("names a parent");
    }

    @Test
    void aBareExtentLineInTheWindowIsDescriptorText() {
        Inspection inspection = inspect(INSPECTOR, withWindow("RW 10 FLAT \"/etc/passwd\" 0\n"));

        assertThat(inspection.references()).extracting(ExternalReference::target).containsExactly("/etc/passwd");
        assertThat(inspection.findings()).extracting(Finding::code).containsExactly(FindingCode.VMDK_COPIES_DISAGREE);
    }

    @Test
    void ignoresPlainTextWithoutDescriptorWordsInTheWindow() {
        Inspection inspection = inspect(INSPECTOR, withWindow("just some words\nnothing = here\n"));

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).isEmpty();
    }

    @Test
    void locatesAParentHintQemuFindsInsideTheWindow() {
        Inspection inspection = inspect(INSPECTOR, withWindow("CID=1\nparentFileNameHint=\"/srv/p.vmdk\"\n"));

        assertThat(inspection.references()).singleElement().satisfies(r -> {
            assertThat(r.target()).isEqualTo("/srv/p.vmdk");
            assertThat(r.offset()).isEqualTo(0x200 + 6);
        });
    }

    @Test
    void reportsTheWindowsParentHintEvenWhenTheTextAroundItIsMalformed() {
        Inspection atStart = inspect(INSPECTOR, withWindow("parentFileNameHint=\"/srv/p.vmdk\"\ngarbage line\n"));
        Inspection unquoted = inspect(INSPECTOR, withWindow("parentFileNameHint=\"/srv/open-ended"));

        assertThat(atStart.references()).extracting(ExternalReference::target).containsExactly("/srv/p.vmdk");
        assertThat(atStart.findings()).extracting(Finding::code).contains(FindingCode.VMDK_MALFORMED_DESCRIPTOR);
        assertThat(unquoted.references()).extracting(ExternalReference::target).containsExactly("/srv/open-ended");
    }

    // ------------------------------------------------------------------ COWD corners

    @Test
    void acceptsACowdWhoseGrainDirectoryMapsExactlyTheDisk() {
        byte[] bytes = cowd(VmdkInspector.COWD_FLAG_ROOT, new byte[0]);
        le(bytes).putInt(12, 4096).putInt(16, 1).putInt(24, 1);

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.details()).containsEntry("grain_size", 512L).containsEntry("version", 1L);
    }

    @Test
    void acceptsAnEmptyCowdWithoutGrainDirectory() {
        byte[] bytes = cowd(VmdkInspector.COWD_FLAG_ROOT, new byte[0]);
        le(bytes).putInt(12, 0).putInt(20, 0).putInt(24, 0);

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.level()).as(inspection.findings().toString()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(0L);
    }

    @Test
    void aRootCowdsGenerationCounterIsNoParentName() {
        byte[] bytes = cowd(VmdkInspector.COWD_FLAG_ROOT, new byte[0]);
        le(bytes).putInt(1060, 7);
        byte[] parentGeneration = cowd(VmdkInspector.COWD_FLAG_ROOT, new byte[0]);
        le(parentGeneration).putInt(1056, 0x01000000);

        assertThat(inspect(INSPECTOR, bytes).references()).isEmpty();
        assertThat(inspect(INSPECTOR, parentGeneration).references()).hasSize(1);
    }

    @Test
    void reportsAParentNameBehindAFullTwelveByteGeometry() {
        byte[] bytes = cowd(VmdkInspector.COWD_FLAG_ROOT, new byte[0]);
        le(bytes).putInt(32, 0x01010101).putInt(36, 0x01010101).putInt(40, 0x01010101);
        put(bytes, 45, "/vmfs/volumes/x/base.vmdk");

        assertThat(inspect(INSPECTOR, bytes).references()).extracting(ExternalReference::target)
                .containsExactly("/vmfs/volumes/x/base.vmdk");
    }
}
