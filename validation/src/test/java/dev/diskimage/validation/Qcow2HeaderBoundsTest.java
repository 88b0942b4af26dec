package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Qcow2Inspector at the edges of the limits it enforces: each table exactly at or one past the
 * end of the file, the largest L1 table qemu allows, header extensions at their minimum lengths,
 * and the offsets the findings and references point at. qemu-img images are made once.
 */
class Qcow2HeaderBoundsTest {
    private static final long GIB = 1L << 30;
    private static final int CLUSTER = 65536;
    private static final long EXT_BITMAPS = 0x23852875L;
    private static final long EXT_FULL_DISK_ENCRYPTION = 0x0537be77L;
    private static final long EXT_DATA_FILE = 0x44415441L;
    private final Qcow2Inspector inspector = new Qcow2Inspector();

    @TempDir
    static Path dir;
    private static byte[] plain;
    private static byte[] extendedL2;
    private static byte[] bitmaps;
    private static byte[] dataFile;
    private static byte[] encrypted;

    @BeforeAll
    static void createImages() throws Exception {
        plain = Files.readAllBytes(create("plain.qcow2"));
        extendedL2 = Files.readAllBytes(create("extl2.qcow2", "-o", "extended_l2=on"));
        Path bitmap = create("bitmap.qcow2");
        InspectorHarness.qemuImg(dir, "bitmap.qcow2", "bitmap", "--add", "{}", "b0");
        bitmaps = Files.readAllBytes(bitmap);
        dataFile = Files.readAllBytes(create("data.qcow2", "-o", "data_file=" + dir.resolve("data.raw")));
        encrypted = Files.readAllBytes(create("enc.qcow2", "--object", "secret,id=s,data=x", "-o",
                "encrypt.format=luks,encrypt.key-secret=s,encrypt.iter-time=10"));
    }

    private static Path create(String name, String... options) throws Exception {
        return Qcow2InspectorTest.create(dir, name, options);
    }

    private Inspection inspect(byte[] image) {
        return InspectorHarness.inspect(inspector, image);
    }

    /** The image padded with zeros to a whole number of clusters, so its end is cluster aligned. */
    private static byte[] clusterAligned(byte[] image) {
        return Arrays.copyOf(image, (image.length + CLUSTER - 1) / CLUSTER * CLUSTER);
    }

    /** Where the data of the first header extension of {@code type} starts. */
    private static int extensionData(byte[] image, long type) {
        ByteBuffer b = ByteBuffer.wrap(image);
        int at = b.getInt(100);
        while (b.getInt(at) != 0) {
            int length = b.getInt(at + 4);
            if (Integer.toUnsignedLong(b.getInt(at)) == type) {
                return at + 8;
            }
            at += 8 + (length + 7) / 8 * 8;
        }
        throw new AssertionError("no extension 0x" + Long.toHexString(type));
    }

