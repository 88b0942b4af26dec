package dev.diskimage.core.vhd;

import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Field readers and writers shared by the VHD structures. All use absolute indexes and
 * big-endian order whatever the buffer's own order (VHD spec: "All values are stored in
 * big-endian format").
 */
final class VhdFields {
    /** Bytes in a unique id. */
    static final int UUID_LENGTH = 16;

    private VhdFields() {
    }

    static long u32(ByteBuffer buffer, int index) {
        return Integer.toUnsignedLong(bigEndian(buffer).getInt(index));
    }

    static int u16(ByteBuffer buffer, int index) {
        return Short.toUnsignedInt(bigEndian(buffer).getShort(index));
    }

    static int u8(ByteBuffer buffer, int index) {
        return Byte.toUnsignedInt(buffer.get(index));
    }

    static long u64(ByteBuffer buffer, int index) {
        return bigEndian(buffer).getLong(index);
    }

    /** The unique id at {@code index}, stored in RFC 4122 (big-endian) byte order. */
    static UUID uuid(ByteBuffer buffer, int index) {
        return new UUID(u64(buffer, index), u64(buffer, index + 8));
    }

    static void putUuid(ByteBuffer buffer, int index, UUID id) {
        buffer.putLong(index, id.getMostSignificantBits()).putLong(index + 8, id.getLeastSignificantBits());
    }

    /** A 4-byte code (creator application, host OS, platform) byte for byte, as ISO-8859-1. */
    static String code(ByteBuffer buffer, int index) {
        byte[] bytes = new byte[4];
        buffer.get(index, bytes);
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    static void putCode(ByteBuffer buffer, int index, String code) {
        byte[] bytes = code.getBytes(StandardCharsets.ISO_8859_1);
        if (bytes.length != 4) {
            throw new IllegalArgumentException("a VHD code has 4 characters: '" + code + "'");
        }
        buffer.put(index, bytes);
    }

    /** Decodes {@code length} bytes (rounded down to whole units for UTF-16) and drops the NUL padding. */
    static String text(ByteBuffer buffer, int index, int length, Charset charset) {
        int usable = charset.equals(StandardCharsets.UTF_8) ? length : length & ~1;
        byte[] bytes = new byte[usable];
        buffer.get(index, bytes);
        return trimNul(new String(bytes, charset));
    }

    /**
     * Drops the NUL padding at the end of a fixed-size field. A NUL inside the text stays, so the
     * sanitizer shows it together with what a C reader would not see after it.
     */
    static String trimNul(String text) {
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '\0') {
            end--;
        }
        return text.substring(0, end);
    }

    /** A 64-bit unsigned field that must fit a signed long to be used as an offset or size. */
    static long offset(long value, long fieldAt, VhdFormatException.Kind kind, String what) {
        if (value < 0) {
            throw new VhdFormatException(kind, fieldAt, what + " is " + Long.toUnsignedString(value)
                    + ", larger than any real image");
        }
        return value;
    }

    /**
     * Requires {@code [offset, offset + length)} to lie inside {@code size} bytes, overflow-safe.
     *
     * @throws VhdFormatException of {@code kind} at {@code offset} when it does not
     */
    static void requireWithin(long offset, long length, long size, VhdFormatException.Kind kind, String what) {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new VhdFormatException(kind, Math.max(offset, 0), what + " at offset "
                    + Long.toUnsignedString(offset) + " with length " + Long.toUnsignedString(length)
                    + " lies outside the image of " + size + " bytes");
        }
    }

    private static ByteBuffer bigEndian(ByteBuffer buffer) {
        return buffer.order() == java.nio.ByteOrder.BIG_ENDIAN ? buffer
                : buffer.duplicate().order(java.nio.ByteOrder.BIG_ENDIAN);
    }
}
