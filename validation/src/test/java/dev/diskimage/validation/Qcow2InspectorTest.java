package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Qcow2Inspector over images made by the real qemu-img, and over hand-patched headers. */
class Qcow2InspectorTest {
    private static final long GIB = 1L << 30;
    private final Qcow2Inspector inspector = new Qcow2Inspector();

    @TempDir
    Path dir;

    private Path create(String name, String... options) throws Exception {
        return create(dir, name, options);
    }

    /** A 1 GiB qcow2 made by {@code qemu-img create} in {@code dir} with extra {@code options}. */
    static Path create(Path dir, String name, String... options) throws Exception {
        String[] args = new String[options.length + 5];
        args[0] = "create";
        args[1] = "-f";
        args[2] = "qcow2";
        System.arraycopy(options, 0, args, 3, options.length);
        args[options.length + 3] = "{}";
        args[options.length + 4] = "1G";
        return InspectorHarness.qemuImg(dir, name, args);
    }

    private Inspection inspect(Path file) throws Exception {
        Inspection viaFile = InspectorHarness.inspect(inspector, file);
        assertThat(InspectorHarness.inspectWithShortReads(inspector, file)).isEqualTo(viaFile);
        return viaFile;
    }

    private static void assertAccepted(Inspection result) {
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.findings()).noneMatch(Finding::rejects);
        assertThat(result.virtualSize()).hasValue(GIB);
    }

    private static void assertRejected(Inspection result, FindingCode code) {
        assertThat(result.level()).isNotEqualTo(MatchLevel.NONE);
        assertThat(result.findings()).anyMatch(f -> f.rejects() && f.code() == code);
    }

    /** A copy of {@code image} with a big-endian u32 (qcow2's byte order) at {@code offset}. */
    static byte[] patchU32(byte[] image, int offset, long value) {
        byte[] copy = image.clone();
        ByteBuffer.wrap(copy).putInt(offset, (int) value);
        return copy;
    }

    /** A copy of {@code image} with a big-endian u64 at {@code offset}. */
    static byte[] patchU64(byte[] image, int offset, long value) {
        byte[] copy = image.clone();
        ByteBuffer.wrap(copy).putLong(offset, value);
        return copy;
    }

    private byte[] plainV3() throws Exception {
        return Files.readAllBytes(create("plain.qcow2"));
    }

    @Test
    void acceptsDefaultVersion3Image() throws Exception {
        Inspection result = inspect(create("v3.qcow2"));
        assertAccepted(result);
        assertThat(result.variant()).hasValue("v3");
        assertThat(result.references()).isEmpty();
        assertThat(result.details()).containsEntry("cluster_size", 65536L).containsEntry("compression_type", "zlib");
    }

    @Test
    void acceptsCompat010VersionTwoImage() throws Exception {
        Inspection result = inspect(create("v2.qcow2", "-o", "compat=0.10"));
        assertAccepted(result);
        assertThat(result.variant()).hasValue("v2");
    }

    @Test
    void reportsLazyRefcounts() throws Exception {
        Inspection result = inspect(create("lazy.qcow2", "-o", "lazy_refcounts=on"));
        assertAccepted(result);
        assertThat(result.details()).containsEntry("lazy_refcounts", true);
    }

    @Test
    void acceptsExtendedL2UnlikeOslo() throws Exception {
        Inspection result = inspect(create("extl2.qcow2", "-o", "extended_l2=on"));
        assertAccepted(result);
        assertThat(result.details()).containsEntry("extended_l2", true);
    }

    @Test
    void acceptsZstdCompression() throws Exception {
        Inspection result = inspect(create("zstd.qcow2", "-o", "compression_type=zstd"));
        assertAccepted(result);
        assertThat(result.details()).containsEntry("compression_type", "zstd");
    }

    @Test
    void acceptsSmallestAndLargestClusterSizes() throws Exception {
        Inspection small = inspect(create("c512.qcow2", "-o", "cluster_size=512"));
        assertAccepted(small);
        assertThat(small.details()).containsEntry("cluster_size", 512L);
        Inspection large = inspect(create("c2m.qcow2", "-o", "cluster_size=2M"));
        assertAccepted(large);
        assertThat(large.details()).containsEntry("cluster_size", 2097152L);
    }

    @Test
    void acceptsMetadataPreallocation() throws Exception {
        // The file is as long as the virtual size (sparse): inspected through the file only, since
        // the short-read replay would load all of it into memory.
        Inspection result = InspectorHarness.inspect(inspector, create("prealloc.qcow2", "-o", "preallocation=metadata"));
        assertAccepted(result);
        assertThat(result.details()).containsEntry("l1_size", 2L);
    }

    @Test
    void rejectsL1EntryWithReservedBits() throws Exception {
        // Patched in place: the preallocated file is as long as its 1 GiB virtual size.
        Path file = create("prealloc.qcow2", "-o", "preallocation=metadata");
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE)) {
            ByteBuffer field = ByteBuffer.allocate(8);
            channel.read(field, 40);
            long l1 = field.getLong(0);
            field.clear();
            channel.read(field, l1);
            channel.write(ByteBuffer.allocate(8).putLong(0, field.getLong(0) | 1L), l1);
        }
        assertRejected(InspectorHarness.inspect(inspector, file), FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS);
    }

    @Test
    void acceptsInternalSnapshots() throws Exception {
        Path file = create("snap.qcow2");
        InspectorHarness.qemuImg(dir, "snap.qcow2", "snapshot", "-c", "first", "{}");
        InspectorHarness.qemuImg(dir, "snap.qcow2", "snapshot", "-c", "second", "{}");
        Inspection result = inspect(file);
        assertAccepted(result);
        assertThat(result.details()).containsEntry("snapshots", 2L);
    }

    @Test
    void acceptsPersistentBitmaps() throws Exception {
        Path file = create("bitmap.qcow2");
        InspectorHarness.qemuImg(dir, "bitmap.qcow2", "bitmap", "--add", "{}", "b0");
        Inspection result = inspect(file);
        assertAccepted(result);
        assertThat(result.details()).containsEntry("bitmaps", 1L);
    }

    @Test
    void reportsBackingFileAsReference() throws Exception {
        create("base.qcow2");
        Path file = create("overlay.qcow2", "-b", "base.qcow2", "-F", "qcow2");
        Inspection result = inspect(file);
        assertAccepted(result);
        assertThat(result.references()).singleElement().satisfies(ref -> {
            assertThat(ref.kind()).isEqualTo(ExternalReference.Kind.BACKING);
            assertThat(ref.code()).isEqualTo(FindingCode.QCOW2_BACKING_FILE);
            assertThat(ref.target()).isEqualTo("base.qcow2");
        });
        assertThat(result.details()).containsEntry("backing_format", "qcow2");
    }

    @Test
    void reportsExternalDataFileAsReference() throws Exception {
        Path file = create("data.qcow2", "-o", "data_file=" + dir.resolve("data.raw"));
        Inspection result = inspect(file);
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.references()).singleElement().satisfies(ref -> {
            assertThat(ref.kind()).isEqualTo(ExternalReference.Kind.DATA_FILE);
            assertThat(ref.code()).isEqualTo(FindingCode.QCOW2_DATA_FILE);
            assertThat(ref.target()).isEqualTo(dir.resolve("data.raw").toString());
        });
        assertThat(result.details()).containsEntry("data_file_raw", false);
    }

    @Test
    void reportsRawExternalDataFile() throws Exception {
        Path file = create("dataraw.qcow2", "-o", "data_file=" + dir.resolve("dataraw.raw") + ",data_file_raw=on");
        Inspection result = inspect(file);
        assertThat(result.references()).singleElement()
                .satisfies(ref -> assertThat(ref.kind()).isEqualTo(ExternalReference.Kind.DATA_FILE));
        assertThat(result.details()).containsEntry("data_file_raw", true);
    }

    @Test
    void reportsDataFileBitWithoutNameAsUnnamedDataFile() throws Exception {
        byte[] image = patchU64(plainV3(), 72, 1L << 2);
        Inspection result = InspectorHarness.inspect(inspector, image);
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.references()).singleElement().satisfies(ref -> {
            assertThat(ref.kind()).isEqualTo(ExternalReference.Kind.DATA_FILE);
            assertThat(ref.target()).isEmpty();
        });
    }

    @Test
    void acceptsLuksEncryptedImage() throws Exception {
        Path file = create("enc.qcow2", "--object", "secret,id=s,data=x", "-o",
                "encrypt.format=luks,encrypt.key-secret=s,encrypt.iter-time=10");
        Inspection result = inspect(file);
        assertAccepted(result);
        assertThat(result.details()).containsEntry("encrypted", "luks");
    }

    @Test
    void rejectsImageMarkedCorrupt() throws Exception {
        Inspection result = InspectorHarness.inspect(inspector, patchU64(plainV3(), 72, 1L << 1));
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertRejected(result, FindingCode.QCOW2_CORRUPT);
    }

    @Test
    void warnsAboutDirtyImage() throws Exception {
        Inspection result = InspectorHarness.inspect(inspector, patchU64(plainV3(), 72, 1L));
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.findings()).singleElement().satisfies(f -> {
            assertThat(f.code()).isEqualTo(FindingCode.QCOW2_DIRTY);
            assertThat(f.rejects()).isFalse();
        });
    }

    @Test
    void rejectsUnknownIncompatibleFeature() throws Exception {
        Inspection result = InspectorHarness.inspect(inspector, patchU64(plainV3(), 72, 1L << 5));
        assertRejected(result, FindingCode.QCOW2_UNKNOWN_INCOMPATIBLE_FEATURE);
    }

    @Test
    void rejectsLegacyAesEncryption() throws Exception {
        Inspection result = InspectorHarness.inspect(inspector, patchU32(plainV3(), 32, 1));
        assertRejected(result, FindingCode.QCOW2_LEGACY_ENCRYPTION);
        assertThat(result.details()).containsEntry("encrypted", "aes");
    }

    @Test
    void rejectsUnknownCryptMethod() throws Exception {
        assertRejected(InspectorHarness.inspect(inspector, patchU32(plainV3(), 32, 3)), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsUnknownCompressionType() throws Exception {
        byte[] image = patchU64(plainV3(), 72, 1L << 3);
        image[104] = 7;
        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.QCOW2_UNKNOWN_COMPRESSION);
    }

    @Test
    void rejectsZstdWithoutCompressionFeatureBit() throws Exception {
        byte[] image = plainV3();
        image[104] = 1;
        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsL1TableBeyondEndOfFile() throws Exception {
        byte[] image = plainV3();
        Inspection result = InspectorHarness.inspect(inspector, patchU64(image, 40, 1L << 40));
        assertThat(result.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertRejected(result, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS);
    }

    @Test
    void rejectsMisalignedL1Table() throws Exception {
        byte[] image = plainV3();
        long l1 = ByteBuffer.wrap(image).getLong(40);
        assertRejected(InspectorHarness.inspect(inspector, patchU64(image, 40, l1 + 8)),
                FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS);
    }

    @Test
    void rejectsL1EntryPointingBeyondEndOfFile() throws Exception {
        byte[] image = plainV3();
        int l1 = (int) ByteBuffer.wrap(image).getLong(40);
        assertRejected(InspectorHarness.inspect(inspector, patchU64(image, l1, 1L << 40)),
                FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS);
    }

    @Test
    void rejectsRefcountTableBeyondEndOfFile() throws Exception {
        assertRejected(InspectorHarness.inspect(inspector, patchU64(plainV3(), 48, 1L << 40)),
                FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS);
        assertRejected(InspectorHarness.inspect(inspector, patchU32(plainV3(), 56, 100)),
                FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS);
    }

    @Test
    void rejectsAbsurdL1Size() throws Exception {
        assertRejected(InspectorHarness.inspect(inspector, patchU32(plainV3(), 36, 0xffffffffL)),
                FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS);
        assertRejected(InspectorHarness.inspect(inspector, patchU32(plainV3(), 36, 0x100000)),
                FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS);
    }

    @Test
    void rejectsL1TableTooSmallForVirtualSize() throws Exception {
        assertRejected(InspectorHarness.inspect(inspector, patchU32(plainV3(), 36, 1)),
                FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS);
    }

    @Test
    void rejectsAbsurdVirtualSizes() throws Exception {
        assertRejected(InspectorHarness.inspect(inspector, patchU64(plainV3(), 24, 1L << 63)),
                FindingCode.MALFORMED_HEADER);
        assertRejected(InspectorHarness.inspect(inspector, patchU64(plainV3(), 24, -1L)),
                FindingCode.MALFORMED_HEADER);
        assertRejected(InspectorHarness.inspect(inspector, patchU64(plainV3(), 24, Long.MAX_VALUE)),
                FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsAbsurdSnapshotTable() throws Exception {
        assertRejected(InspectorHarness.inspect(inspector, patchU32(plainV3(), 60, 0xffffffffL)),
                FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS);
        byte[] image = patchU32(plainV3(), 60, 1);
        assertRejected(InspectorHarness.inspect(inspector, patchU64(image, 64, 1L << 50)),
                FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS);
    }

    @Test
    void rejectsHugeHeaderExtensionLength() throws Exception {
        byte[] image = plainV3();
        int ext = (int) Integer.toUnsignedLong(ByteBuffer.wrap(image).getInt(100));
        assertRejected(InspectorHarness.inspect(inspector, patchU32(image, ext + 4, 0xffffffffL)),
                FindingCode.MALFORMED_HEADER);
    }

    @Test
    void skipsUnknownHeaderExtension() throws Exception {
        byte[] image = plainV3();
        int ext = (int) Integer.toUnsignedLong(ByteBuffer.wrap(image).getInt(100));
        assertAccepted(InspectorHarness.inspect(inspector, patchU32(image, ext, 0x12345678L)));
    }

    @Test
    void rejectsEndlessHeaderExtensionChain() {
        // A 2 MiB first cluster starting with thousands of zero-length unknown extensions.
        byte[] image = new byte[64 << 10];
        ByteBuffer header = ByteBuffer.wrap(image);
        header.putInt(0, 0x514649fb).putInt(4, 3).putInt(20, 21).putLong(24, 0).putInt(96, 4).putInt(100, 104);
        for (int at = 104; at < image.length; at += 8) {
            header.putInt(at, 0x12345678);
        }
        assertRejected(InspectorHarness.inspect(inspector, image), FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsOutOfRangeClusterBits() throws Exception {
        for (long bits : new long[] {0, 8, 22, 40, 0xffffffffL}) {
            assertRejected(InspectorHarness.inspect(inspector, patchU32(plainV3(), 20, bits)),
                    FindingCode.MALFORMED_HEADER);
        }
    }

    @Test
    void rejectsUnsupportedVersions() throws Exception {
        for (long version : new long[] {0, 4, 0xffffffffL}) {
            Inspection result = InspectorHarness.inspect(inspector, patchU32(plainV3(), 4, version));
            assertThat(result.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
            assertRejected(result, FindingCode.MALFORMED_HEADER);
        }
    }

    @Test
    void leavesQcowVersion1ToTheForeignFormatSniffer() throws Exception {
        // qemu probes magic + version 1 as "qcow", not qcow2; QcowV1Sniffer refuses it.
        assertThat(InspectorHarness.inspect(inspector, patchU32(plainV3(), 4, 1)).level()).isEqualTo(MatchLevel.NONE);
        Path qcow = InspectorHarness.qemuImg(dir, "v1.qcow", "create", "-q", "-f", "qcow", "{}", "1M");
        assertThat(InspectorHarness.inspect(inspector, qcow).level()).isEqualTo(MatchLevel.NONE);
    }

    @Test
    void rejectsBadHeaderLengthAndRefcountOrder() throws Exception {
        assertRejected(InspectorHarness.inspect(inspector, patchU32(plainV3(), 100, 100)),
                FindingCode.MALFORMED_HEADER);
        assertRejected(InspectorHarness.inspect(inspector, patchU32(plainV3(), 100, 0x7fffffff)),
                FindingCode.MALFORMED_HEADER);
        assertRejected(InspectorHarness.inspect(inspector, patchU32(plainV3(), 96, 7)),
                FindingCode.MALFORMED_HEADER);
    }

    @Test
    void rejectsOverlongBackingFileName() throws Exception {
        create("base.qcow2");
        byte[] image = Files.readAllBytes(create("overlay.qcow2", "-b", "base.qcow2", "-F", "qcow2"));
        assertRejected(InspectorHarness.inspect(inspector, patchU32(image, 16, 1024)), FindingCode.MALFORMED_HEADER);
        assertRejected(InspectorHarness.inspect(inspector, patchU64(image, 8, 1L << 40)),
                FindingCode.MALFORMED_HEADER);
    }

    @Test
    void truncationNeverGivesSilentMatch() throws Exception {
        byte[] image = plainV3();
        long[] boundaries = {0, 3, 4, 8, 20, 72, 100, 104, 105, 112, 200, 4096, 65536, 65537, 131072,
                image.length - 8, image.length - 1};
        List<Inspection> results = InspectorHarness.inspectTruncatedAt(inspector, image, boundaries);
        for (int i = 0; i < results.size(); i++) {
            Inspection result = results.get(i);
            if (boundaries[i] < 4) {
                assertThat(result.level()).isEqualTo(MatchLevel.NONE);
            } else {
                assertThat(result.level()).as("prefix of %d bytes", boundaries[i]).isEqualTo(MatchLevel.MAGIC_ONLY);
                assertThat(result.findings()).as("prefix of %d bytes", boundaries[i]).anyMatch(Finding::rejects);
            }
        }
        assertThat(results.get(2).findings()).anyMatch(f -> f.code() == FindingCode.TRUNCATED);
        assertThat(results.get(5).findings()).anyMatch(f -> f.code() == FindingCode.TRUNCATED);
    }

    @Test
    void ignoresOtherFormatsAndTinyFiles() {
        assertThat(InspectorHarness.inspect(inspector, new byte[0]).level()).isEqualTo(MatchLevel.NONE);
        assertThat(InspectorHarness.inspect(inspector, new byte[] {'Q', 'F', 'I'}).level())
                .isEqualTo(MatchLevel.NONE);
        byte[] qed = Arrays.copyOf(new byte[] {'Q', 'E', 'D', 0}, 4096);
        assertThat(InspectorHarness.inspect(inspector, qed).level()).isEqualTo(MatchLevel.NONE);
    }

    @Test
    void readsFarLessThanTheBudget() throws Exception {
        Path file = create("budget.qcow2", "-o", "cluster_size=2M");
        try (var channel = Files.newByteChannel(file)) {
            FileImageBytes bytes = new FileImageBytes(channel, channel.size(), InspectorHarness.BUDGET);
            assertThat(inspector.run(bytes).level()).isEqualTo(MatchLevel.MATCH);
            assertThat(bytes.bytesRead()).isLessThanOrEqualTo(4 * FileImageBytes.BLOCK);
        }
    }

    @Test
    void seedCorpusHoldsValidAndBrokenImages() throws Exception {
        String corpus = "Qcow2InspectorFuzzTestInputs/inspect/";
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "v2.qcow2")).isEqualTo(MatchLevel.MATCH);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "v3.qcow2")).isEqualTo(MatchLevel.MATCH);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "zstd.qcow2")).isEqualTo(MatchLevel.MATCH);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "extl2.qcow2")).isEqualTo(MatchLevel.MATCH);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "backing.qcow2")).isEqualTo(MatchLevel.MATCH);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "datafile.qcow2")).isEqualTo(MatchLevel.MATCH);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "corrupt.qcow2")).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "cluster-bits-40.qcow2")).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "huge-extension.qcow2")).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "size-2-63.qcow2")).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "legacy-aes.qcow2")).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "truncated-72.qcow2")).isEqualTo(MatchLevel.MAGIC_ONLY);
    }


    /**
     * What a capturing stream offers before its end: the bytes seen so far, a size that is not
     * known yet, and {@link RegionUnavailableException} for anything further on.
     */
    static final class UnfinishedStreamBytes implements ImageBytes {
        private final byte[] seen;

        UnfinishedStreamBytes(byte[] seen) {
            this.seen = seen;
        }

        @Override
        public long size() {
            return UNKNOWN_SIZE;
        }

        @Override
        public ByteBuffer read(long offset, int length) {
            if (offset + length > seen.length) {
                throw new RegionUnavailableException(offset, length);
            }
            return ByteBuffer.wrap(Arrays.copyOfRange(seen, (int) offset, (int) offset + length));
        }

        @Override
        public long bytesRead() {
            return seen.length;
        }
    }

    @Test
    void inspectsAStreamBeforeItsSizeIsKnown() throws Exception {
        byte[] image = plainV3();
        Inspection whole = inspector.run(new UnfinishedStreamBytes(image));
        assertThat(whole.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(whole.virtualSize()).hasValue(GIB);
        // With only the first cluster passed, the L1 table is the region the stream must keep.
        Inspection early = inspector.run(new UnfinishedStreamBytes(Arrays.copyOf(image, 65536)));
        assertThat(early.findings()).singleElement()
                .satisfies(f -> assertThat(f.code()).isEqualTo(FindingCode.STREAM_REGION_UNAVAILABLE));
    }
}
