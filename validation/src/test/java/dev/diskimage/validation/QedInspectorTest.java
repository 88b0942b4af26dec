package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** QedInspector over images made by the real qemu-img, and over hand-patched headers. */
class QedInspectorTest {
    private static final long GIB = 1L << 30;
    private final QedInspector inspector = new QedInspector();

    @TempDir
    Path dir;

    private Inspection inspect(Path file) throws Exception {
        Inspection viaFile = InspectorHarness.inspect(inspector, file);
        assertThat(InspectorHarness.inspectWithShortReads(inspector, file)).isEqualTo(viaFile);
        return viaFile;
    }

    private byte[] plain() throws Exception {
        return Files.readAllBytes(InspectorHarness.qemuImg(dir, "plain.qed", "create", "-f", "qed", "{}", "1G"));
    }

    private static byte[] patch32(byte[] image, int offset, long value) {
        byte[] copy = image.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, (int) value);
        return copy;
    }

    private static byte[] patch64(byte[] image, int offset, long value) {
        byte[] copy = image.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putLong(offset, value);
        return copy;
    }

    private void assertRejected(byte[] image, FindingCode code) {
        Inspection result = InspectorHarness.inspect(inspector, image);
        assertThat(result.level()).isNotEqualTo(MatchLevel.NONE);
        assertThat(result.findings()).anyMatch(f -> f.rejects() && f.code() == code);
    }

    @Test
    void acceptsPlainImage() throws Exception {
        Inspection result = inspect(InspectorHarness.qemuImg(dir, "a.qed", "create", "-f", "qed", "{}", "1G"));
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.findings()).isEmpty();
        assertThat(result.references()).isEmpty();
        assertThat(result.virtualSize()).hasValue(GIB);
        assertThat(result.details()).containsEntry("cluster_size", 65536L).containsEntry("table_size", 4L);
    }

    @Test
    void acceptsSmallAndLargeClusters() throws Exception {
        Inspection small = inspect(InspectorHarness.qemuImg(dir, "s.qed", "create", "-f", "qed", "-o",
                "cluster_size=4096,table_size=16", "{}", "1G"));
        assertThat(small.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(small.details()).containsEntry("cluster_size", 4096L);
        Inspection large = inspect(InspectorHarness.qemuImg(dir, "l.qed", "create", "-f", "qed", "-o",
                "cluster_size=1M,table_size=2", "{}", "1G"));
        assertThat(large.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(large.virtualSize()).hasValue(GIB);
    }

    @Test
    void reportsBackingFileAsReference() throws Exception {
        InspectorHarness.qemuImg(dir, "base.qed", "create", "-f", "qed", "{}", "1G");
        Inspection result = inspect(InspectorHarness.qemuImg(dir, "overlay.qed", "create", "-f", "qed", "-b",
                "base.qed", "-F", "qed", "{}", "1G"));
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.references()).singleElement().satisfies(ref -> {
            assertThat(ref.kind()).isEqualTo(ExternalReference.Kind.BACKING);
            assertThat(ref.code()).isEqualTo(FindingCode.QED_BACKING_FILE);
            assertThat(ref.target()).isEqualTo("base.qed");
        });
    }

    @Test
    void reportsRawBackingFormat() throws Exception {
        InspectorHarness.qemuImg(dir, "base.raw", "create", "-f", "raw", "{}", "1G");
        Inspection result = inspect(InspectorHarness.qemuImg(dir, "overlay.qed", "create", "-f", "qed", "-b",
                "base.raw", "-F", "raw", "{}", "1G"));
        assertThat(result.references()).singleElement()
                .satisfies(ref -> assertThat(ref.target()).isEqualTo("base.raw"));
        assertThat(result.details()).containsEntry("backing_format", "raw");
    }

    @Test
    void rejectsUnknownFeature() throws Exception {
        assertRejected(patch64(plain(), 16, 1L << 3), FindingCode.QED_UNKNOWN_FEATURE);
        assertRejected(patch64(plain(), 16, Long.MIN_VALUE), FindingCode.QED_UNKNOWN_FEATURE);
    }

    @Test
    void reportsNeedsCheckWithoutRejecting() throws Exception {
        Inspection result = InspectorHarness.inspect(inspector, patch64(plain(), 16, 1L << 1));
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.details()).containsEntry("needs_check", true);
        assertThat(result.findings()).noneMatch(Finding::rejects);
    }

    @Test
    void rejectsBadClusterSizes() throws Exception {
        for (long size : new long[] {0, 512, 4097, 3 << 16, 128L << 20, 0xffffffffL}) {
            assertRejected(patch32(plain(), 4, size), FindingCode.MALFORMED_HEADER);
        }
    }

    @Test
    void rejectsBadTableSizes() throws Exception {
        for (long size : new long[] {0, 1, 3, 32, 0xffffffffL}) {
            assertRejected(patch32(plain(), 8, size), FindingCode.MALFORMED_HEADER);
        }
    }

    @Test
    void rejectsBadHeaderSizes() throws Exception {
        assertRejected(patch32(plain(), 12, 0), FindingCode.MALFORMED_HEADER);
        assertRejected(patch32(plain(), 12, 0xffffffffL), FindingCode.MALFORMED_HEADER);
        // The L1 table at cluster 1 would then overlap a two-cluster header.
        assertRejected(patch32(plain(), 12, 2), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsAbsurdImageSizes() throws Exception {
        assertRejected(patch64(plain(), 48, 1L << 63), FindingCode.MALFORMED_HEADER);
        assertRejected(patch64(plain(), 48, Long.MAX_VALUE - 511), FindingCode.MALFORMED_HEADER);
        assertRejected(patch64(plain(), 48, GIB + 1), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsL1TableOutsideTheFile() throws Exception {
        assertRejected(patch64(plain(), 40, 1L << 40), FindingCode.TRUNCATED);
        assertRejected(patch64(plain(), 40, 65536 + 8), FindingCode.MALFORMED_HEADER);
        assertRejected(patch64(plain(), 40, 0), FindingCode.MALFORMED_HEADER);
        assertRejected(patch64(plain(), 40, -65536), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsBackingNameOutsideTheHeader() throws Exception {
        byte[] image = patch64(plain(), 16, 1L);
        assertRejected(patch32(patch32(image, 56, 65530), 60, 100), FindingCode.MALFORMED_HEADER);
        assertRejected(patch32(patch32(image, 56, 64), 60, 0xffffffffL), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void truncationNeverGivesSilentMatch() throws Exception {
        byte[] image = plain();
        long[] boundaries = {0, 3, 4, 16, 40, 63, 64, 4096, 65536, 65537, image.length - 1};
        List<Inspection> results = InspectorHarness.inspectTruncatedAt(inspector, image, boundaries);
        for (int i = 0; i < results.size(); i++) {
            Inspection result = results.get(i);
            if (boundaries[i] < 4) {
                assertThat(result.level()).isEqualTo(MatchLevel.NONE);
            } else {
                assertThat(result.level()).as("prefix of %d bytes", boundaries[i]).isEqualTo(MatchLevel.MAGIC_ONLY);
                assertThat(result.findings()).as("prefix of %d bytes", boundaries[i])
                        .anyMatch(f -> f.rejects() && f.code() == FindingCode.TRUNCATED);
            }
        }
    }

    @Test
    void ignoresOtherFormats() {
        assertThat(InspectorHarness.inspect(inspector, new byte[] {'Q', 'E', 'D'}).level()).isEqualTo(MatchLevel.NONE);
        byte[] qcow2 = new byte[4096];
        ByteBuffer.wrap(qcow2).putInt(0, 0x514649fb);
        assertThat(InspectorHarness.inspect(inspector, qcow2).level()).isEqualTo(MatchLevel.NONE);
    }

    @Test
    void seedCorpusHoldsValidAndBrokenImages() throws Exception {
        String corpus = "QedInspectorFuzzTestInputs/inspect/";
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "plain.qed")).isEqualTo(MatchLevel.MATCH);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "backing.qed")).isEqualTo(MatchLevel.MATCH);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "unknown-feature.qed")).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "truncated-32.qed")).isEqualTo(MatchLevel.MAGIC_ONLY);
    }


    @Test
    void inspectsAStreamBeforeItsSizeIsKnown() throws Exception {
        byte[] header = java.util.Arrays.copyOf(plain(), 64);
        Inspection result = inspector.run(new Qcow2InspectorTest.UnfinishedStreamBytes(header));
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.virtualSize()).hasValue(GIB);
    }
}
