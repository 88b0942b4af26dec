package dev.diskimage.validation;

import static dev.diskimage.validation.InspectorHarness.inspect;
import static dev.diskimage.validation.InspectorHarness.qemuImg;
import static dev.diskimage.validation.VmdkForeignReferenceTest.cowd;
import static dev.diskimage.validation.VmdkForeignReferenceTest.descriptor;
import static dev.diskimage.validation.VmdkForeignReferenceTest.le;
import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.DiskFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rules around the self-extent, descriptor copies, COWD headers and truncated magic that the
 * foreign-name matrix ({@link VmdkForeignReferenceTest}) does not spell out one by one.
 */
class VmdkSelfContainmentTest {
    private static final VmdkInspector INSPECTOR = new VmdkInspector();
    private static final int SECTOR = 512;
    private static final int CAPACITY = 12;
    private static final int DESCRIPTOR_OFFSET = 28;
    private static final int DESCRIPTOR_SIZE = 36;

    @TempDir
    static Path dir;
    private static byte[] sparse;
    private static String ownDescriptor;

    @BeforeAll
    static void images() throws Exception {
        sparse = Files.readAllBytes(qemuImg(dir, "own.vmdk", "create", "-q", "-f", "vmdk", "-o",
                "subformat=monolithicSparse", "{}", "10M"));
        ownDescriptor = descriptor(sparse, "own.vmdk");
    }

    private static byte[] withExtentLines(String lines) {
        byte[] bytes = sparse.clone();
        String text = ownDescriptor.replaceFirst("RW 20480 SPARSE \"own.vmdk\"\n", lines);
        Arrays.fill(bytes, SECTOR, 21 * SECTOR, (byte) 0);
        put(bytes, SECTOR, text);
        return bytes;
    }

    // ------------------------------------------------------------------ the self extent

