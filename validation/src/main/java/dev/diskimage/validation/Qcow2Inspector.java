package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Recognises qcow2 images (versions 2 and 3) from the header, its extensions and the table
 * locations, following QEMU's {@code docs/interop/qcow2.txt} and the limits {@code block/qcow2.c}
 * enforces when it opens an image. Every table the header points at must lie inside the file;
 * backing files and external data files are reported as references, never opened.
 *
 * <p>Unlike oslo's format inspector, images with extended L2 entries are accepted: the feature
 * only changes the L2 entry layout, which this inspector does not need to read.
 */
final class Qcow2Inspector implements FormatInspector {

    // qcow2 spec: magic "QFI\xfb" at offset 0, all header fields big-endian.
    private static final int MAGIC = 0x514649fb;
    // qcow2 spec: the version 2 header is 72 bytes; version 3 headers are at least 104.
    private static final int V2_HEADER_LENGTH = 72;
    private static final int V3_MIN_HEADER_LENGTH = 104;

    // qcow2 spec: header field offsets.
    private static final int OFF_VERSION = 4;
    private static final int OFF_BACKING_FILE_OFFSET = 8;
    private static final int OFF_BACKING_FILE_SIZE = 16;
    private static final int OFF_CLUSTER_BITS = 20;
    private static final int OFF_SIZE = 24;
    private static final int OFF_CRYPT_METHOD = 32;
    private static final int OFF_L1_SIZE = 36;
    private static final int OFF_L1_TABLE_OFFSET = 40;
    private static final int OFF_REFCOUNT_TABLE_OFFSET = 48;
    private static final int OFF_REFCOUNT_TABLE_CLUSTERS = 56;
    private static final int OFF_NB_SNAPSHOTS = 60;
    private static final int OFF_SNAPSHOTS_OFFSET = 64;
    private static final int OFF_INCOMPATIBLE = 72;
    private static final int OFF_COMPATIBLE = 80;
    private static final int OFF_AUTOCLEAR = 88;
    private static final int OFF_REFCOUNT_ORDER = 96;
    private static final int OFF_HEADER_LENGTH = 100;
    private static final int OFF_COMPRESSION_TYPE = 104;

    // block/qcow2.h: MIN_CLUSTER_BITS and MAX_CLUSTER_BITS.
    private static final int MIN_CLUSTER_BITS = 9;
    private static final int MAX_CLUSTER_BITS = 21;
    // qcow2 spec: refcount_order may be 0..6 (1- to 64-bit refcounts).
    private static final int MAX_REFCOUNT_ORDER = 6;
    // block/qcow2.h: QCOW_MAX_L1_SIZE (bytes of the active L1 table).
    private static final long MAX_L1_BYTES = 32L << 20;
    // block/qcow2.h: QCOW_MAX_REFTABLE_SIZE (bytes of the refcount table).
    private static final long MAX_REFTABLE_BYTES = 8L << 20;
    // block/qcow2.h: QCOW_MAX_SNAPSHOTS.
    private static final long MAX_SNAPSHOTS = 65536;
    // qcow2 spec: a snapshot table entry is at least 40 bytes.
    private static final int MIN_SNAPSHOT_ENTRY = 40;
    // block/qcow2.c: backing file names longer than 1023 bytes are refused.
    private static final int MAX_BACKING_NAME = 1023;

    // qcow2 spec: crypt_method values.
    private static final long CRYPT_NONE = 0;
    private static final long CRYPT_AES = 1;
    private static final long CRYPT_LUKS = 2;

    // qcow2 spec: incompatible feature bits.
    private static final long INCOMPAT_DIRTY = 1L;
    private static final long INCOMPAT_CORRUPT = 1L << 1;
    private static final long INCOMPAT_DATA_FILE = 1L << 2;
    private static final long INCOMPAT_COMPRESSION = 1L << 3;
    private static final long INCOMPAT_EXTL2 = 1L << 4;
    private static final long INCOMPAT_KNOWN = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE
            | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2;
    // qcow2 spec: compatible feature bit 0 = lazy refcounts.
    private static final long COMPAT_LAZY_REFCOUNTS = 1L;
    // qcow2 spec: autoclear bit 0 = bitmaps extension consistent, bit 1 = data file is raw.
    private static final long AUTOCLEAR_BITMAPS = 1L;
    private static final long AUTOCLEAR_DATA_FILE_RAW = 1L << 1;

