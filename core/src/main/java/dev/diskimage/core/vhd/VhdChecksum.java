package dev.diskimage.core.vhd;

import java.nio.ByteBuffer;

/**
 * The checksum of the VHD footer and dynamic disk header (VHD spec, "Hard Disk Footer Format",
 * Checksum): the one's complement of the sum of all bytes of the structure, its own 4-byte
 * checksum field counted as zero.
 */
public final class VhdChecksum {
    /** Width of the checksum field. */
    public static final int FIELD_LENGTH = 4;

    private VhdChecksum() {
    }

    /**
     * Computes the checksum of the first {@code length} bytes of {@code structure} (absolute
     * indexes from 0; the buffer's position and byte order are ignored).
     *
     * @param structure the structure's bytes
     * @param length how many bytes the structure has
     * @param fieldOffset where its 4-byte checksum field sits, counted as zero
     * @return the checksum, an unsigned 32-bit value
     */
    public static long of(ByteBuffer structure, int length, int fieldOffset) {
        long sum = 0;
        for (int i = 0; i < length; i++) {
            if (i < fieldOffset || i >= fieldOffset + FIELD_LENGTH) {
                sum += Byte.toUnsignedInt(structure.get(i));
            }
        }
        return ~sum & 0xFFFFFFFFL;
    }
}
