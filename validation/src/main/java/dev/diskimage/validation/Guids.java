package dev.diskimage.validation;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

/**
 * Reads the 16-byte identifiers image formats store. Microsoft and VirtualBox write GUIDs
 * mixed-endian (the first three fields little-endian, the last eight bytes as they are: VHDX,
 * VDI, GPT). (VHD's unique id, stored in RFC 4122 byte order, is read by
 * {@code dev.diskimage.core.vhd}.) Reads use absolute indexes and ignore the buffer's byte order.
 */
final class Guids {
    /** Bytes in a GUID. */
    static final int LENGTH = 16;

    private Guids() {
    }

    /** The GUID at {@code offset} stored the Microsoft way (MS-VHDX 1.1, UEFI appendix A, VirtualBox). */
    static UUID mixedEndian(ByteBuffer buffer, int offset) {
        ByteBuffer le = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long high = (Integer.toUnsignedLong(le.getInt(offset)) << 32)
                | ((long) Short.toUnsignedInt(le.getShort(offset + 4)) << 16)
                | Short.toUnsignedInt(le.getShort(offset + 6));
        return new UUID(high, bigEndianLong(buffer, offset + 8));
    }

    /** Whether the 16 bytes at {@code offset} are all zero: the nil GUID, which formats use for "none". */
    static boolean isNil(ByteBuffer buffer, int offset) {
        return buffer.getLong(offset) == 0 && buffer.getLong(offset + 8) == 0;
    }

    private static long bigEndianLong(ByteBuffer buffer, int offset) {
        return buffer.duplicate().order(ByteOrder.BIG_ENDIAN).getLong(offset);
    }
}
