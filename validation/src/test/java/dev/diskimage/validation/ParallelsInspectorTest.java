package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.DiskFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ParallelsInspector over images made by the real qemu-img, and over hand-patched headers. */
class ParallelsInspectorTest {
    private static final long GIB = 1L << 30;
    private static final int CLUSTER_64K = 64 << 10;
    private final ParallelsInspector inspector = new ParallelsInspector();

    @TempDir
    static Path dir;

    /** Empty 1 GiB image with 64 KiB clusters: header and BAT in the first cluster, nothing allocated. */
    private static byte[] empty;
    /** 4 MiB image with 64 KiB clusters converted from data: four allocated clusters. */
    private static byte[] allocated;

    @BeforeAll
    static void images() throws Exception {
        empty = Files.readAllBytes(InspectorHarness.qemuImg(dir, "empty.prl", "create", "-q", "-f", "parallels",
                "-o", "cluster_size=64k", "{}", "1G"));
        byte[] data = new byte[4 << 20];
        for (int i = 0; i < data.length; i += 1 << 20) {
            data[i] = 1;
        }
        Path raw = dir.resolve("data.raw");
        Files.write(raw, data);
        allocated = Files.readAllBytes(InspectorHarness.qemuImg(dir, "data.prl", "convert", "-q", "-f", "raw", "-O",
                "parallels", "-o", "cluster_size=64k", raw.toString(), "{}"));
    }

    private Inspection inspect(Path file) throws Exception {
        Inspection viaFile = InspectorHarness.inspect(inspector, file);
        assertThat(InspectorHarness.inspectWithShortReads(inspector, file)).isEqualTo(viaFile);
        return viaFile;
    }

    private Path write(String name, byte[] bytes) throws Exception {
        return Files.write(dir.resolve(name), bytes);
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
        assertThat(result.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(result.findings()).anyMatch(f -> f.rejects() && f.code() == code);
    }

    @Test
    void acceptsDefaultImageAndAgreesWithQemuOnVirtualSize() throws Exception {
        Path file = InspectorHarness.qemuImg(dir, "default.prl", "create", "-q", "-f", "parallels", "{}", "1G");
        Inspection result = inspect(file);
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.findings()).isEmpty();
        assertThat(result.references()).isEmpty();
        assertThat(result.variant()).hasValue("extended");
        assertThat(result.virtualSize()).hasValue(GIB).hasValue(InspectorHarness.qemuVirtualSize(file, "parallels"));
        assertThat(result.details()).containsEntry("cluster_size", 1L << 20).containsEntry("bat_entries", 1024L)
                .containsEntry("allocated_clusters", 0L);
    }

    @Test
    void virtualSizeAgreesWithQemuForOddSizesAndClusters() throws Exception {
        String[][] cases = {{"1000000", "1M"}, {"100M", "64k"}, {"3G", "512"}, {"1T", "1M"}, {"7777k", "3584"}};
        for (String[] c : cases) {
            Path file = InspectorHarness.qemuImg(dir, "odd-" + c[0] + "-" + c[1] + ".prl", "create", "-q", "-f",
                    "parallels", "-o", "cluster_size=" + c[1], "{}", c[0]);
            // The 1T and 3G-in-512-byte-clusters tables (4 and 24 MiB) are read whole: a budget to match.
            Inspection result = InspectorHarness.inspect(inspector, file, 32L << 20);
            assertThat(result.level()).as(file.toString()).isEqualTo(MatchLevel.MATCH);
            assertThat(result.virtualSize()).as(file.toString())
                    .hasValue(InspectorHarness.qemuVirtualSize(file, "parallels"));
        }
    }