    private static void assertAccepted(Inspection result) {
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.findings()).noneMatch(Finding::rejects);
    }

    private static void assertRejectedAt(Inspection result, FindingCode code, long offset) {
        assertThat(result.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(result.findings()).singleElement().satisfies(f -> {
            assertThat(f.code()).isEqualTo(code);
            assertThat(f.rejects()).isTrue();
            assertThat(f.offset()).isEqualTo(offset);
        });
    }

    /** A bare version 3 header: no tables, no extensions, header_length 104. */
    private static ByteBuffer bareV3(byte[] image, int clusterBits, long size) {
        return ByteBuffer.wrap(image).putInt(0, 0x514649fb).putInt(4, 3).putInt(20, clusterBits).putLong(24, size)
                .putInt(96, 4).putInt(100, 104);
    }

    @Test
    void reportsSixteenBitRefcountsByDefault() {
        assertThat(inspect(plain).details()).containsEntry("refcount_bits", 16L);
    }

    @Test
    void acceptsVersion2HeaderFollowedOnlyByTheEndOfExtensions() {
        // 72 header bytes and an 8-byte end marker: a version 2 image has no version 3 fields to read.
        byte[] image = new byte[80];
        ByteBuffer.wrap(image).putInt(0, 0x514649fb).putInt(4, 2).putInt(20, 16);
        Inspection result = inspect(image);
        assertAccepted(result);
        assertThat(result.variant()).hasValue("v2");
        assertThat(result.virtualSize()).hasValue(0L);
    }

    @Test
    void ignoresTheCompressionByteWhenTheHeaderLengthEndsBeforeIt() {
        // header_length 104: byte 104 is the type of the first extension, not a compression type.
        byte[] image = Qcow2InspectorTest.patchU32(plain, 100, 104);
        ByteBuffer.wrap(image).putInt(104, 0x7f000001).putInt(108, 0).putLong(112, 0);
        Inspection result = inspect(image);
        assertAccepted(result);
        assertThat(result.details()).containsEntry("compression_type", "zlib");
    }

    @Test
    void rejectsExtendedL2ImageWhoseL1TableOnlyMapsHalfTheDisk() {
        // With 16-byte L2 entries a 64 KiB L2 table maps 256 MiB: 1 GiB needs 4 L1 entries, not 2.
        assertThat(ByteBuffer.wrap(extendedL2).getInt(36)).isEqualTo(4);
        assertRejectedAt(inspect(Qcow2InspectorTest.patchU32(extendedL2, 36, 2)), FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS, 36);
    }

    @Test
    void countsAPartlyMappedL1EntryForAVirtualSizeOneClusterPastAnL2Span() {
        byte[] oneClusterMore = Qcow2InspectorTest.patchU64(clusterAligned(plain), 24, GIB + CLUSTER);
        assertRejectedAt(inspect(Qcow2InspectorTest.patchU32(oneClusterMore, 36, 2)), FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS, 36);
        Inspection threeEntries = inspect(Qcow2InspectorTest.patchU32(oneClusterMore, 36, 3));
        assertAccepted(threeEntries);
        assertThat(threeEntries.virtualSize()).hasValue(GIB + CLUSTER);
    }

    @Test
    void acceptsAVirtualSizeThatNeedsTheLargestL1TableQemuAllows() throws Exception {
        // 512-byte clusters: one L1 entry maps 64 L2 entries of 512 bytes, 32 KiB; qemu's 32 MiB
        // L1 table (4 Mi entries) maps 128 GiB. The file holds the whole table (sparse).
        long largest = 1L << 37;
        Path file = dir.resolve("largest-l1.qcow2");
        byte[] header = new byte[512];
        bareV3(header, 9, largest).putInt(36, 1 << 22).putLong(40, 512);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(header);
            raf.setLength(512 + (32L << 20));
        }
        Inspection result = InspectorHarness.inspect(inspector, file);
        assertAccepted(result);
        assertThat(result.virtualSize()).hasValue(largest);
        assertThat(result.details()).containsEntry("l1_size", 1L << 22);

        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(24);
            raf.writeLong(largest + 512);
        }
        assertRejectedAt(InspectorHarness.inspect(inspector, file), FindingCode.MALFORMED_HEADER, 24);
    }

    @Test
    void rejectsL1EntryPointingExactlyAtTheEndOfTheFile() {
        byte[] image = clusterAligned(plain);
        int l1 = (int) ByteBuffer.wrap(image).getLong(40);
        assertRejectedAt(inspect(Qcow2InspectorTest.patchU64(image, l1, image.length)), FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS, l1);
        assertAccepted(inspect(Qcow2InspectorTest.patchU64(image, l1, image.length - CLUSTER)));
    }

    @Test
    void rejectsL1EntryWithAMisalignedL2Table() {
        int l1 = (int) ByteBuffer.wrap(plain).getLong(40);
        assertRejectedAt(inspect(Qcow2InspectorTest.patchU64(plain, l1 + 8, CLUSTER + 512)), FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS,
                l1 + 8);
    }

    @Test
    void rejectsRefcountTableLargerThanQemuAllowsAtItsClusterCount() {
        // qemu caps the refcount table at 8 MiB: 128 clusters of 64 KiB.
        assertRejectedAt(inspect(Qcow2InspectorTest.patchU32(plain, 56, 129)), FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS, 56);
    }

    @Test
    void rejectsMisalignedRefcountTable() {
        assertRejectedAt(inspect(Qcow2InspectorTest.patchU64(plain, 48, CLUSTER + 512)), FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS, 48);
    }

    @Test
    void rejectsMisalignedSnapshotTable() {
        byte[] image = Qcow2InspectorTest.patchU64(Qcow2InspectorTest.patchU32(plain, 60, 1), 64, CLUSTER + 512);
        assertRejectedAt(inspect(image), FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS, 64);
    }

    @Test
    void rejectsSnapshotTableRunningPastTheEndOfTheFile() {
        // 2000 entries of at least 40 bytes cannot fit in the last 64 KiB cluster.
        byte[] image = clusterAligned(plain);
        long lastCluster = image.length - CLUSTER;
        byte[] patched = Qcow2InspectorTest.patchU64(Qcow2InspectorTest.patchU32(image, 60, 2000), 64, lastCluster);
        assertRejectedAt(inspect(patched), FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS, lastCluster);
        Inspection fits = inspect(Qcow2InspectorTest.patchU64(Qcow2InspectorTest.patchU32(image, 60, 1000), 64, lastCluster));
        assertAccepted(fits);
        assertThat(fits.details()).containsEntry("snapshots", 1000L);
    }

    @Test
    void pointsTheDataFileReferenceAtItsNameInTheHeader() {
        Inspection named = inspect(dataFile);
        int name = extensionData(dataFile, EXT_DATA_FILE);
        assertThat(named.references()).singleElement().satisfies(ref -> {
            assertThat(ref.offset()).isEqualTo(name);
            byte[] target = ref.target().getBytes(StandardCharsets.UTF_8);
            assertThat(Arrays.copyOfRange(dataFile, name, name + target.length)).isEqualTo(target);
        });
        // Without a name extension the reference points at the incompatible feature bits.
        Inspection unnamed = inspect(Qcow2InspectorTest.patchU64(plain, 72, 1L << 2));
        assertThat(unnamed.references()).singleElement()
                .satisfies(ref -> assertThat(ref.offset()).isEqualTo(72));
    }

    @Test
    void countsBitmapsOnlyWhileTheAutoclearBitVouchesForThem() {
        assertThat(inspect(bitmaps).details()).containsEntry("bitmaps", 1L);
        // qemu clears the autoclear bit when an older version wrote the image: the extension is stale.
        Inspection stale = inspect(Qcow2InspectorTest.patchU64(bitmaps, 88, 0));
        assertAccepted(stale);
        assertThat(stale.details()).doesNotContainKey("bitmaps");
        // The bit without a bitmaps extension: nothing to count.
        Inspection none = inspect(Qcow2InspectorTest.patchU64(plain, 88, 1));
        assertAccepted(none);
        assertThat(none.details()).doesNotContainKey("bitmaps");
    }

    @Test
    void rejectsBitmapsExtensionShorterThanItsFields() {
        int data = extensionData(bitmaps, EXT_BITMAPS);
        assertRejectedAt(inspect(Qcow2InspectorTest.patchU32(bitmaps, data - 4, 16)), FindingCode.MALFORMED_HEADER, data);
    }

    @Test
    void rejectsBitmapDirectoryBeyondTheEndOfTheFile() {
        int data = extensionData(bitmaps, EXT_BITMAPS);
        Inspection result = inspect(Qcow2InspectorTest.patchU64(bitmaps, data + 16, 1L << 40));
        assertRejectedAt(result, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS, 1L << 40);
    }

    @Test
    void rejectsEncryptionExtensionShorterThanItsFields() {
        int data = extensionData(encrypted, EXT_FULL_DISK_ENCRYPTION);
        assertRejectedAt(inspect(Qcow2InspectorTest.patchU32(encrypted, data - 4, 8)), FindingCode.MALFORMED_HEADER, data);
    }

    @Test
    void rejectsEncryptionHeaderBeyondTheEndOfTheFile() {
        int data = extensionData(encrypted, EXT_FULL_DISK_ENCRYPTION);
        assertAccepted(inspect(encrypted));
        assertRejectedAt(inspect(Qcow2InspectorTest.patchU64(encrypted, data, 1L << 40)), FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS,
                1L << 40);
    }

    @Test
    void readsNoExtensionsWhenTheBackingNameStartsRightAfterTheHeader() {
        // qemu ends the extension list at backing_file_offset: a name at header_length leaves none.
        byte[] image = Qcow2InspectorTest.patchU32(Qcow2InspectorTest.patchU64(plain, 8, 112), 16, 10);
        byte[] name = "base.qcow2".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(name, 0, image, 112, name.length);
        Inspection result = inspect(image);
        assertAccepted(result);
        assertThat(result.details()).doesNotContainKey("feature_name_table");
        assertThat(result.references()).singleElement().satisfies(ref -> {
            assertThat(ref.target()).isEqualTo("base.qcow2");
            assertThat(ref.offset()).isEqualTo(112);
        });
    }

    @Test
    void acceptsUpTo1023HeaderExtensionsAndRefusesThe1024th() {
        // 2 MiB clusters leave room for thousands of 8-byte extensions before the end marker.
        for (int count : new int[] {1023, 1024}) {
            byte[] image = new byte[16 << 10];
            ByteBuffer header = bareV3(image, 21, 0);
            for (int i = 0; i < count; i++) {
                header.putInt(104 + 8 * i, 0x12345678);
            }
            Inspection result = inspect(image);
            if (count == 1023) {
                assertAccepted(result);
            } else {
                assertRejectedAt(result, FindingCode.MALFORMED_HEADER, 104 + 8 * 1024);
            }
        }
    }
}
