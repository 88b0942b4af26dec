package dev.diskimage.validation;

import static dev.diskimage.validation.InspectorHarness.inspect;
import static dev.diskimage.validation.InspectorHarness.qemuImg;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VdiInspectorTest {
    private static final VdiInspector INSPECTOR = new VdiInspector();
    private static final long MIB = 1024 * 1024;
    // VDI header field offsets (VirtualBox VDIHEADER1PLUS after the pre-header).
    private static final int SIGNATURE = VdiInspector.SIGNATURE_OFFSET;

    @TempDir
    Path dir;

    private Path qemuVdi(String name, String size, String... options) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("create", "-q", "-f", "vdi"));
        for (String option : options) {
            args.add("-o");
            args.add(option);
        }
        args.add("{}");
        args.add(size);
        return qemuImg(dir, name, args.toArray(String[]::new));
    }

    private byte[] dynamicBytes() throws Exception {
        return Files.readAllBytes(qemuVdi("patched.vdi", "10M"));
    }

    @Test
    void acceptsQemuDynamicVdi() throws Exception {
        Path image = qemuVdi("dynamic.vdi", "10M");

        Inspection inspection = inspect(INSPECTOR, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).hasValue("dynamic");
        assertThat(inspection.virtualSize()).hasValue(10 * MIB);
        assertThat(inspection.references()).isEmpty();
        assertThat(inspection.findings()).isEmpty();
        assertThat(inspection.details()).containsEntry("block_size", (long) MIB).containsEntry("blocks", 10L);
    }

    @Test
    void acceptsQemuStaticVdi() throws Exception {
        Path image = qemuVdi("fixed.vdi", "3M", "static=on");

        Inspection inspection = inspect(INSPECTOR, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).hasValue("fixed");
        assertThat(inspection.virtualSize()).hasValue(3 * MIB);
        assertThat(inspection.details()).containsEntry("allocated_blocks", 3L);
    }

    @Test
    void acceptsVdiWithWrittenData() throws Exception {
        Path raw = dir.resolve("data.raw");
        byte[] data = new byte[(int) (5 * MIB)];
        Arrays.fill(data, (int) (2 * MIB), (int) (2 * MIB + 4096), (byte) 0x5a);
        Files.write(raw, data);
        Path image = qemuImg(dir, "data.vdi", "convert", "-q", "-f", "raw", "-O", "vdi", raw.toString(), "{}");

        Inspection inspection = InspectorHarness.inspectWithShortReads(INSPECTOR, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(5 * MIB);
        assertThat(inspection.details()).containsEntry("allocated_blocks", 1L);
    }

    @Test
    void acceptsQemuVdiThroughShortReads() throws Exception {
        Inspection inspection = InspectorHarness.inspectWithShortReads(INSPECTOR, qemuVdi("short.vdi", "1G"));

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(1024 * MIB);
    }

    @Test
    void roundsOddDiskSizeUpAsQemuDoes() throws Exception {
        byte[] bytes = dynamicBytes();
        le(bytes).putLong(VdiInspector.DISK_SIZE, 10 * MIB - 100);

        assertThat(inspect(INSPECTOR, bytes).virtualSize()).hasValue(10 * MIB);
    }

    @Test
    void reportsDifferencingImageWithParentUuid() throws Exception {
        byte[] bytes = dynamicBytes();
        le(bytes).putInt(VdiInspector.IMAGE_TYPE, 4);
        // GUID 01020304-0506-0708-090a-0b0c0d0e0f10 stored the VirtualBox way.
        byte[] link = {4, 3, 2, 1, 6, 5, 8, 7, 9, 10, 11, 12, 13, 14, 15, 16};
        System.arraycopy(link, 0, bytes, VdiInspector.UUID_LINK, 16);

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).hasValue("differencing");
        assertThat(inspection.references()).singleElement().satisfies(r -> {
            assertThat(r.kind()).isEqualTo(ExternalReference.Kind.BACKING);
            assertThat(r.code()).isEqualTo(FindingCode.VDI_DIFFERENCING);
            assertThat(r.target()).isEqualTo("01020304-0506-0708-090a-0b0c0d0e0f10");
            assertThat(r.offset()).isEqualTo(VdiInspector.UUID_LINK);
        });
    }

    @Test
    void reportsDifferencingTypeEvenWithoutUuids() throws Exception {
        byte[] bytes = dynamicBytes();
        le(bytes).putInt(VdiInspector.IMAGE_TYPE, 4);

        assertThat(inspect(INSPECTOR, bytes).references()).singleElement()
                .satisfies(r -> assertThat(r.code()).isEqualTo(FindingCode.VDI_DIFFERENCING));
    }

    @Test
    void reportsParentUuidOnNormalImageAsDifferencingEvidence() throws Exception {
        byte[] bytes = dynamicBytes();
        bytes[VdiInspector.UUID_PARENT + 15] = 1;

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.variant()).hasValue("dynamic");
        assertThat(inspection.references()).singleElement().satisfies(r -> {
            assertThat(r.kind()).isEqualTo(ExternalReference.Kind.BACKING);
            assertThat(r.target()).isEqualTo("00000000-0000-0000-0000-000000000001");
        });
    }

    @Test
    void reportsUndoImageAsHavingAParent() throws Exception {
        byte[] bytes = dynamicBytes();
        le(bytes).putInt(VdiInspector.IMAGE_TYPE, 3);

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.variant()).hasValue("undo");
        assertThat(inspection.references()).hasSize(1);
    }

    @Test
    void rejectsBadSignatureBehindCorrectPreHeader() throws Exception {
        byte[] bytes = dynamicBytes();
        le(bytes).putInt(SIGNATURE, 0xbeda1000);

        assertRejected(inspect(INSPECTOR, bytes), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void ignoresFilesWithoutSignatureOrPreHeader() throws Exception {
        byte[] bytes = dynamicBytes();
        le(bytes).putInt(SIGNATURE, 0);
        Arrays.fill(bytes, 0, 0x40, (byte) 0);

        assertThat(inspect(INSPECTOR, bytes).level()).isEqualTo(MatchLevel.NONE);
        assertThat(inspect(INSPECTOR, new byte[0]).level()).isEqualTo(MatchLevel.NONE);
        assertThat(inspect(INSPECTOR, "<<< Oracle VM VirtualBox".getBytes(StandardCharsets.US_ASCII)).level())
                .isEqualTo(MatchLevel.NONE);
    }

    @Test
    void preHeaderTextCutBeforeTheSignatureIsATruncatedVdiNotRaw() {
        // The text is evidence of a VDI at any length (as beside a wrong signature): never raw.
        Inspection result = inspect(INSPECTOR,
                "<<< Oracle VM VirtualBox Disk Image >>>\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(result.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(result.findings()).extracting(Finding::code).containsExactly(FindingCode.TRUNCATED);
    }

    @Test
    void neverMatchesATruncatedVdi() throws Exception {
        byte[] bytes = Files.readAllBytes(qemuVdi("trunc.vdi", "3M", "static=on"));

        List<Inspection> results = InspectorHarness.inspectTruncatedAt(INSPECTOR, bytes,
                0, 0x40, 0x43, 0x44, 0x48, 0x154, 0x180, 0x1ff, 0x200, 0x300, 0x400, 2 * MIB);

        assertThat(results.get(0).level()).isEqualTo(MatchLevel.NONE);
        // Cut inside or right after the pre-header text, before the signature: still a cut VDI.
        assertThat(results.subList(1, results.size())).allSatisfy(i -> {
            assertThat(i.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
            assertThat(i.findings()).extracting(Finding::code).containsExactly(FindingCode.TRUNCATED);
        });
    }

    @Test
    void rejectsUnsupportedVersionAndHeaderSize() throws Exception {
        byte[] v10 = dynamicBytes();
        le(v10).putInt(VdiInspector.VERSION, 0x00010000);
        assertRejected(inspect(INSPECTOR, v10), FindingCode.MALFORMED_HEADER);
        byte[] header = dynamicBytes();
        le(header).putInt(VdiInspector.HEADER_SIZE, -1);
        assertRejected(inspect(INSPECTOR, header), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsUnknownImageTypeAndSectorSize() throws Exception {
        for (int type : new int[] {0, 5, -1}) {
            byte[] bytes = dynamicBytes();
            le(bytes).putInt(VdiInspector.IMAGE_TYPE, type);
            assertRejected(inspect(INSPECTOR, bytes), FindingCode.MALFORMED_HEADER);
        }
        byte[] sector = dynamicBytes();
        le(sector).putInt(VdiInspector.SECTOR_SIZE, 4096);
        assertRejected(inspect(INSPECTOR, sector), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsAbsurdDiskSizes() throws Exception {
        for (long size : new long[] {Long.MIN_VALUE, -1L, 1L << 62, 11 * MIB}) {
            byte[] bytes = dynamicBytes();
            le(bytes).putLong(VdiInspector.DISK_SIZE, size);
            assertRejected(inspect(INSPECTOR, bytes), FindingCode.MALFORMED_HEADER);
        }
    }

    @Test
    void rejectsAbsurdBlockSizesAndCounts() throws Exception {
        int[][] patches = {
            {VdiInspector.BLOCK_SIZE, 3}, {VdiInspector.BLOCK_SIZE, 0}, {VdiInspector.BLOCK_SIZE, 1 << 30}, {VdiInspector.BLOCK_SIZE, -1},
            {VdiInspector.BLOCK_EXTRA, 512}, {VdiInspector.BLOCKS_IN_IMAGE, -1}, {VdiInspector.BLOCKS_ALLOCATED, 11},
            {VdiInspector.OFFSET_BLOCK_MAP, 0x201}, {VdiInspector.OFFSET_DATA, 0x401}, {VdiInspector.OFFSET_BLOCK_MAP, 0}, {VdiInspector.OFFSET_DATA, 0x200},
        };
        for (int[] patch : patches) {
            byte[] bytes = dynamicBytes();
            le(bytes).putInt(patch[0], patch[1]);
            assertRejected(inspect(INSPECTOR, bytes), FindingCode.MALFORMED_HEADER);
        }
    }

    @Test
    void rejectsTablesAndBlocksBeyondTheFile() throws Exception {
        byte[] blocks = dynamicBytes();
        le(blocks).putInt(VdiInspector.BLOCKS_IN_IMAGE, 0x3fffffff).putInt(VdiInspector.OFFSET_DATA, 0x7ffffe00);
        assertRejected(inspect(INSPECTOR, blocks), FindingCode.TRUNCATED);
        byte[] allocated = dynamicBytes();
        le(allocated).putInt(VdiInspector.BLOCKS_ALLOCATED, 10);
        assertRejected(inspect(INSPECTOR, allocated), FindingCode.TRUNCATED);
        byte[] map = dynamicBytes();
        le(map).putInt(VdiInspector.OFFSET_BLOCK_MAP, 0x7ffffe00).putInt(VdiInspector.OFFSET_DATA, 0x7ffffe00);
        assertRejected(inspect(INSPECTOR, map), FindingCode.TRUNCATED);
    }

    @Test
    void fuzzSeedCorpusHoldsValidAndBrokenImages() throws Exception {
        String dir = "VdiInspectorFuzzTestInputs/inspectsAnyBytesWithoutThrowing/";

        assertThat(inspectResource(dir + "dynamic.bin").level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspectResource(dir + "differencing.bin").references()).hasSize(1);
        assertThat(inspectResource(dir + "static-truncated.bin").level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(inspectResource(dir + "bad-signature.bin").level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(inspectResource(dir + "absurd.bin").level()).isEqualTo(MatchLevel.MAGIC_ONLY);
    }

    private static Inspection inspectResource(String name) throws java.io.IOException {
        try (var in = VdiInspectorTest.class.getResourceAsStream(name)) {
            return inspect(INSPECTOR, in.readAllBytes());
        }
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void assertRejected(Inspection inspection, FindingCode code) {
        assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(inspection.findings()).singleElement().satisfies(f -> {
            assertThat(f.code()).isEqualTo(code);
            assertThat(f.rejects()).isTrue();
        });
    }
}