    @Test
    void checksEveryAllocatedCluster() throws Exception {
        Inspection result = inspect(write("allocated.prl", allocated));
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.details()).containsEntry("allocated_clusters", 4L);
        assertThat(result.virtualSize()).hasValue(4L << 20);
    }

    @Test
    void rejectsAllocatedClustersOutsideTheDataArea() {
        // Five 64 KiB clusters: header and BAT, then data clusters 1..4. Cluster indexes past the
        // end, the last cluster cut short, huge.
        for (long entry : new long[] {5, 6, 1000, 0xffffffffL}) {
            assertRejected(patch32(allocated, 64, entry), FindingCode.PARALLELS_TABLE_OUT_OF_BOUNDS);
        }
        assertRejected(Arrays.copyOf(allocated, allocated.length - 1), FindingCode.PARALLELS_TABLE_OUT_OF_BOUNDS);
        // The empty image's data area starts at cluster 2: cluster 1 is the second half of its BAT.
        assertRejected(patch32(empty, 64 + 4 * 100, 1), FindingCode.PARALLELS_TABLE_OUT_OF_BOUNDS);
    }

    @Test
    void checksBatEntriesFarIntoALargeTable() throws Exception {
        Path file = InspectorHarness.qemuImg(dir, "large.prl", "create", "-q", "-f", "parallels", "{}", "100G");
        byte[] image = Files.readAllBytes(file);
        int farEntry = 70_000;

        assertThat(inspect(file).level()).isEqualTo(MatchLevel.MATCH);
        assertRejected(patch32(image, 64 + 4 * farEntry, 0xfffffff0L), FindingCode.PARALLELS_TABLE_OUT_OF_BOUNDS);
    }

    @Test
    void aBatLargerThanTheReadBudgetIsRefusedNotHalfChecked() throws Exception {
        Path file = InspectorHarness.qemuImg(dir, "huge.prl", "create", "-q", "-f", "parallels", "{}", "400G");

        Inspection withDefaultBudget = inspect(file);
        Inspection withLargerBudget = InspectorHarness.inspect(inspector, file, 4L << 20);

        assertThat(withDefaultBudget.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(withDefaultBudget.findings()).extracting(f -> f.code())
                .containsExactly(FindingCode.READ_BUDGET_EXCEEDED);
        assertThat(withDefaultBudget.findings().get(0).message()).contains("Parallels BAT", "read_budget");
        assertThat(withLargerBudget.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(withLargerBudget.virtualSize()).hasValue(400L << 30);
    }

    @Test
    void legacyBatEntriesCountSectors() {
        byte[] legacy = legacySectors(allocated);
        Inspection result = InspectorHarness.inspect(inspector, legacy);
        assertThat(result.level()).as(result.findings().toString()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.details()).containsEntry("allocated_clusters", 4L);
        // Sector 1 lies inside the header cluster; sector 513 leaves a cluster cut short at the end.
        assertRejected(patch32(legacy, 64, 1), FindingCode.PARALLELS_TABLE_OUT_OF_BOUNDS);
        assertRejected(patch32(legacy, 64 + 12, 4 * 128 + 1), FindingCode.PARALLELS_TABLE_OUT_OF_BOUNDS);
        // The same cluster index read with the extended magic would be fine.
        assertThat(InspectorHarness.inspect(inspector, allocated).level()).isEqualTo(MatchLevel.MATCH);
    }

    /** {@code image} with the legacy magic and its BAT entries turned from clusters into sectors. */
    private static byte[] legacySectors(byte[] image) {
        byte[] copy = legacy(image);
        ByteBuffer buffer = ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN);
        long tracks = Integer.toUnsignedLong(buffer.getInt(ParallelsInspector.OFF_TRACKS));
        long entries = Integer.toUnsignedLong(buffer.getInt(ParallelsInspector.OFF_BAT_ENTRIES));
        for (int i = 0; i < entries; i++) {
            buffer.putInt(64 + 4 * i, (int) (Integer.toUnsignedLong(buffer.getInt(64 + 4 * i)) * tracks));
        }
        return copy;
    }

    @Test
    void readsLegacyMagicLikeQemu() throws Exception {
        // Legacy images count BAT entries in sectors and keep only 32 bits of nb_sectors.
        byte[] image = legacy(patch64(empty, ParallelsInspector.OFF_NB_SECTORS, (7L << 32) | 2048));
        image = patch32(image, ParallelsInspector.OFF_BAT_ENTRIES, 16);
        Path file = write("legacy.prl", image);
        Inspection result = inspect(file);
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.variant()).hasValue("legacy");
        assertThat(result.virtualSize()).hasValue(1L << 20).hasValue(InspectorHarness.qemuVirtualSize(file, "parallels"));
    }

    @Test
    void rejectsBadVersionTracksAndBatSizes() {
        assertRejected(patch32(empty, ParallelsInspector.OFF_VERSION, 1), FindingCode.MALFORMED_HEADER);
        assertRejected(patch32(empty, ParallelsInspector.OFF_VERSION, 3), FindingCode.MALFORMED_HEADER);
        assertRejected(patch32(empty, ParallelsInspector.OFF_TRACKS, 0), FindingCode.MALFORMED_HEADER);
        assertRejected(patch32(empty, ParallelsInspector.OFF_TRACKS, Integer.MAX_VALUE / 513 + 1),
                FindingCode.MALFORMED_HEADER);
        assertRejected(patch32(empty, ParallelsInspector.OFF_TRACKS, 0xffffffffL), FindingCode.MALFORMED_HEADER);
        assertRejected(patch32(empty, ParallelsInspector.OFF_BAT_ENTRIES, Integer.MAX_VALUE / 4 + 1),
                FindingCode.MALFORMED_HEADER);
        assertRejected(patch32(empty, ParallelsInspector.OFF_BAT_ENTRIES, 0xffffffffL), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsABatTooSmallForTheDiskOrOutsideTheFile() {
        // 1 GiB needs 16384 clusters of 64 KiB.
        assertRejected(patch32(empty, ParallelsInspector.OFF_BAT_ENTRIES, 16383), FindingCode.MALFORMED_HEADER);
        assertRejected(patch64(empty, ParallelsInspector.OFF_NB_SECTORS, (GIB / 512) + 1), FindingCode.MALFORMED_HEADER);
        assertRejected(patch64(empty, ParallelsInspector.OFF_NB_SECTORS, -1), FindingCode.MALFORMED_HEADER);
        assertRejected(patch64(empty, ParallelsInspector.OFF_NB_SECTORS, Long.MAX_VALUE), FindingCode.MALFORMED_HEADER);
        // A BAT of 2^20 entries with a matching 64 GiB size does not fit the 128 KiB file.
        byte[] big = patch32(patch64(empty, ParallelsInspector.OFF_NB_SECTORS, 64 * GIB / 512),
                ParallelsInspector.OFF_BAT_ENTRIES, 1 << 20);
        assertRejected(big, FindingCode.PARALLELS_TABLE_OUT_OF_BOUNDS);
    }

    @Test
    void rejectsDataOffsetOverTheBatOrBeyondTheFile() {
        // The BAT of 16384 entries ends at 64 + 65536 bytes, inside sector 128.
        assertRejected(patch32(empty, ParallelsInspector.OFF_DATA_OFF, 1), FindingCode.PARALLELS_TABLE_OUT_OF_BOUNDS);
        assertRejected(patch32(empty, ParallelsInspector.OFF_DATA_OFF, 0xffffffffL),
                FindingCode.PARALLELS_TABLE_OUT_OF_BOUNDS);
        // data_off 0 means right after the BAT; a BAT that fills the file leaves no room.
        assertThat(InspectorHarness.inspect(inspector, patch32(empty, ParallelsInspector.OFF_DATA_OFF, 0)).level())
                .isEqualTo(MatchLevel.MATCH);
        byte[] full = patch32(patch32(empty, ParallelsInspector.OFF_DATA_OFF, 0), ParallelsInspector.OFF_BAT_ENTRIES,
                (empty.length - 64) / 4);
        full = patch64(full, ParallelsInspector.OFF_NB_SECTORS, 1);
        assertThat(InspectorHarness.inspect(inspector, full).level()).isEqualTo(MatchLevel.MATCH);
        assertRejected(Arrays.copyOf(full, full.length - 1), FindingCode.PARALLELS_TABLE_OUT_OF_BOUNDS);
    }

    @Test
    void dirtyImageIsAWarningAndOtherInuseValuesAreMalformed() {
        Inspection dirty = InspectorHarness.inspect(inspector,
                patch32(empty, ParallelsInspector.OFF_INUSE, ParallelsInspector.INUSE_MAGIC));
        assertThat(dirty.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(dirty.findings()).singleElement().satisfies(f -> {
            assertThat(f.code()).isEqualTo(FindingCode.PARALLELS_DIRTY);
            assertThat(f.rejects()).isFalse();
        });
        assertThat(dirty.details()).containsEntry("dirty", true);
        assertRejected(patch32(empty, ParallelsInspector.OFF_INUSE, 1), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void acceptsAValidFormatExtensionThatQemuAlsoOpens() throws Exception {
        Path file = write("ext.prl", withExtension(empty, extension(new byte[0])));
        assertThat(InspectorHarness.qemuVirtualSize(file, "parallels")).isEqualTo(GIB);
        Inspection result = inspect(file);
        assertThat(result.level()).as(result.findings().toString()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.details()).containsEntry("format_extension_checksum_verified", true)
                .containsEntry("format_extension_features", 0L);
    }

    @Test
    void rejectsBrokenFormatExtensions() throws Exception {
        byte[] good = extension(new byte[0]);
        byte[] badMagic = good.clone();
        badMagic[0] ^= 1;
        assertRejected(withExtension(empty, badMagic), FindingCode.MALFORMED_HEADER);
        byte[] badSum = good.clone();
        badSum[100] = 1;
        assertRejected(withExtension(empty, badSum), FindingCode.MALFORMED_HEADER);
        // A feature with flags, an unknown feature, a feature larger than the cluster, no end mark.
        assertRejected(withExtension(empty, extension(feature(0, 1, 0))), FindingCode.MALFORMED_HEADER);
        assertRejected(withExtension(empty, extension(feature(0x1234, 0, 0))), FindingCode.MALFORMED_HEADER);
        assertRejected(withExtension(empty, extension(feature(ParallelsInspector.FEATURE_DIRTY_BITMAP, 0, 1 << 20))),
                FindingCode.MALFORMED_HEADER);
        byte[] endless = new byte[CLUSTER_64K - 24];
        for (int at = 0; at + 24 <= endless.length; at += 24) {
            System.arraycopy(feature(ParallelsInspector.FEATURE_DIRTY_BITMAP, 0, 0), 0, endless, at, 24);
        }
        assertRejected(withExtension(empty, extension(endless)), FindingCode.MALFORMED_HEADER);
        // Extension offset into the BAT, beyond the file, absurd.
        assertRejected(patch64(withExtension(empty, good), ParallelsInspector.OFF_EXT_OFF, 1),
                FindingCode.MALFORMED_HEADER);
        assertRejected(patch64(empty, ParallelsInspector.OFF_EXT_OFF, 128), FindingCode.MALFORMED_HEADER);
        assertRejected(patch64(empty, ParallelsInspector.OFF_EXT_OFF, 256), FindingCode.PARALLELS_TABLE_OUT_OF_BOUNDS);
        assertRejected(patch64(empty, ParallelsInspector.OFF_EXT_OFF, Long.MAX_VALUE / 256),
                FindingCode.MALFORMED_HEADER);
        assertRejected(patch64(empty, ParallelsInspector.OFF_EXT_OFF, -1), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void acceptsDirtyBitmapFeatureBeforeTheEnd() {
        byte[] features = new byte[24 + 40 + 24];
        System.arraycopy(feature(ParallelsInspector.FEATURE_DIRTY_BITMAP, 0, 36), 0, features, 0, 24);
        Inspection result = InspectorHarness.inspect(inspector, withExtension(empty, extension(features)));
        assertThat(result.level()).as(result.findings().toString()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.details()).containsEntry("format_extension_features", 1L);
    }

    @Test
    void truncationNeverGivesSilentMatch() {
        long[] boundaries = {0, 15, 16, 17, 20, 63, 64, 65, 4096, 65535, 65600, 131071};
        List<Inspection> results = InspectorHarness.inspectTruncatedAt(inspector, empty, boundaries);
        for (int i = 0; i < results.size(); i++) {
            Inspection result = results.get(i);
            if (boundaries[i] < 16) {
                assertThat(result.level()).isEqualTo(MatchLevel.NONE);
            } else {
                assertThat(result.level()).as("prefix of %d bytes", boundaries[i]).isEqualTo(MatchLevel.MAGIC_ONLY);
                assertThat(result.findings()).as("prefix of %d bytes", boundaries[i]).anyMatch(Finding::rejects);
            }
        }
    }

    @Test
    void ignoresOtherFormats() {
        assertThat(InspectorHarness.inspect(inspector, "WithoutFreeSpac".getBytes(StandardCharsets.US_ASCII)).level())
                .isEqualTo(MatchLevel.NONE);
        assertThat(InspectorHarness.inspect(inspector, new byte[4096]).level()).isEqualTo(MatchLevel.NONE);
    }

    @Test
    void ploopDeclaredPassesForARealParallelsImage() throws Exception {
        Path file = InspectorHarness.qemuImg(dir, "declared.prl", "create", "-q", "-f", "parallels", "{}", "1G");
        ImageValidator validator = ImageValidator.of(ImagePolicy.defaults());
        for (String name : new String[] {"ploop", "parallels"}) {
            ValidationReport report = validator.validate(file, DiskFormat.fromName(name));
            assertThat(report.accepted()).as(name + ": " + report.findings()).isTrue();
            assertThat(report.detectedFormat()).contains(DiskFormat.PARALLELS);
            assertThat(report.virtualSize()).hasValue(GIB);
        }
        ValidationReport asRaw = validator.validate(file, DiskFormat.RAW);
        assertThat(asRaw.accepted()).isFalse();
        assertThat(asRaw.rejections()).extracting(Finding::code).contains(FindingCode.FORMAT_MISMATCH);
    }

    @Test
    void seedCorpusHoldsValidAndBrokenImages() throws Exception {
        String corpus = "ParallelsInspectorFuzzTestInputs/inspect/";
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "empty.prl")).isEqualTo(MatchLevel.MATCH);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "legacy.prl")).isEqualTo(MatchLevel.MATCH);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "extension.prl")).isEqualTo(MatchLevel.MATCH);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "bat-out-of-file.prl"))
                .isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "truncated-40.prl")).isEqualTo(MatchLevel.MAGIC_ONLY);
    }

    @Test
    void inspectsAStreamBeforeItsSizeIsKnown() {
        byte[] head = Arrays.copyOf(allocated, 64 << 10);
        Inspection result = inspector.run(new Qcow2InspectorTest.UnfinishedStreamBytes(head));
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.virtualSize()).hasValue(4L << 20);
    }

    /** The same image with the legacy magic (BAT entries in sectors). */
    static byte[] legacy(byte[] image) {
        byte[] copy = image.clone();
        System.arraycopy(ParallelsInspector.MAGIC_LEGACY, 0, copy, 0, 16);
        return copy;
    }

    /** {@code image} (64 KiB clusters) with {@code cluster} appended and named as its format extension. */
    static byte[] withExtension(byte[] image, byte[] cluster) {
        byte[] out = Arrays.copyOf(image, image.length + cluster.length);
        System.arraycopy(cluster, 0, out, image.length, cluster.length);
        return patch64(out, ParallelsInspector.OFF_EXT_OFF, image.length / 512);
    }

    /** A 64 KiB extension cluster with the right magic and MD5 whose features are {@code features}. */
    static byte[] extension(byte[] features) {
        byte[] cluster = new byte[CLUSTER_64K];
        ByteBuffer.wrap(cluster).order(ByteOrder.LITTLE_ENDIAN).putLong(0, ParallelsInspector.EXT_MAGIC);
        System.arraycopy(features, 0, cluster, 24, features.length);
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            md5.update(cluster, 24, cluster.length - 24);
            System.arraycopy(md5.digest(), 0, cluster, 8, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return cluster;
    }

    static byte[] feature(long magic, long flags, long dataSize) {
        byte[] header = new byte[24];
        ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).putLong(0, magic).putLong(8, flags)
                .putInt(16, (int) dataSize);
        return header;
    }
}
