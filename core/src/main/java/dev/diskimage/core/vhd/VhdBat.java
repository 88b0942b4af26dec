package dev.diskimage.core.vhd;

import java.nio.ByteBuffer;

/**
 * The block allocation table (VHD spec, "Block Allocation Table and Data Blocks"): one big-endian
 * 32-bit entry per block, the sector offset of the block's sector bitmap, or {@link #UNALLOCATED}.
 * The block's data follows its bitmap.
 */
public final class VhdBat {
    /** VHD spec: an entry of all ones marks a block that is not allocated. */
    public static final long UNALLOCATED = 0xFFFFFFFFL;
    /** VHD spec: an entry is 4 bytes. */
    public static final int ENTRY_SIZE = 4;
    private static final int SECTOR = 512;

    private VhdBat() {
    }

    /**
     * The entry at {@code index} of a table held in {@code table} from index 0.
     *
     * @param table the table's bytes (absolute indexes; byte order ignored)
     * @param index the entry number
     * @return the entry, unsigned
     */
    public static long entry(ByteBuffer table, int index) {
        return VhdFields.u32(table, index * ENTRY_SIZE);
    }

    /**
     * Stores {@code entry} at {@code index}, big-endian.
     *
     * @param table the table's bytes
     * @param index the entry number
     * @param entry a sector offset or {@link #UNALLOCATED}
     */
    public static void put(ByteBuffer table, int index, long entry) {
        table.duplicate().order(java.nio.ByteOrder.BIG_ENDIAN).putInt(index * ENTRY_SIZE, (int) entry);
    }

    /**
     * Whether an entry allocates a block.
     *
     * @param entry an entry
     * @return whether it is not {@link #UNALLOCATED}
     */
    public static boolean isAllocated(long entry) {
        return entry != UNALLOCATED;
    }

    /**
     * The number of entries a disk of {@code virtualSize} bytes needs.
     *
     * @param virtualSize 0 or more
     * @param blockSize a checked block size
     * @return the virtual size in blocks, rounded up
     */
    public static long entriesFor(long virtualSize, long blockSize) {
        return virtualSize / blockSize + (virtualSize % blockSize == 0 ? 0 : 1);
    }

    /**
     * Requires the block of entry {@code index} (its bitmap and data) to lie inside {@code limit}
     * bytes: the file size, or where the end footer starts.
     *
     * @param index the entry number, for the message
     * @param entry an allocated entry
     * @param blockSize the checked block size
     * @param limit the end the block must not cross
     * @return the file offset of the block's bitmap
     * @throws VhdFormatException {@code OUT_OF_BOUNDS} at the block's offset when it does not
     */
    public static long requireBlockWithin(long index, long entry, long blockSize, long limit) {
        long start = entry * SECTOR;
        VhdFields.requireWithin(start, VhdSectorBitmap.bytesFor(blockSize) + blockSize, limit,
                VhdFormatException.Kind.OUT_OF_BOUNDS, "VHD data block " + index);
        return start;
    }

    /**
     * Requires the block of entry {@code index} to start at or after {@code metadataEnd}, so that
     * writing it cannot overwrite the footer copy, the dynamic header, the table or locator data.
     *
     * @param index the entry number, for the message
     * @param entry an allocated entry
     * @param metadataEnd the first offset after the metadata
     * @throws VhdFormatException {@code OUT_OF_BOUNDS} at the block's offset when it overlaps
     */
    public static void requireBlockAfter(long index, long entry, long metadataEnd) {
        long start = entry * SECTOR;
        if (start < metadataEnd) {
            throw VhdFormatException.outOfBounds(start, "VHD data block " + index + " at offset " + start
                    + " overlaps the metadata that ends at " + metadataEnd);
        }
    }
}