    // qcow2 spec: compression types (header byte 104).
    private static final int COMPRESSION_ZLIB = 0;
    private static final int COMPRESSION_ZSTD = 1;

    // qcow2 spec: header extension types.
    private static final long EXT_END = 0;
    private static final long EXT_BACKING_FORMAT = 0xe2792acaL;
    private static final long EXT_FEATURE_TABLE = 0x6803f857L;
    private static final long EXT_BITMAPS = 0x23852875L;
    private static final long EXT_FULL_DISK_ENCRYPTION = 0x0537be77L;
    private static final long EXT_DATA_FILE = 0x44415441L;
    // Not a spec limit: a real image has a handful of extensions; a thousand means a crafted one.
    private static final int MAX_EXTENSIONS = 1024;
    // Not a spec limit: names longer than this are only read up to it (qemu caps paths at 4 KiB).
    private static final int MAX_NAME_BYTES = 4096;
    // qcow2 spec: the bitmaps extension is 24 bytes, the encryption extension 16.
    private static final int BITMAPS_EXT_LENGTH = 24;
    private static final int FDE_EXT_LENGTH = 16;

    // qcow2 spec: L1 entry bits 9..55 hold the L2 table offset; bits 0..8 and 56..62 are reserved.
    private static final long L1E_OFFSET_MASK = 0x00fffffffffffe00L;
    private static final long L1E_RESERVED_MASK = 0x7f000000000001ffL;
    // How much of the L1 table is sampled: cheap, and far below the read budget.
    private static final int L1_SAMPLE_BYTES = 4096;

    @Override
    public DiskFormat format() {
        return DiskFormat.QCOW2;
    }