    @Test
    void acceptsTheSelfExtentWithAnExplicitOffsetZero() {
        Inspection inspection = inspect(INSPECTOR, withExtentLines("RW 20480 SPARSE \"own.vmdk\" 0\n"));

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.references()).isEmpty();
        assertThat(inspection.details()).containsEntry("extent", "own.vmdk");
    }

    @ParameterizedTest
    @ValueSource(strings = {"RW 20480 SPARSE \"own.vmdk\" 8\n", "RW 20479 SPARSE \"own.vmdk\"\n",
            "RW 40960 SPARSE \"own.vmdk\"\n", "RW 20480 VMFSSPARSE \"own.vmdk\"\n", "RW 20480 SESPARSE \"own.vmdk\"\n",
            "RW 20480 FLAT \"own.vmdk\" 0\n", "RW 20480 VMFS \"own.vmdk\"\n",
            "RW 20480 SPARSE \"own.vmdk\"\nRW 20480 SPARSE \"own.vmdk\"\n",
            "RW 20480 SPARSE \"own.vmdk\"\nRW 10 ZERO\n", "RDONLY 20480 SPARSE \"/etc/hosts\"\n",
            "NOACCESS 20480 SPARSE \"../x.vmdk\"\n"})
    void reportsEveryExtentLineThatIsNotExactlyTheImageItself(String lines) {
        Inspection inspection = inspect(INSPECTOR, withExtentLines(lines));

        assertThat(inspection.references()).isNotEmpty().allSatisfy(r -> {
            assertThat(r.kind()).isEqualTo(ExternalReference.Kind.EXTENT);
            assertThat(r.code()).isEqualTo(FindingCode.VMDK_EXTERNAL_EXTENT);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "RW 20480 ZERO\n", "RW 10 ZERO\nRW 20470 ZERO\n"})
    void rejectsASparseDescriptorThatNamesNoFile(String lines) {
        Inspection inspection = inspect(INSPECTOR, withExtentLines(lines));

        assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(inspection.findings()).extracting(Finding::code)
                .containsExactly(FindingCode.VMDK_MALFORMED_DESCRIPTOR);
    }

    // ------------------------------------------------------------------ qemu's window at 0x200

    /** The header's descriptor moved to sector 11; {@code window} written at 0x200. */
    private static byte[] withWindow(String window) {
        return withWindow(sparse, ownDescriptor, window);
    }

    /**
     * {@code sparse} (qemu-img's monolithicSparse image holding {@code ownDescriptor}) with its
     * descriptor moved to sector 11 and {@code window} written at 0x200, where qemu reads it.
     */
    static byte[] withWindow(byte[] sparse, String ownDescriptor, String window) {
        byte[] bytes = sparse.clone();
        Arrays.fill(bytes, SECTOR, 21 * SECTOR, (byte) 0);
        put(bytes, 11 * SECTOR, ownDescriptor);
        le(bytes).putLong(DESCRIPTOR_OFFSET, 11).putLong(DESCRIPTOR_SIZE, 10);
        put(bytes, SECTOR, window);
        return bytes;
    }

    @Test
    void acceptsAWindowHoldingAnExactCopyOfTheOwnDescriptor() {
        Inspection inspection = inspect(INSPECTOR, withWindow(ownDescriptor));

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).isEmpty();
    }

    @Test
    void acceptsAWindowWithIdsButNeitherExtentsNorParent() {
        Inspection inspection = inspect(INSPECTOR, withWindow("# ids\nCID=12345678\nparentCID=ffffffff\n"));

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).isEmpty();
        assertThat(inspection.references()).isEmpty();
    }

    @Test
    void ignoresBinaryDataInTheWindow() {
        byte[] bytes = withWindow("");
        le(bytes).putInt(SECTOR, 0x15).putInt(SECTOR + 4, 0x16);

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).isEmpty();
    }

    @Test
    void rejectsAWindowThatDiffersFromTheOwnDescriptorInOnlyOneCharacter() {
        Inspection inspection = inspect(INSPECTOR, withWindow(ownDescriptor.replace("version=1", "version=2")));

        assertThat(inspection.findings()).extracting(Finding::code).containsExactly(FindingCode.VMDK_COPIES_DISAGREE);
        assertThat(inspection.findings().get(0).offset()).isEqualTo(0x200);
    }

    @Test
    void reportsAParentCidInTheWindowAsAParent() {
        Inspection inspection = inspect(INSPECTOR, withWindow("CID=12345678\nparentCID=0badf00d\n"));

        assertThat(inspection.references()).singleElement().satisfies(r -> {
            assertThat(r.kind()).isEqualTo(ExternalReference.Kind.BACKING);
            assertThat(r.target()).isEqualTo("parentCID=badf00d");
        });
        assertThat(inspection.findings()).extracting(Finding::code).containsExactly(FindingCode.VMDK_COPIES_DISAGREE);
    }

    @Test
    void rejectsMalformedDescriptorTextInTheWindow() {
        Inspection inspection = inspect(INSPECTOR, withWindow("createType=\"monolithicSparse\"\nnonsense here\n"));

        assertThat(inspection.findings()).extracting(Finding::code).contains(FindingCode.VMDK_MALFORMED_DESCRIPTOR);
        assertThat(inspection.findings()).anySatisfy(f -> assertThat(f.rejects()).isTrue());
    }

    @Test
    void rejectsADescriptorRunningPastItsDeclaredSizeIntoQemusWindow() {
        // The header declares a 1-sector descriptor at sector 1 whose text does not end there:
        // qemu's window reads on and finds a parent the header's descriptor does not have.
        byte[] bytes = sparse.clone();
        Arrays.fill(bytes, SECTOR, 21 * SECTOR, (byte) 0);
        String padded = "# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=ffffffff\ncreateType=\"monolithicSparse\"\n"
                + "RW 20480 SPARSE \"own.vmdk\"\n";
        padded = padded + "#".repeat(SECTOR - padded.length() - 1) + "\n";
        put(bytes, SECTOR, padded + "parentFileNameHint=\"/srv/base.vmdk\"\n");
        le(bytes).putLong(DESCRIPTOR_SIZE, 1);

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.references()).extracting(ExternalReference::target).contains("/srv/base.vmdk");
        assertThat(inspection.findings()).extracting(Finding::code).contains(FindingCode.VMDK_COPIES_DISAGREE);
    }

    @Test
    void checksTheWindowOfAZeroCapacityFileToo() {
        byte[] bytes = withWindow("createType=\"monolithicFlat\"\nRW 20480 FLAT \"/etc/shadow\" 0\n");
        le(bytes).putLong(CAPACITY, 0);

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.references()).extracting(ExternalReference::target)
                .containsExactly("own.vmdk", "/etc/shadow");
        assertThat(inspection.findings()).extracting(Finding::code).containsExactly(FindingCode.VMDK_COPIES_DISAGREE);
    }

    // ------------------------------------------------------------------ streamOptimized header copies

    @Test
    void rejectsHeaderCopiesThatDisagreeOnTheDisk() throws Exception {
        Path raw = dir.resolve("copies.raw");
        byte[] data = new byte[1 << 20];
        new Random(3).nextBytes(data);
        Files.write(raw, data);
        byte[] stream = VmdkForeignReferenceTest.withFooter(Files.readAllBytes(qemuImg(dir, "copies.vmdk", "convert",
                "-q", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw.toString(), "{}")));
        int footerHeader = stream.length - 1024;
        for (int field : new int[] {CAPACITY, 20, 77}) {
            byte[] bytes = stream.clone();
            if (field == 77) {
                le(bytes).putShort(field, (short) 0);
            } else {
                le(bytes).putLong(field, le(bytes).getLong(field) * 2);
            }

            Inspection inspection = inspect(INSPECTOR, bytes);

            assertThat(inspection.level()).as("field %d", field).isEqualTo(MatchLevel.MAGIC_ONLY);
            assertThat(inspection.findings()).singleElement().satisfies(f -> {
                assertThat(f.code()).isEqualTo(FindingCode.VMDK_COPIES_DISAGREE);
                assertThat(f.offset()).isEqualTo(footerHeader);
            });
        }
        assertThat(inspect(INSPECTOR, stream).findings()).isEmpty();
    }

    // ------------------------------------------------------------------ COWD

    @Test
    void acceptsARootCowdWithGeometryInTheUnion() {
        byte[] bytes = cowd(VmdkInspector.COWD_FLAG_ROOT, new byte[0]);
        le(bytes).putInt(32, 0x3ff).putInt(36, 16).putInt(40, 63);

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.references()).isEmpty();
        assertThat(inspection.virtualSize()).hasValue(2048L * SECTOR);
    }

    @Test
    void reportsAParentNameWrittenBehindARootCowdsGeometry() {
        byte[] bytes = cowd(VmdkInspector.COWD_FLAG_ROOT, new byte[0]);
        le(bytes).putInt(32, 0x3ff).putInt(36, 16).putInt(40, 63);
        put(bytes, 44, "/vmfs/volumes/other/base.vmdk");

        assertThat(inspect(INSPECTOR, bytes).references()).singleElement().satisfies(r -> {
            assertThat(r.kind()).isEqualTo(ExternalReference.Kind.BACKING);
            assertThat(r.code()).isEqualTo(FindingCode.VMDK_PARENT_HINT);
            assertThat(r.target()).isEqualTo("/vmfs/volumes/other/base.vmdk");
        });
    }

    @Test
    void reportsARootCowdWhoseParentNameRunsThroughItsGeometry() {
        byte[] bytes = cowd(VmdkInspector.COWD_FLAG_ROOT, "/////etc/passwd".getBytes(StandardCharsets.US_ASCII));

        assertThat(inspect(INSPECTOR, bytes).references()).extracting(ExternalReference::target)
                .containsExactly("/////etc/passwd");
    }

    @Test
    void reportsAChildCowdEvenWithoutAParentName() {
        Inspection inspection = inspect(INSPECTOR, cowd(0, new byte[0]));

        assertThat(inspection.references()).singleElement().satisfies(r -> {
            assertThat(r.kind()).isEqualTo(ExternalReference.Kind.BACKING);
            assertThat(r.target()).contains("without a parent name");
        });
    }

    @Test
    void reportsAParentHintInTheWindowOfACowd() {
        // qemu reads a COWD file's parent hint from 0x200 too, which lies inside the parent name field.
        byte[] bytes = cowd(VmdkInspector.COWD_FLAG_ROOT, new byte[0]);
        put(bytes, SECTOR, "parentFileNameHint=\"/etc/hidden.vmdk\"\n");

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.references()).extracting(ExternalReference::target).contains("/etc/hidden.vmdk");
        assertThat(inspection.references()).allSatisfy(
                r -> assertThat(r.kind()).isEqualTo(ExternalReference.Kind.BACKING));
        assertThat(inspection.findings()).extracting(Finding::code).containsExactly(FindingCode.VMDK_COPIES_DISAGREE);
    }

    @Test
    void rejectsCowdWhoseGrainDirectoryDoesNotMapTheDisk() {
        byte[] bytes = cowd(VmdkInspector.COWD_FLAG_ROOT, new byte[0]);
        le(bytes).putInt(12, 4096 + 1).putInt(16, 1).putInt(24, 1);

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(inspection.findings()).extracting(Finding::code).containsExactly(FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsCowdWhoseGrainDirectoryOverlapsTheHeader() {
        for (int sector : new int[] {0, 1, 3}) {
            byte[] bytes = cowd(VmdkInspector.COWD_FLAG_ROOT, new byte[0]);
            le(bytes).putInt(20, sector);

            assertThat(inspect(INSPECTOR, bytes).findings()).extracting(Finding::code)
                    .containsExactly(FindingCode.MALFORMED_HEADER);
        }
    }

    // ------------------------------------------------------------------ magic, then truncated

    @Test
    void aCowdCutAnywhereInsideItsHeaderIsRefusedNotRaw() {
        byte[] bytes = cowd(VmdkInspector.COWD_FLAG_ROOT, new byte[0]);
        List<Inspection> results = InspectorHarness.inspectTruncatedAt(INSPECTOR, bytes,
                4, 5, 8, 12, 16, 20, 24, 28, 32, 44, 511, 512, 1024, 1056, 1060, 2047);

        assertThat(results).allSatisfy(i -> {
            assertThat(i.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
            assertThat(i.findings()).extracting(Finding::code).containsExactly(FindingCode.TRUNCATED);
        });
    }

    @Test
    void aSparseHeaderCutAnywhereIsRefusedNotRaw() {
        List<Inspection> results = InspectorHarness.inspectTruncatedAt(INSPECTOR, sparse,
                4, 5, 8, 12, 20, 28, 36, 44, 48, 56, 64, 72, 77, 79, 256, 511);

        assertThat(results).allSatisfy(i -> {
            assertThat(i.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
            assertThat(i.findings()).extracting(Finding::code).containsExactly(FindingCode.TRUNCATED);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"KDMV", "COWD"})
    void theValidatorRefusesAFileThatIsOnlyAVmdkMagic(String magic) throws Exception {
        for (int length : new int[] {4, 100, 511}) {
            byte[] bytes = Arrays.copyOf(magic.getBytes(StandardCharsets.US_ASCII), length);
            Path image = dir.resolve(magic + "-" + length + ".img");
            Files.write(image, bytes);

            ValidationReport report = ImageValidator.of(ImagePolicy.defaults()).validate(image);

            assertThat(report.accepted()).isFalse();
            assertThat(report.detectedFormat()).isEmpty();
            assertThat(report.rejections()).extracting(Finding::code).contains(FindingCode.TRUNCATED);
        }
    }

    // ------------------------------------------------------------------ real images, renamed

    @ParameterizedTest
    @ValueSource(strings = {"monolithicSparse", "streamOptimized"})
    void acceptsQemuImagesStoredUnderAnotherName(String subformat) throws Exception {
        Path raw = dir.resolve(subformat + ".raw");
        byte[] data = new byte[2 << 20];
        new Random(11).nextBytes(data);
        Files.write(raw, data);
        Path made = qemuImg(dir, "original-" + subformat + ".vmdk", "convert", "-q", "-f", "raw", "-O", "vmdk",
                "-o", "subformat=" + subformat, raw.toString(), "{}");
        Path stored = Files.move(made, dir.resolve("0b5e3c2a-6f4d-4e1b-9a7c-" + subformat));

        ValidationReport report = ImageValidator.of(ImagePolicy.defaults().withQemuCrossCheck(true))
                .validate(stored, DiskFormat.VMDK);

        assertThat(report.accepted()).as(report.findings().toString()).isTrue();
        assertThat(report.variant()).hasValue(subformat);
        assertThat(report.references()).isEmpty();
        assertThat(report.details()).containsEntry("extent", "original-" + subformat + ".vmdk");
    }

    static void put(byte[] bytes, int offset, String text) {
        byte[] raw = text.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(raw, 0, bytes, offset, raw.length);
    }
}
