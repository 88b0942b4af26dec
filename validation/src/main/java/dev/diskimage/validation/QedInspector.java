package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Recognises QED images from their 64-byte little-endian header, following QEMU's
 * {@code docs/interop/qed_spec.txt} and the checks {@code block/qed.c} applies on open: cluster
 * and table sizes in range, the L1 table inside the file, the image size reachable through the
 * tables. A backing file is reported as a reference, never opened.
 */
final class QedInspector implements FormatInspector {

    // qed spec: magic "QED\0", read as a little-endian u32.
    private static final int MAGIC = 0x00444551;
    // qed spec: the header is 64 bytes, all fields little-endian.
    private static final int HEADER_LENGTH = 64;
    private static final int OFF_CLUSTER_SIZE = 4;
    private static final int OFF_TABLE_SIZE = 8;
    private static final int OFF_HEADER_SIZE = 12;
    private static final int OFF_FEATURES = 16;
    private static final int OFF_COMPAT_FEATURES = 24;
    private static final int OFF_AUTOCLEAR_FEATURES = 32;
    private static final int OFF_L1_TABLE_OFFSET = 40;
    private static final int OFF_IMAGE_SIZE = 48;
    private static final int OFF_BACKING_NAME_OFFSET = 56;
    private static final int OFF_BACKING_NAME_SIZE = 60;

    // block/qed.h: QED_MIN_CLUSTER_SIZE and QED_MAX_CLUSTER_SIZE (powers of two).
    private static final long MIN_CLUSTER_SIZE = 4L << 10;
    private static final long MAX_CLUSTER_SIZE = 64L << 20;
    // block/qed.h: QED_MIN_TABLE_SIZE and QED_MAX_TABLE_SIZE, in clusters (powers of two).
    private static final long MIN_TABLE_SIZE = 1;
    private static final long MAX_TABLE_SIZE = 16;
    private static final long MIN_OPENABLE_TABLE_SIZE = 2;
    // qed spec: image_size is a multiple of the 512-byte sector.
    // Not a spec limit: QED images have a one-cluster header; a huge count means a crafted one.
    private static final long MAX_HEADER_CLUSTERS = 1024;
    // block/qed.c (qemu 7.2): qed_read_string reads the name into bs->auto_backing_file[PATH_MAX]
    // and refuses names that do not fit with their terminator.
    static final long MAX_BACKING_NAME = 4095;

    // qed spec: feature bits.
    private static final long FEATURE_BACKING_FILE = 1L;
    private static final long FEATURE_NEED_CHECK = 1L << 1;
    private static final long FEATURE_BACKING_FORMAT_NO_PROBE = 1L << 2;
    private static final long FEATURES_KNOWN = FEATURE_BACKING_FILE | FEATURE_NEED_CHECK
            | FEATURE_BACKING_FORMAT_NO_PROBE;

    @Override
    public DiskFormat format() {
        return DiskFormat.QED;
    }

