package dev.diskimage.validation;

import static dev.diskimage.validation.InspectorHarness.inspect;
import static dev.diskimage.validation.InspectorHarness.qemuImg;
import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.testing.OneBytePerReadChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmdkInspectorTest {
    private static final VmdkInspector INSPECTOR = new VmdkInspector();
    private static final long MIB = 1024 * 1024;
    // Sparse header field offsets (VMware Virtual Disk Format 1.1, SparseExtentHeader).
    private static final int VERSION = 4;
    private static final int CAPACITY = 12;
    private static final int GRAIN_SIZE = 20;
    private static final int DESCRIPTOR_OFFSET = 28;
    private static final int DESCRIPTOR_SIZE = 36;
    private static final int NUM_GTES = 44;
    private static final int GD_OFFSET = 56;
    private static final int OVERHEAD = 64;
    private static final int COMPRESS = 77;

    @TempDir
    Path dir;

    // ------------------------------------------------------------------ images qemu-img makes

    private Path qemuVmdk(String name, String subformat, String size) throws Exception {
        return qemuImg(dir, name, "create", "-q", "-f", "vmdk", "-o", "subformat=" + subformat, "{}", size);
    }

    private Path streamOptimized(String name) throws Exception {
        Path raw = dir.resolve(name + ".raw");
        byte[] data = new byte[4 * (int) MIB];
        Random random = new Random(42);
        for (int offset = 0; offset < data.length; offset += 256 * 1024) {
            byte[] chunk = new byte[4096];
            random.nextBytes(chunk);
            System.arraycopy(chunk, 0, data, offset, chunk.length);
        }
        Files.write(raw, data);
        return qemuImg(dir, name, "convert", "-q", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized",
                raw.toString(), "{}");
    }

    @Test
    void acceptsQemuMonolithicSparse() throws Exception {
        Path image = qemuVmdk("sparse.vmdk", "monolithicSparse", "64M");

        Inspection inspection = inspect(INSPECTOR, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).hasValue("monolithicSparse");
        assertThat(inspection.virtualSize()).hasValue(64 * MIB);
        assertThat(inspection.references()).isEmpty();
        assertThat(inspection.findings()).isEmpty();
        assertThat(inspection.details()).containsEntry("extent", "sparse.vmdk");
    }

    @Test
    void acceptsQemuMonolithicSparseThroughShortReads() throws Exception {
        Path image = qemuVmdk("short.vmdk", "monolithicSparse", "1G");

        Inspection inspection = InspectorHarness.inspectWithShortReads(INSPECTOR, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(1024 * MIB);
    }

    @Test
    void acceptsQemuStreamOptimized() throws Exception {
        Path image = streamOptimized("stream.vmdk");

        Inspection inspection = inspect(INSPECTOR, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).hasValue("streamOptimized");
        assertThat(inspection.virtualSize()).hasValue(4 * MIB);
        assertThat(inspection.references()).isEmpty();
        assertThat(inspection.details()).containsEntry("compressed", true);
    }

    @Test
    void readsTheHeaderFromTheStreamOptimizedFooter() throws Exception {
        Path image = withFooter(streamOptimized("footer-src.vmdk"), "footer.vmdk");
        // qemu itself accepts this layout, so the fixture is realistic.
        qemuImg(dir, "unused", "info", "-f", "vmdk", image.toString());

        Inspection inspection = inspect(INSPECTOR, image);
        Inspection shortReads = InspectorHarness.inspectWithShortReads(INSPECTOR, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).hasValue("streamOptimized");
        assertThat(inspection.virtualSize()).hasValue(4 * MIB);
        assertThat(inspection.details()).containsEntry("footer_offset", Files.size(image) - 1024);
        assertThat(shortReads.level()).isEqualTo(MatchLevel.MATCH);
    }

    @Test
    void rejectsStreamOptimizedWhoseFooterIsMissing() throws Exception {
        byte[] bytes = Files.readAllBytes(streamOptimized("nofooter.vmdk"));
        le(bytes).putLong(GD_OFFSET, -1L);

        assertRejected(inspect(INSPECTOR, bytes), MatchLevel.MAGIC_ONLY, FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsStreamOptimizedWhoseFooterIsGarbled() throws Exception {
        byte[] bytes = Files.readAllBytes(withFooter(streamOptimized("garbled-src.vmdk"), "garbled.vmdk"));
        le(bytes).putInt(bytes.length - 512 + 12, 1);

        assertRejected(inspect(INSPECTOR, bytes), MatchLevel.MAGIC_ONLY, FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsFooterHeaderThatDefersAgain() throws Exception {
        byte[] bytes = Files.readAllBytes(withFooter(streamOptimized("again-src.vmdk"), "again.vmdk"));
        le(bytes).putLong(bytes.length - 1024 + GD_OFFSET, -1L);

        assertRejected(inspect(INSPECTOR, bytes), MatchLevel.MAGIC_ONLY, FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsFooterHeaderWithBadGrainSize() throws Exception {
        byte[] bytes = Files.readAllBytes(withFooter(streamOptimized("badfooter-src.vmdk"), "badfooter.vmdk"));
        le(bytes).putLong(bytes.length - 1024 + GRAIN_SIZE, 3);

        assertRejected(inspect(INSPECTOR, bytes), MatchLevel.MAGIC_ONLY, FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsFooterDeferringHeaderInTooSmallAFile() throws Exception {
        byte[] bytes = Arrays.copyOf(Files.readAllBytes(qemuVmdk("tiny.vmdk", "monolithicSparse", "1M")), 1024);
        le(bytes).putLong(GD_OFFSET, -1L);

        assertRejected(inspect(INSPECTOR, bytes), MatchLevel.MAGIC_ONLY, FindingCode.TRUNCATED);
    }

    @Test
    void reportsExtentOfMonolithicFlatDescriptor() throws Exception {
        Path image = qemuVmdk("flat.vmdk", "monolithicFlat", "16M");

        Inspection inspection = inspect(INSPECTOR, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).hasValue("monolithicFlat");
        assertThat(inspection.virtualSize()).hasValue(16 * MIB);
        assertThat(inspection.references()).singleElement().satisfies(r -> {
            assertThat(r.kind()).isEqualTo(ExternalReference.Kind.EXTENT);
            assertThat(r.code()).isEqualTo(FindingCode.VMDK_EXTERNAL_EXTENT);
            assertThat(r.target()).isEqualTo("flat-flat.vmdk");
        });
        assertThat(inspect(INSPECTOR, dir.resolve("flat-flat.vmdk")).level()).isEqualTo(MatchLevel.NONE);
    }

    @Test
    void reportsEveryExtentOfTwoGbMaxExtentSparse() throws Exception {
        Path image = qemuVmdk("split.vmdk", "twoGbMaxExtentSparse", "3G");

        Inspection inspection = InspectorHarness.inspectWithShortReads(INSPECTOR, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).hasValue("twoGbMaxExtentSparse");
        assertThat(inspection.virtualSize()).hasValue(3072 * MIB);
        assertThat(inspection.references()).extracting(ExternalReference::target)
                .containsExactly("split-s001.vmdk", "split-s002.vmdk");
        assertThat(inspection.references()).allSatisfy(
                r -> assertThat(r.kind()).isEqualTo(ExternalReference.Kind.EXTENT));
    }

    @Test
    void readsAnExtentFileOfASplitSparseDiskAsSelfContained() throws Exception {
        qemuVmdk("part.vmdk", "twoGbMaxExtentSparse", "3G");

        Inspection inspection = inspect(INSPECTOR, dir.resolve("part-s001.vmdk"));

        // qemu opens such a file alone as monolithicSparse: its descriptor area is empty.
        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).hasValue("monolithicSparse");
        assertThat(inspection.references()).isEmpty();
        assertThat(inspection.virtualSize()).hasValue(2048 * MIB);
    }

    @Test
    void reportsEveryExtentOfTwoGbMaxExtentFlat() throws Exception {
        Path image = qemuVmdk("splitflat.vmdk", "twoGbMaxExtentFlat", "3G");

        Inspection inspection = inspect(INSPECTOR, image);

        assertThat(inspection.variant()).hasValue("twoGbMaxExtentFlat");
        assertThat(inspection.references()).extracting(ExternalReference::target)
                .containsExactly("splitflat-f001.vmdk", "splitflat-f002.vmdk");
    }

    @Test
    void reportsParentOfQemuChildDisk() throws Exception {
        Path base = qemuVmdk("base.vmdk", "monolithicSparse", "32M");
        Path child = qemuImg(dir, "child.vmdk", "create", "-q", "-f", "vmdk", "-b", base.toString(), "-F", "vmdk",
                "{}");

        Inspection inspection = inspect(INSPECTOR, child);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(32 * MIB);
        assertThat(inspection.references()).singleElement().satisfies(r -> {
            assertThat(r.kind()).isEqualTo(ExternalReference.Kind.BACKING);
            assertThat(r.code()).isEqualTo(FindingCode.VMDK_PARENT_HINT);
            assertThat(r.target()).isEqualTo(base.toString());
        });
    }

    // ------------------------------------------------------------------ hand-made descriptors

    @Test
    void reportsDescriptorExtentPointingAtEtcPasswd() {
        String text = "# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\n"
                + "createType=\"monolithicFlat\"\n\nRW 2048 FLAT \"/etc/passwd\" 0\n";

        Inspection inspection = inspect(INSPECTOR, text.getBytes(StandardCharsets.US_ASCII));

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.references()).singleElement().satisfies(r -> {
            assertThat(r.kind()).isEqualTo(ExternalReference.Kind.EXTENT);
            assertThat(r.target()).isEqualTo("/etc/passwd");
            assertThat(r.offset()).isEqualTo(text.indexOf("RW"));
        });
    }

    @Test
    void recognisesDescriptorByQemuProbeWithoutSignature() {
        String text = "  \r\nversion=1\r\ncreateType=\"vmfs\"\r\nRW 10 VMFS \"disk-flat.vmdk\"\r\n";

        Inspection inspection = inspect(INSPECTOR, text.getBytes(StandardCharsets.US_ASCII));

        assertThat(inspection.variant()).hasValue("vmfs");
        assertThat(inspection.references()).extracting(ExternalReference::target).containsExactly("disk-flat.vmdk");
    }

    @Test
    void rejectsDescriptorFileWithoutCreateType() {
        byte[] text = "# Disk DescriptorFile\nversion=1\nRW 10 FLAT \"x\" 0\n".getBytes(StandardCharsets.US_ASCII);

        assertRejected(inspect(INSPECTOR, text), MatchLevel.MAGIC_ONLY, FindingCode.VMDK_MALFORMED_DESCRIPTOR);
    }

    @Test
    void rejectsDescriptorFileWithoutExtents() {
        byte[] text = "# Disk DescriptorFile\ncreateType=\"monolithicSparse\"\n".getBytes(StandardCharsets.US_ASCII);

        assertRejected(inspect(INSPECTOR, text), MatchLevel.MAGIC_ONLY, FindingCode.VMDK_MALFORMED_DESCRIPTOR);
    }

    @Test
    void rejectsDescriptorFileWithHiddenCreateTypeInComment() {
        byte[] text = ("# Disk DescriptorFile\n# createType=\"monolithicSparse\"\nRW 10 FLAT \"x\" 0\n")
                .getBytes(StandardCharsets.US_ASCII);

        assertRejected(inspect(INSPECTOR, text), MatchLevel.MAGIC_ONLY, FindingCode.VMDK_MALFORMED_DESCRIPTOR);
    }

    @Test
    void rejectsDescriptorLookingTextLargerThan64KiB() {
        byte[] big = new byte[VmdkDescriptorParser.MAX_DESCRIPTOR_BYTES + 100];
        Arrays.fill(big, (byte) '\n');
        byte[] head = "# Disk DescriptorFile\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(head, 0, big, 0, head.length);

        assertRejected(inspect(INSPECTOR, big), MatchLevel.MAGIC_ONLY, FindingCode.VMDK_MALFORMED_DESCRIPTOR);
    }

    @Test
    void reportsParentOfHandWrittenDescriptorFile() {
        String text = "# Disk DescriptorFile\nCID=1\nparentCID=2\ncreateType=\"monolithicFlat\"\n"
                + "parentFileNameHint=\"../base.vmdk\"\nRW 10 FLAT \"x-flat.vmdk\" 0\n";

        Inspection inspection = inspect(INSPECTOR, text.getBytes(StandardCharsets.US_ASCII));

        assertThat(inspection.references()).extracting(ExternalReference::kind, ExternalReference::target)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(ExternalReference.Kind.EXTENT, "x-flat.vmdk"),
                        org.assertj.core.groups.Tuple.tuple(ExternalReference.Kind.BACKING, "../base.vmdk"));
    }

    @Test
    void ignoresPlainTextAndBinaryData() {
        assertThat(inspect(INSPECTOR, "hello world, nothing to see\n".getBytes(StandardCharsets.US_ASCII)).level())
                .isEqualTo(MatchLevel.NONE);
        byte[] binary = new byte[8192];
        new Random(1).nextBytes(binary);
        binary[0] = 0x33;
        assertThat(inspect(INSPECTOR, binary).level()).isEqualTo(MatchLevel.NONE);
        assertThat(inspect(INSPECTOR, new byte[0]).level()).isEqualTo(MatchLevel.NONE);
        assertThat(inspect(INSPECTOR, new byte[] {'K', 'D', 'M'}).level()).isEqualTo(MatchLevel.NONE);
    }

    // ------------------------------------------------------------------ hand-patched sparse headers

    private byte[] sparseBytes() throws Exception {
        return Files.readAllBytes(qemuVmdk("patched.vmdk", "monolithicSparse", "64M"));
    }

    @Test
    void reportsSecondExtentInEmbeddedDescriptor() throws Exception {
        byte[] bytes = sparseBytes();
        writeDescriptor(bytes, VmdkDescriptorParserTest.QEMU_SPARSE.replace("RW 131072 SPARSE \"a.vmdk\"",
                "RW 131072 SPARSE \"a.vmdk\"\nRW 2048 FLAT \"/dev/sda\" 0"));

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.references()).extracting(ExternalReference::target)
                .containsExactly("a.vmdk", "/dev/sda");
        assertThat(inspection.references()).allSatisfy(
                r -> assertThat(r.code()).isEqualTo(FindingCode.VMDK_EXTERNAL_EXTENT));
    }

    @Test
    void aChangeTrackingFileIsAlwaysAFileOutsideTheImage() throws Exception {
        for (String key : List.of("changeTrackPath", "CHANGETRACKPATH")) {
            byte[] bytes = sparseBytes();
            writeDescriptor(bytes, VmdkDescriptorParserTest.QEMU_SPARSE.replace("createType=\"monolithicSparse\"",
                    "createType=\"monolithicSparse\"\n" + key + "=\"disk-ctk.vmdk\""));

            Inspection inspection = inspect(INSPECTOR, bytes);

            assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
            assertThat(inspection.references()).singleElement().satisfies(r -> {
                assertThat(r.kind()).isEqualTo(ExternalReference.Kind.DATA_FILE);
                assertThat(r.code()).isEqualTo(FindingCode.VMDK_CHANGE_TRACKING_FILE);
                assertThat(r.target()).isEqualTo("disk-ctk.vmdk");
            });
        }
        ValidationReport report = ImageValidator.of(ImagePolicy.defaults().withAllowBackingFiles(true))
                .validate("ctk", new FileImageBytes(new OneBytePerReadChannel(withChangeTracking()),
                        withChangeTracking().length, ImagePolicy.DEFAULT_READ_BUDGET), java.util.Optional.empty());
        assertThat(report.rejections()).extracting(Finding::code).containsExactly(FindingCode.VMDK_CHANGE_TRACKING_FILE);
    }

    private byte[] withChangeTracking() throws Exception {
        byte[] bytes = sparseBytes();
        writeDescriptor(bytes, VmdkDescriptorParserTest.QEMU_SPARSE.replace("createType=\"monolithicSparse\"",
                "createType=\"monolithicSparse\"\nchangeTrackPath=\"disk-ctk.vmdk\""));
        return bytes;
    }

    @Test
    void reportsSingleFlatExtentInEmbeddedDescriptor() throws Exception {
        byte[] bytes = sparseBytes();
        writeDescriptor(bytes, VmdkDescriptorParserTest.QEMU_SPARSE.replace("RW 131072 SPARSE \"a.vmdk\"",
                "RW 131072 FLAT \"/etc/shadow\" 0"));

        assertThat(inspect(INSPECTOR, bytes).references()).extracting(ExternalReference::target)
                .containsExactly("/etc/shadow");
    }

    @Test
    void reportsHandWrittenParentHintInEmbeddedDescriptor() throws Exception {
        byte[] bytes = sparseBytes();
        writeDescriptor(bytes, VmdkDescriptorParserTest.QEMU_SPARSE.replace("createType=\"monolithicSparse\"",
                "createType=\"monolithicSparse\"\nparentFileNameHint=\"/var/lib/secret.vmdk\""));

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.references()).singleElement().satisfies(r -> {
            assertThat(r.kind()).isEqualTo(ExternalReference.Kind.BACKING);
            assertThat(r.target()).isEqualTo("/var/lib/secret.vmdk");
        });
    }

    @Test
    void reportsParentCidWithoutHintAsParent() throws Exception {
        byte[] bytes = sparseBytes();
        writeDescriptor(bytes, VmdkDescriptorParserTest.QEMU_SPARSE.replace("parentCID=ffffffff",
                "parentCID=0badf00d"));

        assertThat(inspect(INSPECTOR, bytes).references()).singleElement().satisfies(r -> {
            assertThat(r.kind()).isEqualTo(ExternalReference.Kind.BACKING);
            assertThat(r.code()).isEqualTo(FindingCode.VMDK_PARENT_HINT);
        });
    }

    @Test
    void reportsParentHintWhereQemuLooksEvenIfTheHeaderPointsElsewhere() throws Exception {
        byte[] bytes = sparseBytes();
        // Real descriptor moved to sector 40; qemu still reads the hint from sector 1.
        byte[] real = VmdkDescriptorParserTest.QEMU_SPARSE.getBytes(StandardCharsets.US_ASCII);
        Arrays.fill(bytes, 512, 512 + 20 * 512, (byte) 0);
        System.arraycopy(real, 0, bytes, 40 * 512, real.length);
        le(bytes).putLong(DESCRIPTOR_OFFSET, 40).putLong(DESCRIPTOR_SIZE, 20);
        byte[] decoy = "parentFileNameHint=\"/etc/hidden.vmdk\"\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(decoy, 0, bytes, 512, decoy.length);

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.references()).extracting(ExternalReference::target).containsExactly("/etc/hidden.vmdk");
    }

    @Test
    void followsEmbeddedDescriptorExtentsWhenCapacityIsZero() throws Exception {
        byte[] bytes = sparseBytes();
        le(bytes).putLong(CAPACITY, 0);
        writeDescriptor(bytes, VmdkDescriptorParserTest.QEMU_SPARSE.replace("createType=\"monolithicSparse\"",
                "createType=\"monolithicFlat\"").replace("RW 131072 SPARSE \"a.vmdk\"",
                "RW 131072 FLAT \"/etc/passwd\" 0"));

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).hasValue("monolithicFlat");
        assertThat(inspection.virtualSize()).hasValue(64 * MIB);
        assertThat(inspection.references()).extracting(ExternalReference::target).containsExactly("/etc/passwd");
    }

    @Test
    void followsEvenASingleSparseExtentWhenCapacityIsZero() throws Exception {
        byte[] bytes = sparseBytes();
        le(bytes).putLong(CAPACITY, 0);

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.references()).extracting(ExternalReference::target).containsExactly("patched.vmdk");
    }

    @Test
    void rejectsUnterminatedDescriptorWhenCapacityIsZero() throws Exception {
        byte[] bytes = sparseBytes();
        le(bytes).putLong(CAPACITY, 0).putLong(DESCRIPTOR_SIZE, 1);
        Arrays.fill(bytes, 512, 1024, (byte) '#');

        assertRejected(inspect(INSPECTOR, bytes), MatchLevel.MAGIC_ONLY, FindingCode.VMDK_MALFORMED_DESCRIPTOR);
    }

    @Test
    void rejectsMalformedEmbeddedDescriptor() throws Exception {
        byte[] bytes = sparseBytes();
        writeDescriptor(bytes, VmdkDescriptorParserTest.QEMU_SPARSE + "garbage line\n");

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertRejected(inspection, MatchLevel.MAGIC_ONLY, FindingCode.VMDK_MALFORMED_DESCRIPTOR);
        assertThat(inspection.findings().get(0).offset()).isGreaterThan(512);
    }

    @Test
    void rejectsEmbeddedDescriptorWithoutCreateType() throws Exception {
        byte[] bytes = sparseBytes();
        writeDescriptor(bytes, VmdkDescriptorParserTest.QEMU_SPARSE.replace("createType=\"monolithicSparse\"", ""));

        assertRejected(inspect(INSPECTOR, bytes), MatchLevel.MAGIC_ONLY, FindingCode.VMDK_MALFORMED_DESCRIPTOR);
    }

    @Test
    void reportsOtherCreateTypeAsVariantForThePolicy() throws Exception {
        byte[] bytes = sparseBytes();
        writeDescriptor(bytes, VmdkDescriptorParserTest.QEMU_SPARSE.replace("monolithicSparse", "vmfsSparse"));

        assertThat(inspect(INSPECTOR, bytes).variant()).hasValue("vmfsSparse");
    }

    @Test
    void rejectsCompressedHeaderClaimingMonolithicSparse() throws Exception {
        byte[] bytes = sparseBytes();
        le(bytes).putShort(COMPRESS, (short) 1);

        assertRejected(inspect(INSPECTOR, bytes), MatchLevel.MAGIC_ONLY, FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsBadGrainSizes() throws Exception {
        for (long grain : new long[] {0, 3, 100, 0x400000, -1L, Long.MIN_VALUE}) {
            byte[] bytes = sparseBytes();
            le(bytes).putLong(GRAIN_SIZE, grain);
            assertRejected(inspect(INSPECTOR, bytes), MatchLevel.MAGIC_ONLY, FindingCode.MALFORMED_HEADER);
        }
    }

    @Test
    void rejectsAbsurdCapacities() throws Exception {
        for (long capacity : new long[] {1L << 62, Long.MAX_VALUE, -1L, 1L << 54}) {
            byte[] bytes = sparseBytes();
            le(bytes).putLong(CAPACITY, capacity);
            assertRejected(inspect(INSPECTOR, bytes), MatchLevel.MAGIC_ONLY, FindingCode.MALFORMED_HEADER);
        }
    }

    @Test
    void rejectsGrainDirectoryThatDoesNotFitTheFile() throws Exception {
        byte[] bytes = sparseBytes();
        le(bytes).putLong(CAPACITY, 1L << 40);

        assertRejected(inspect(INSPECTOR, bytes), MatchLevel.MAGIC_ONLY, FindingCode.TRUNCATED);
    }

    @Test
    void rejectsGrainDirectoryBeyondTheFile() throws Exception {
        for (long gd : new long[] {1L << 20, Long.MAX_VALUE, 0}) {
            byte[] bytes = sparseBytes();
            le(bytes).putLong(GD_OFFSET, gd);
            Inspection inspection = inspect(INSPECTOR, bytes);
            assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
            assertThat(inspection.findings()).singleElement().satisfies(f -> assertThat(f.rejects()).isTrue());
        }
    }

    @Test
    void rejectsUnsupportedVersionsAndTableSizes() throws Exception {
        byte[] v4 = sparseBytes();
        le(v4).putInt(VERSION, 4);
        assertRejected(inspect(INSPECTOR, v4), MatchLevel.MAGIC_ONLY, FindingCode.MALFORMED_HEADER);
        byte[] v0 = sparseBytes();
        le(v0).putInt(VERSION, 0);
        assertRejected(inspect(INSPECTOR, v0), MatchLevel.MAGIC_ONLY, FindingCode.MALFORMED_HEADER);
        byte[] gtes = sparseBytes();
        le(gtes).putInt(NUM_GTES, 4096);
        assertRejected(inspect(INSPECTOR, gtes), MatchLevel.MAGIC_ONLY, FindingCode.MALFORMED_HEADER);
        byte[] compression = sparseBytes();
        le(compression).putShort(COMPRESS, (short) 7);
        assertRejected(inspect(INSPECTOR, compression), MatchLevel.MAGIC_ONLY, FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsDamagedNewlineDetectionBytes() throws Exception {
        byte[] bytes = sparseBytes();
        bytes[75] = '\n';

        assertRejected(inspect(INSPECTOR, bytes), MatchLevel.MAGIC_ONLY, FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsDescriptorOffsetBeyondEndOfFile() throws Exception {
        byte[] bytes = sparseBytes();
        le(bytes).putLong(DESCRIPTOR_OFFSET, 1L << 30);

        assertRejected(inspect(INSPECTOR, bytes), MatchLevel.MAGIC_ONLY, FindingCode.TRUNCATED);
        le(bytes).putLong(DESCRIPTOR_OFFSET, -2L);
        assertRejected(inspect(INSPECTOR, bytes), MatchLevel.MAGIC_ONLY, FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsHugeDescriptorSize() throws Exception {
        for (long size : new long[] {129, 1L << 40, -1L}) {
            byte[] bytes = sparseBytes();
            le(bytes).putLong(DESCRIPTOR_SIZE, size);
            assertRejected(inspect(INSPECTOR, bytes), MatchLevel.MAGIC_ONLY, FindingCode.VMDK_MALFORMED_DESCRIPTOR);
        }
    }

    @Test
    void rejectsOverheadBeyondTheFile() throws Exception {
        byte[] bytes = sparseBytes();
        le(bytes).putLong(OVERHEAD, 1L << 40);

        assertRejected(inspect(INSPECTOR, bytes), MatchLevel.MAGIC_ONLY, FindingCode.TRUNCATED);
    }

    @Test
    void neverMatchesATruncatedSparseImage() throws Exception {
        byte[] bytes = sparseBytes();
        List<Inspection> results = InspectorHarness.inspectTruncatedAt(INSPECTOR, bytes,
                0, 1, 3, 4, 12, 44, 76, 79, 511, 512, 1024, 10752, 20000, 32768, 65535);

        assertThat(results.subList(0, 3)).allSatisfy(i -> assertThat(i.level()).isEqualTo(MatchLevel.NONE));
        assertThat(results.subList(3, results.size())).allSatisfy(i -> {
            assertThat(i.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
            assertThat(i.findings()).singleElement().satisfies(f -> assertThat(f.rejects()).isTrue());
        });
        assertThat(results.get(4).findings().get(0).code()).isEqualTo(FindingCode.TRUNCATED);
    }

    @Test
    void neverMatchesATruncatedStreamOptimizedFooterImage() throws Exception {
        byte[] bytes = Files.readAllBytes(withFooter(streamOptimized("trunc-src.vmdk"), "trunc.vmdk"));

        List<Inspection> results = InspectorHarness.inspectTruncatedAt(INSPECTOR, bytes,
                bytes.length - 1, bytes.length - 512, bytes.length - 1024, bytes.length - 1536, 600);

        assertThat(results).allSatisfy(i -> {
            assertThat(i.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
            assertThat(i.findings()).isNotEmpty();
        });
    }

    @Test
    void fuzzSeedCorpusHoldsValidAndBrokenImages() throws Exception {
        String dir = "VmdkInspectorFuzzTestInputs/inspectsAnyBytesWithoutThrowing/";

        assertThat(inspectResource(dir + "sparse-valid.bin").level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspectResource(dir + "sparse-footer.bin").level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspectResource(dir + "sparse-zero-capacity.bin").references()).hasSize(1);
        assertThat(inspectResource(dir + "descriptor-passwd.txt").references()).hasSize(2);
        assertThat(inspectResource(dir + "cowd.bin").variant()).hasValue("vmfsSparse");
        assertThat(inspectResource(dir + "sparse-truncated.bin").level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(inspectResource(dir + "sparse-self-extent-foreign.bin").references())
                .extracting(ExternalReference::target).containsExactly("/etc/hosts");
        Inspection window = inspectResource(dir + "sparse-window-descriptor.bin");
        assertThat(window.references()).extracting(ExternalReference::target).containsExactly("nbd:localhost:10809");
        assertThat(window.findings()).extracting(Finding::code).containsExactly(FindingCode.VMDK_COPIES_DISAGREE);
        Inspection copies = inspectResource(dir + "sparse-footer-copies-differ.bin");
        assertThat(copies.references()).extracting(ExternalReference::target).containsExactly("../seed.vmdk");
        assertThat(copies.findings()).extracting(Finding::code).containsExactly(FindingCode.VMDK_COPIES_DISAGREE);
        assertThat(inspectResource(dir + "cowd-child.bin").references()).extracting(ExternalReference::target)
                .containsExactly("/vmfs/volumes/datastore1/base.vmdk\\x1b[0m");
    }

    private static Inspection inspectResource(String name) throws IOException {
        try (var in = VmdkInspectorTest.class.getResourceAsStream(name)) {
            return inspect(INSPECTOR, in.readAllBytes());
        }
    }

    // ------------------------------------------------------------------ COWD

    @Test
    void recognisesCowdAsVmfsSparse() {
        byte[] bytes = cowd(2048, 16, 4, 1);

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).hasValue("vmfsSparse");
        assertThat(inspection.virtualSize()).hasValue(2048 * 512L);
    }

    @Test
    void rejectsCowdWithAbsurdFields() {
        assertRejected(inspect(INSPECTOR, cowd(2048, 3, 4, 1)), MatchLevel.MAGIC_ONLY, FindingCode.MALFORMED_HEADER);
        assertRejected(inspect(INSPECTOR, cowd(2048, 16, 4, 0xffffffffL)), MatchLevel.MAGIC_ONLY,
                FindingCode.MALFORMED_HEADER);
        assertRejected(inspect(INSPECTOR, cowd(2048, 16, 0x7fffffffL, 1)), MatchLevel.MAGIC_ONLY,
                FindingCode.TRUNCATED);
        assertRejected(inspect(INSPECTOR, Arrays.copyOf(cowd(2048, 16, 4, 1), 20)), MatchLevel.MAGIC_ONLY,
                FindingCode.TRUNCATED);
    }

    /** An ESX COWD header: magic, version 1, flags, sectors, grain, gd offset, gd entries. */
    static byte[] cowd(long sectors, long grain, long gdOffset, long gdEntries) {
        byte[] bytes = new byte[4096];
        ByteBuffer b = le(bytes);
        b.putInt(0, VmdkInspector.COWD_MAGIC).putInt(4, 1).putInt(8, 3).putInt(12, (int) sectors)
                .putInt(16, (int) grain).putInt(20, (int) gdOffset).putInt(24, (int) gdEntries);
        return bytes;
    }

    // ------------------------------------------------------------------ helpers

    static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void writeDescriptor(byte[] bytes, String text) {
        Arrays.fill(bytes, 512, 512 + 20 * 512, (byte) 0);
        byte[] raw = text.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(raw, 0, bytes, 512, raw.length);
    }

    /** Moves a streamOptimized image's header into a footer, the way VMware tools write it. */
    private Path withFooter(Path source, String name) throws IOException {
        byte[] original = Files.readAllBytes(source);
        byte[] bytes = Arrays.copyOf(original, original.length + 1536);
        ByteBuffer b = le(bytes);
        int marker = original.length;
        b.putLong(marker, 1).putInt(marker + 8, 0).putInt(marker + 12, VmdkInspector.MARKER_FOOTER);
        System.arraycopy(original, 0, bytes, marker + 512, 512);
        b.putLong(GD_OFFSET, -1L);
        Path image = dir.resolve(name);
        Files.write(image, bytes);
        return image;
    }

    private static void assertRejected(Inspection inspection, MatchLevel level, FindingCode code) {
        assertThat(inspection.level()).isEqualTo(level);
        assertThat(inspection.findings()).extracting(Finding::code).contains(code);
        assertThat(inspection.findings()).anySatisfy(f -> assertThat(f.rejects()).isTrue());
    }
}
