package dev.diskimage.validation;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The fields of a hosted sparse extent header ({@code KDMV}, VMware Virtual Disk Format 1.1,
 * "SparseExtentHeader"), exactly as stored: 64-bit fields are kept as raw longs (a negative value
 * is an unsigned value above 2^63) so the inspector can check each one before using it.
 *
 * @param version           format version (1, 2 or 3)
 * @param flags             feature flags (bit 0 newline detection, bit 1 redundant grain table,
 *                          bit 16 compressed grains, bit 17 markers)
 * @param capacity          capacity in sectors
 * @param grainSize         grain size in sectors
 * @param descriptorOffset  embedded descriptor start in sectors, 0 when there is none
 * @param descriptorSize    embedded descriptor size in sectors
 * @param numGtesPerGt      grain table entries per grain table
 * @param rgdOffset         redundant grain directory in sectors
 * @param gdOffset          grain directory in sectors; {@link #GD_AT_END} for a footer
 * @param overHead          sectors of metadata before the first grain
 * @param newlineBytesValid whether the four newline-detection bytes are intact
 * @param compressAlgorithm 0 none, 1 deflate
 */
record VmdkSparseHeader(long version, long flags, long capacity, long grainSize, long descriptorOffset,
        long descriptorSize, long numGtesPerGt, long rgdOffset, long gdOffset, long overHead,
        boolean newlineBytesValid, int compressAlgorithm) {

    /** Spec: the header occupies the first sector of the extent. */
    static final int SIZE = 512;
    /** Spec: magic "KDMV" read as a little-endian uint32. */
    static final int MAGIC = 0x564d444b;
    /** Spec: streamOptimized grain directory offset meaning "see the footer". */
    static final long GD_AT_END = 0xffffffffffffffffL;
    /** Spec flag bit 0: the newline detection bytes are valid. */
    static final long FLAG_NEWLINE_DETECT = 1L;
    /** Spec flag bit 1: a redundant grain directory is present. */
    static final long FLAG_REDUNDANT_GRAIN_TABLE = 1L << 1;
    /** Spec: compressAlgorithm value for deflate (streamOptimized). */
    static final int COMPRESSION_DEFLATE = 1;

    // Spec field offsets inside the header sector.
    private static final int VERSION = 4;
    private static final int FLAGS = 8;
    private static final int CAPACITY = 12;
    private static final int GRAIN_SIZE = 20;
    private static final int DESCRIPTOR_OFFSET = 28;
    private static final int DESCRIPTOR_SIZE = 36;
    private static final int NUM_GTES_PER_GT = 44;
    private static final int RGD_OFFSET = 48;
    private static final int GD_OFFSET = 56;
    private static final int OVERHEAD = 64;
    private static final int NEWLINE_BYTES = 73;
    private static final int COMPRESS_ALGORITHM = 77;
    /** Spec: singleEndLineChar, nonEndLineChar, doubleEndLineChar1, doubleEndLineChar2. */
    private static final byte[] NEWLINE_DETECTION = {'\n', ' ', '\r', '\n'};

    /** Parses the header sector starting at {@code buffer}'s index 0 (magic included). */
    static VmdkSparseHeader parse(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        boolean newlines = true;
        for (int i = 0; i < NEWLINE_DETECTION.length; i++) {
            newlines &= b.get(NEWLINE_BYTES + i) == NEWLINE_DETECTION[i];
        }
        return new VmdkSparseHeader(Bounds.u32(b, VERSION), Bounds.u32(b, FLAGS), b.getLong(CAPACITY),
                b.getLong(GRAIN_SIZE), b.getLong(DESCRIPTOR_OFFSET), b.getLong(DESCRIPTOR_SIZE),
                Bounds.u32(b, NUM_GTES_PER_GT), b.getLong(RGD_OFFSET), b.getLong(GD_OFFSET), b.getLong(OVERHEAD),
                newlines, Bounds.u16(b, COMPRESS_ALGORITHM));
    }

    /** Whether the grains are deflate-compressed, which makes qemu treat the disk as streamOptimized. */
    boolean compressed() {
        return compressAlgorithm == COMPRESSION_DEFLATE;
    }
}
