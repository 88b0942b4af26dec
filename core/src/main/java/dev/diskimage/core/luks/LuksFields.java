package dev.diskimage.core.luks;

import dev.diskimage.core.UntrustedText;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Field readers shared by the LUKS1 and LUKS2 binary headers. */
final class LuksFields {
    /** LUKS1 cipher-name, cipher-mode and hash-spec fields are 32 bytes. */
    static final int NAME_FIELD = 32;

    private LuksFields() {
    }

    static long u32(ByteBuffer buffer, int index) {
        return Integer.toUnsignedLong(buffer.getInt(index));
    }

    static int u16(ByteBuffer buffer, int index) {
        return Short.toUnsignedInt(buffer.getShort(index));
    }

    /**
     * Reads a NUL-terminated printable ASCII name from a fixed 32-byte field; empty is malformed.
     * A refused name is quoted as read (whoever shows the reason escapes it).
     */
    static String requireName(ByteBuffer header, int offset, String what) {
        StringBuilder name = new StringBuilder();
        // "i <= NAME_FIELD" would change nothing: the last byte is the NUL (break) or refused below.
        for (int i = 0; i < NAME_FIELD; i++) {
            int c = Byte.toUnsignedInt(header.get(offset + i));
            if (c == 0) {
                break;
            }
            if (c < 0x20 || c > 0x7e || i == NAME_FIELD - 1) {
                throw LuksFormatException.malformed(offset, what + " '" + rawField(header, offset)
                        + "' is not a terminated printable name");
            }
            name.append((char) c);
        }
        if (name.length() == 0) {
            throw LuksFormatException.malformed(offset, what + " is empty");
        }
        return name.toString();
    }

    /** The whole name field up to its first NUL, byte for byte, for a reason to quote. */
    private static String rawField(ByteBuffer header, int offset) {
        StringBuilder raw = new StringBuilder(NAME_FIELD);
        for (int i = 0; i < NAME_FIELD && header.get(offset + i) != 0; i++) {
            raw.append((char) Byte.toUnsignedInt(header.get(offset + i)));
        }
        return raw.toString();
    }

    /** A NUL-terminated (or field-filling) text field that nothing depends on: sanitized, never refused. */
    static String text(ByteBuffer header, int offset, int length) {
        int end = 0;
        while (end < length && header.get(offset + end) != 0) {
            end++;
        }
        byte[] bytes = new byte[end];
        header.get(offset, bytes);
        return UntrustedText.sanitize(new String(bytes, StandardCharsets.US_ASCII).replace('\uFFFD', '?'));
    }

    static byte[] bytes(ByteBuffer header, int offset, int length) {
        byte[] bytes = new byte[length];
        header.get(offset, bytes);
        return bytes;
    }
}