    @Override
    public void inspect(ImageBytes image, InspectionBuilder result) {
        ByteBuffer magic = image.read(0, 4).order(ByteOrder.LITTLE_ENDIAN);
        if (magic.remaining() < 4 || magic.getInt(0) != MAGIC) {
            return;
        }
        result.magicFound();
        long fileSize = image.size();
        ByteBuffer header = image.readExactly(0, HEADER_LENGTH, "QED header").order(ByteOrder.LITTLE_ENDIAN);

        long clusterSize = requirePowerOfTwo(Bounds.u32(header, OFF_CLUSTER_SIZE), MIN_CLUSTER_SIZE,
                MAX_CLUSTER_SIZE, OFF_CLUSTER_SIZE, "QED cluster_size");
        long tableSize = requirePowerOfTwo(Bounds.u32(header, OFF_TABLE_SIZE), MIN_TABLE_SIZE, MAX_TABLE_SIZE,
                OFF_TABLE_SIZE, "QED table_size");
        // block/qed.c (qed_check_table_offset) refuses one-cluster tables although the spec allows them.
        if (tableSize < MIN_OPENABLE_TABLE_SIZE) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, OFF_TABLE_SIZE,
                    "QED table_size " + tableSize + " cannot be opened by qemu");
        }
        long headerClusters = Bounds.requireRange(Bounds.u32(header, OFF_HEADER_SIZE), 1, MAX_HEADER_CLUSTERS,
                OFF_HEADER_SIZE, FindingCode.MALFORMED_HEADER, "QED header_size");
        long headerBytes = headerClusters * clusterSize;
        result.detail("cluster_size", clusterSize);
        result.detail("table_size", tableSize);

        long features = header.getLong(OFF_FEATURES);
        long unknown = features & ~FEATURES_KNOWN;
        if (unknown != 0) {
            result.reject(FindingCode.QED_UNKNOWN_FEATURE, OFF_FEATURES,
                    "QED sets unknown feature bits 0x" + Long.toHexString(unknown));
        }
        if ((features & FEATURE_NEED_CHECK) != 0) {
            result.detail("needs_check", true);
        }
        // qed spec: unknown compatible and autoclear features may be ignored; reported for information.
        long compat = header.getLong(OFF_COMPAT_FEATURES);
        long autoclear = header.getLong(OFF_AUTOCLEAR_FEATURES);
        if (compat != 0) {
            result.detail("compat_features", "0x" + Long.toHexString(compat));
        }
        if (autoclear != 0) {
            result.detail("autoclear_features", "0x" + Long.toHexString(autoclear));
        }

        long imageSize = Bounds.u64(header, OFF_IMAGE_SIZE, 0, FindingCode.MALFORMED_HEADER, "QED image_size");
        long maxImageSize = maxImageSize(clusterSize, tableSize);
        if (imageSize % Sectors.SIZE != 0 || imageSize > maxImageSize) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, OFF_IMAGE_SIZE, "QED image_size " + imageSize
                    + " is not a sector multiple or exceeds the " + maxImageSize + " bytes the tables can map");
        }

        long l1Offset = Bounds.u64(header, OFF_L1_TABLE_OFFSET, 0, FindingCode.MALFORMED_HEADER,
                "QED l1_table_offset");
        // block/qed.c: the L1 table is cluster aligned, after the header and inside the file.
        if (l1Offset % clusterSize != 0 || l1Offset < headerBytes) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, OFF_L1_TABLE_OFFSET, "QED l1_table_offset "
                    + l1Offset + " is not cluster aligned or overlaps the " + headerBytes + "-byte header");
        }
        Bounds.requireWithin(l1Offset, tableSize * clusterSize, fileSize, FindingCode.TRUNCATED, "QED L1 table");

        String backingName = null;
        if ((features & FEATURE_BACKING_FILE) != 0) {
            long nameOffset = Bounds.u32(header, OFF_BACKING_NAME_OFFSET);
            long nameSize = Bounds.requireRange(Bounds.u32(header, OFF_BACKING_NAME_SIZE), 0, MAX_BACKING_NAME,
                    OFF_BACKING_NAME_SIZE, FindingCode.MALFORMED_HEADER, "QED backing_filename_size");
            // block/qed.c: the name lies inside the header clusters.
            Bounds.requireWithin(nameOffset, nameSize, headerBytes, FindingCode.MALFORMED_HEADER,
                    "QED backing file name");
            ByteBuffer name = image.readExactly(nameOffset, (int) nameSize, "QED backing file name");
            backingName = new String(name.array(), name.arrayOffset(), (int) nameSize, StandardCharsets.UTF_8);
            if ((features & FEATURE_BACKING_FORMAT_NO_PROBE) != 0) {
                result.detail("backing_format", "raw");
            }
        }

        result.virtualSize(imageSize);
        result.matched();
        if (backingName != null) {
            result.reference(ExternalReference.Kind.BACKING, FindingCode.QED_BACKING_FILE, backingName,
                    Bounds.u32(header, OFF_BACKING_NAME_OFFSET));
        }
    }

    private static long requirePowerOfTwo(long value, long min, long max, long fieldOffset, String what) {
        Bounds.requireRange(value, min, max, fieldOffset, FindingCode.MALFORMED_HEADER, what);
        if (Long.bitCount(value) != 1) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, fieldOffset,
                    what + " " + value + " is not a power of two");
        }
        return value;
    }

    /** block/qed.c: two table levels of 8-byte entries map table_entries^2 clusters; saturates. */
    private static long maxImageSize(long clusterSize, long tableSize) {
        long entries = tableSize * clusterSize / Long.BYTES;
        long l2Span = entries * clusterSize;
        return Math.multiplyHigh(l2Span, entries) != 0 || l2Span * entries < 0 ? Long.MAX_VALUE : l2Span * entries;
    }
}