    @Override
    public void inspect(ImageBytes image, InspectionBuilder result) {
        ByteBuffer magic = image.read(0, OFF_VERSION + 4);
        // block/qcow.c probes version 1 as the older qcow format: QcowV1Sniffer refuses those.
        if (magic.remaining() < 4 || magic.getInt(0) != MAGIC || QcowV1Sniffer.isQcowV1(magic)) {
            return;
        }
        result.magicFound();
        long fileSize = image.size();
        ByteBuffer v = image.readExactly(0, OFF_VERSION + 4, "qcow2 version");
        long version = Bounds.u32(v, OFF_VERSION);
        if (version != 2 && version != 3) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, OFF_VERSION,
                    "qcow2 version " + version + " is not supported (only 2 and 3)");
        }
        result.variant("v" + version);
        ByteBuffer header = image.readExactly(0, version == 2 ? V2_HEADER_LENGTH : V3_MIN_HEADER_LENGTH,
                "qcow2 v" + version + " header");

        int clusterBits = (int) Bounds.requireRange(Bounds.u32(header, OFF_CLUSTER_BITS), MIN_CLUSTER_BITS,
                MAX_CLUSTER_BITS, OFF_CLUSTER_BITS, FindingCode.MALFORMED_HEADER, "qcow2 cluster_bits");
        long clusterSize = 1L << clusterBits;
        result.detail("cluster_size", clusterSize);

        long incompatible = 0;
        long compatible = 0;
        long autoclear = 0;
        int refcountOrder = 4;
        long headerLength = V2_HEADER_LENGTH;
        if (version == 3) {
            incompatible = header.getLong(OFF_INCOMPATIBLE);
            compatible = header.getLong(OFF_COMPATIBLE);
            autoclear = header.getLong(OFF_AUTOCLEAR);
            refcountOrder = (int) Bounds.requireRange(Bounds.u32(header, OFF_REFCOUNT_ORDER), 0,
                    MAX_REFCOUNT_ORDER, OFF_REFCOUNT_ORDER, FindingCode.MALFORMED_HEADER, "qcow2 refcount_order");
            // block/qcow2.c: the header (with its fields) must fit in the first cluster.
            headerLength = Bounds.requireRange(Bounds.u32(header, OFF_HEADER_LENGTH), V3_MIN_HEADER_LENGTH,
                    clusterSize, OFF_HEADER_LENGTH, FindingCode.MALFORMED_HEADER, "qcow2 header_length");
        }
        result.detail("refcount_bits", 1 << refcountOrder);

        long size = Bounds.u64(header, OFF_SIZE, 0, FindingCode.MALFORMED_HEADER, "qcow2 virtual size");
        checkFeatures(image, result, incompatible, compatible, autoclear, headerLength);
        checkEncryption(result, Bounds.u32(header, OFF_CRYPT_METHOD));
        boolean extendedL2 = (incompatible & INCOMPAT_EXTL2) != 0;
        checkL1Table(image, result, header, size, clusterBits, extendedL2, fileSize);
        checkRefcountTable(header, clusterSize, fileSize);
        checkSnapshots(result, header, clusterSize, fileSize);
        String backingName = readBackingName(image, header, clusterSize);
        Extensions extensions = walkExtensions(image, result, headerLength, clusterSize,
                Bounds.u64(header, OFF_BACKING_FILE_OFFSET, 0, FindingCode.MALFORMED_HEADER,
                        "qcow2 backing_file_offset"), fileSize);

        result.virtualSize(size);
        result.matched();
        if (backingName != null) {
            result.reference(ExternalReference.Kind.BACKING, FindingCode.QCOW2_BACKING_FILE, backingName,
                    header.getLong(OFF_BACKING_FILE_OFFSET));
        }
        if ((incompatible & INCOMPAT_DATA_FILE) != 0) {
            result.reference(ExternalReference.Kind.DATA_FILE, FindingCode.QCOW2_DATA_FILE,
                    extensions.dataFileName == null ? "" : extensions.dataFileName,
                    extensions.dataFileName == null ? OFF_INCOMPATIBLE : extensions.dataFileOffset);
        }
        if ((autoclear & AUTOCLEAR_BITMAPS) != 0 && extensions.bitmaps > 0) {
            result.detail("bitmaps", extensions.bitmaps);
        }
    }

    private static void checkFeatures(ImageBytes image, InspectionBuilder result, long incompatible,
            long compatible, long autoclear, long headerLength) {
        if ((incompatible & INCOMPAT_DIRTY) != 0) {
            result.warn(FindingCode.QCOW2_DIRTY, OFF_INCOMPATIBLE,
                    "qcow2 dirty bit is set: refcounts need a repair before the image is trusted");
            result.detail("dirty", true);
        }
        if ((incompatible & INCOMPAT_CORRUPT) != 0) {
            result.reject(FindingCode.QCOW2_CORRUPT, OFF_INCOMPATIBLE, "qcow2 image is marked corrupt");
        }
        long unknown = incompatible & ~INCOMPAT_KNOWN;
        if (unknown != 0) {
            result.reject(FindingCode.QCOW2_UNKNOWN_INCOMPATIBLE_FEATURE, OFF_INCOMPATIBLE,
                    "qcow2 sets unknown incompatible feature bits 0x" + Long.toHexString(unknown));
        }
        if ((incompatible & INCOMPAT_EXTL2) != 0) {
            result.detail("extended_l2", true);
        }
        if ((compatible & COMPAT_LAZY_REFCOUNTS) != 0) {
            result.detail("lazy_refcounts", true);
        }
        if ((incompatible & INCOMPAT_DATA_FILE) != 0) {
            result.detail("data_file_raw", (autoclear & AUTOCLEAR_DATA_FILE_RAW) != 0);
        }
        int compression = COMPRESSION_ZLIB;
        // qcow2 spec: the compression type byte exists only when header_length covers it.
        if (headerLength > OFF_COMPRESSION_TYPE) {
            compression = Bounds.u8(image.readExactly(OFF_COMPRESSION_TYPE, 1, "qcow2 compression type"), 0);
        }
        boolean bitSet = (incompatible & INCOMPAT_COMPRESSION) != 0;
        if (compression == COMPRESSION_ZLIB || compression == COMPRESSION_ZSTD) {
            result.detail("compression_type", compression == COMPRESSION_ZLIB ? "zlib" : "zstd");
            // block/qcow2.c: the feature bit is set exactly when the type is not zlib.
            if (bitSet != (compression != COMPRESSION_ZLIB)) {
                throw new InspectionFailure(FindingCode.MALFORMED_HEADER, OFF_COMPRESSION_TYPE,
                        "qcow2 compression type " + compression + " disagrees with incompatible feature bit 3");
            }
        } else {
            result.reject(FindingCode.QCOW2_UNKNOWN_COMPRESSION, OFF_COMPRESSION_TYPE,
                    "qcow2 compression type " + compression + " is unknown");
        }
    }

    private static void checkEncryption(InspectionBuilder result, long cryptMethod) {
        if (cryptMethod == CRYPT_NONE) {
            return;
        }
        if (cryptMethod == CRYPT_AES) {
            result.detail("encrypted", "aes");
            result.reject(FindingCode.QCOW2_LEGACY_ENCRYPTION, OFF_CRYPT_METHOD,
                    "qcow2 uses the insecure legacy AES encryption");
        } else if (cryptMethod == CRYPT_LUKS) {
            result.detail("encrypted", "luks");
        } else {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, OFF_CRYPT_METHOD,
                    "qcow2 crypt_method " + cryptMethod + " is unknown");
        }
    }

    private static void checkL1Table(ImageBytes image, InspectionBuilder result, ByteBuffer header, long size,
            int clusterBits, boolean extendedL2, long fileSize) {
        long clusterSize = 1L << clusterBits;
        long l1Size = Bounds.requireRange(Bounds.u32(header, OFF_L1_SIZE), 0, MAX_L1_BYTES / Long.BYTES,
                OFF_L1_SIZE, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS, "qcow2 l1_size");
        // qcow2 spec: an L2 table fills one cluster with 8-byte entries (16 with extended L2).
        int l2Bits = clusterBits - (extendedL2 ? 4 : 3);
        // At most 21 + 18 = 39 bits, so the shift below cannot overflow.
        int bytesPerL1Bits = clusterBits + l2Bits;
        long needed = (size >>> bytesPerL1Bits) + ((size & ((1L << bytesPerL1Bits) - 1)) != 0 ? 1 : 0);
        if (needed > MAX_L1_BYTES / Long.BYTES) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, OFF_SIZE,
                    "qcow2 virtual size " + size + " needs an L1 table larger than qemu allows");
        }
        // block/qcow2.c: an L1 table smaller than the virtual size needs is refused.
        if (l1Size < needed) {
            throw new InspectionFailure(FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS, OFF_L1_SIZE,
                    "qcow2 l1_size " + l1Size + " is smaller than the " + needed + " entries the virtual size needs");
        }
        long l1Offset = Bounds.u64(header, OFF_L1_TABLE_OFFSET, 0, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS,
                "qcow2 l1_table_offset");
        if (l1Size == 0) {
            return;
        }
        requireClusterAligned(l1Offset, clusterSize, OFF_L1_TABLE_OFFSET, "qcow2 l1_table_offset");
        Bounds.requireWithin(l1Offset, l1Size * Long.BYTES, fileSize, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS,
                "qcow2 L1 table");
        int sample = (int) Math.min(Math.min(l1Size * Long.BYTES, clusterSize), L1_SAMPLE_BYTES);
        ByteBuffer entries = image.readExactly(l1Offset, sample, "qcow2 L1 table");
        for (int i = 0; i < sample; i += Long.BYTES) {
            long entry = entries.getLong(i);
            long l2Offset = entry & L1E_OFFSET_MASK;
            if ((entry & L1E_RESERVED_MASK) != 0 || l2Offset % clusterSize != 0 || l2Offset >= fileSize) {
                throw new InspectionFailure(FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS, l1Offset + i,
                        "qcow2 L1 entry " + (i / Long.BYTES) + " (0x" + Long.toHexString(entry)
                                + ") points outside the image or sets reserved bits");
            }
        }
        result.detail("l1_size", l1Size);
    }

    private static void checkRefcountTable(ByteBuffer header, long clusterSize, long fileSize) {
        long offset = Bounds.u64(header, OFF_REFCOUNT_TABLE_OFFSET, 0, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS,
                "qcow2 refcount_table_offset");
        long clusters = Bounds.requireRange(Bounds.u32(header, OFF_REFCOUNT_TABLE_CLUSTERS), 0,
                MAX_REFTABLE_BYTES / clusterSize, OFF_REFCOUNT_TABLE_CLUSTERS, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS,
                "qcow2 refcount_table_clusters");
        requireClusterAligned(offset, clusterSize, OFF_REFCOUNT_TABLE_OFFSET, "qcow2 refcount_table_offset");
        Bounds.requireWithin(offset, clusters * clusterSize, fileSize, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS,
                "qcow2 refcount table");
    }

    private static void checkSnapshots(InspectionBuilder result, ByteBuffer header, long clusterSize,
            long fileSize) {
        long count = Bounds.requireRange(Bounds.u32(header, OFF_NB_SNAPSHOTS), 0, MAX_SNAPSHOTS, OFF_NB_SNAPSHOTS,
                FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS, "qcow2 nb_snapshots");
        if (count == 0) {
            return;
        }
        long offset = Bounds.u64(header, OFF_SNAPSHOTS_OFFSET, 0, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS,
                "qcow2 snapshots_offset");
        requireClusterAligned(offset, clusterSize, OFF_SNAPSHOTS_OFFSET, "qcow2 snapshots_offset");
        Bounds.requireWithin(offset, count * MIN_SNAPSHOT_ENTRY, fileSize, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS,
                "qcow2 snapshot table");
        result.detail("snapshots", count);
    }

    /** Returns the backing file name, or null when the image has none. */
    private static String readBackingName(ImageBytes image, ByteBuffer header, long clusterSize) {
        long offset = Bounds.u64(header, OFF_BACKING_FILE_OFFSET, 0, FindingCode.MALFORMED_HEADER,
                "qcow2 backing_file_offset");
        long length = Bounds.u32(header, OFF_BACKING_FILE_SIZE);
        if (offset == 0) {
            return null;
        }
        // block/qcow2.c: the name lies in the first cluster and is at most 1023 bytes.
        Bounds.requireRange(length, 0, MAX_BACKING_NAME, OFF_BACKING_FILE_SIZE, FindingCode.MALFORMED_HEADER,
                "qcow2 backing_file_size");
        Bounds.requireWithin(offset, length, clusterSize, FindingCode.MALFORMED_HEADER, "qcow2 backing file name");
        if (length == 0) {
            return null;
        }
        ByteBuffer name = image.readExactly(offset, (int) length, "qcow2 backing file name");
        return new String(name.array(), name.arrayOffset(), (int) length, StandardCharsets.UTF_8);
    }

    /** What the header extensions said that matters after the walk. */
    private static final class Extensions {
        String dataFileName;
        long dataFileOffset;
        long bitmaps;
    }

    private static Extensions walkExtensions(ImageBytes image, InspectionBuilder result, long headerLength,
            long clusterSize, long backingFileOffset, long fileSize) {
        Extensions found = new Extensions();
        // block/qcow2.c: extensions end where the backing file name starts (readBackingName has
        // kept it inside the first cluster); with the name at or before header_length there are none.
        long end = backingFileOffset != 0 ? backingFileOffset : clusterSize;
        long offset = headerLength;
        for (int count = 0; offset < end; count++) {
            if (count >= MAX_EXTENSIONS) {
                throw new InspectionFailure(FindingCode.MALFORMED_HEADER, offset,
                        "qcow2 has more than " + MAX_EXTENSIONS + " header extensions");
            }
            if (end - offset < 8) {
                throw new InspectionFailure(FindingCode.MALFORMED_HEADER, offset,
                        "qcow2 header extension list runs past the end of the first cluster");
            }
            ByteBuffer head = image.readExactly(offset, 8, "qcow2 header extension");
            long type = Bounds.u32(head, 0);
            long length = Bounds.u32(head, 4);
            if (type == EXT_END) {
                return found;
            }
            long data = offset + 8;
            Bounds.requireWithin(data, length, end, FindingCode.MALFORMED_HEADER,
                    "qcow2 header extension 0x" + Long.toHexString(type));
            if (type == EXT_BACKING_FORMAT) {
                result.detail("backing_format", readName(image, data, length, "qcow2 backing format"));
            } else if (type == EXT_DATA_FILE) {
                found.dataFileName = readName(image, data, length, "qcow2 data file name");
                found.dataFileOffset = data;
            } else if (type == EXT_BITMAPS) {
                found.bitmaps = checkBitmapsExtension(image, data, length, fileSize);
            } else if (type == EXT_FULL_DISK_ENCRYPTION) {
                checkEncryptionExtension(image, data, length, fileSize);
            } else if (type == EXT_FEATURE_TABLE) {
                result.detail("feature_name_table", true);
            }
            // qcow2 spec: extension data is padded to a multiple of 8 bytes.
            offset = data + ((length + 7) & ~7L);
        }
        return found;
    }

    private static String readName(ImageBytes image, long offset, long length, String what) {
        int take = (int) Math.min(length, MAX_NAME_BYTES);
        ByteBuffer bytes = image.readExactly(offset, take, what);
        return new String(bytes.array(), bytes.arrayOffset(), take, StandardCharsets.UTF_8);
    }

    private static long checkBitmapsExtension(ImageBytes image, long offset, long length, long fileSize) {
        if (length < BITMAPS_EXT_LENGTH) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, offset,
                    "qcow2 bitmaps extension is " + length + " bytes, shorter than " + BITMAPS_EXT_LENGTH);
        }
        ByteBuffer ext = image.readExactly(offset, BITMAPS_EXT_LENGTH, "qcow2 bitmaps extension");
        long count = Bounds.u32(ext, 0);
        long directorySize = Bounds.u64(ext, 8, offset, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS,
                "qcow2 bitmap directory size");
        long directoryOffset = Bounds.u64(ext, 16, offset, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS,
                "qcow2 bitmap directory offset");
        Bounds.requireWithin(directoryOffset, directorySize, fileSize, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS,
                "qcow2 bitmap directory");
        return count;
    }

    private static void checkEncryptionExtension(ImageBytes image, long offset, long length, long fileSize) {
        if (length < FDE_EXT_LENGTH) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, offset,
                    "qcow2 encryption extension is " + length + " bytes, shorter than " + FDE_EXT_LENGTH);
        }
        ByteBuffer ext = image.readExactly(offset, FDE_EXT_LENGTH, "qcow2 encryption extension");
        long headerOffset = Bounds.u64(ext, 0, offset, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS,
                "qcow2 encryption header offset");
        long headerLength = Bounds.u64(ext, 8, offset, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS,
                "qcow2 encryption header length");
        Bounds.requireWithin(headerOffset, headerLength, fileSize, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS,
                "qcow2 encryption header");
    }

    private static void requireClusterAligned(long offset, long clusterSize, long fieldOffset, String what) {
        if (offset % clusterSize != 0) {
            throw new InspectionFailure(FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS, fieldOffset,
                    what + " " + offset + " is not aligned to the cluster size " + clusterSize);
        }
    }
}
