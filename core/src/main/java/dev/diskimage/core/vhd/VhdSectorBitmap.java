package dev.diskimage.core.vhd;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The sector bitmap that precedes each data block (VHD spec, "Block Allocation Table and Data
 * Blocks"): one bit per 512-byte sector of the block, most significant bit first, padded to a
 * whole number of sectors. A set bit means the block holds the sector's data; a clear bit means
 * zeros (dynamic disk) or the parent's data (differencing disk).
 */
public final class VhdSectorBitmap {
    /** The sector a VHD counts in. */
    public static final int SECTOR = 512;

    private VhdSectorBitmap() {
    }

    /**
     * A run of sectors that are all present or all absent.
     *
     * @param firstSector the first sector of the run, counted within the block
     * @param sectors the run's length in sectors, 1 or more
     * @param present whether the block holds these sectors
     */
    public record Run(int firstSector, int sectors, boolean present) {
    }

    /**
     * The bytes of the bitmap of a block of {@code blockSize} bytes: one bit per sector, rounded up
     * to bytes and then to whole sectors.
     *
     * @param blockSize a checked block size
     * @return the bitmap's size, a multiple of 512
     */
    public static long bytesFor(long blockSize) {
        long sectors = blockSize / SECTOR;
        return roundUpToSector((sectors + 7) / 8);
    }

    /**
     * {@code bytes} rounded up to whole sectors; the caller has bounded it well below {@code Long.MAX_VALUE}.
     *
     * @param bytes 0 or more
     * @return the next multiple of 512
     */
    public static long roundUpToSector(long bytes) {
        return (bytes + SECTOR - 1) / SECTOR * SECTOR;
    }

    /**
     * Whether the bitmap marks {@code sector} present.
     *
     * @param bitmap the bitmap's bytes from index 0
     * @param sector the sector within the block
     * @return whether its bit is set
     */
    public static boolean isSet(ByteBuffer bitmap, int sector) {
        return (bitmap.get(sector >>> 3) & (0x80 >>> (sector & 7))) != 0;
    }

    /**
     * Sets or clears the bit of {@code sector}.
     *
     * @param bitmap the bitmap's bytes from index 0
     * @param sector the sector within the block
     * @param present the new value
     */
    public static void set(ByteBuffer bitmap, int sector, boolean present) {
        int index = sector >>> 3;
        int mask = 0x80 >>> (sector & 7);
        int value = bitmap.get(index);
        bitmap.put(index, (byte) (present ? value | mask : value & ~mask));
    }

    /**
     * The runs of present and absent sectors among the first {@code sectors} sectors, in order.
     *
     * @param bitmap the bitmap's bytes from index 0, at least {@code (sectors + 7) / 8} of them
     * @param sectors the sectors of the block
     * @return the runs, covering {@code 0..sectors} without gaps
     */
    public static List<Run> runs(ByteBuffer bitmap, int sectors) {
        List<Run> runs = new ArrayList<>();
        int start = 0;
        while (start < sectors) {
            boolean present = isSet(bitmap, start);
            int end = start + 1;
            while (end < sectors && isSet(bitmap, end) == present) {
                end++;
            }
            runs.add(new Run(start, end - start, present));
            start = end;
        }
        return runs;
    }
}
