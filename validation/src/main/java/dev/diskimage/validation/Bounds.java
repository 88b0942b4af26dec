package dev.diskimage.validation;


/**
 * The checks every number read from a file passes before it becomes an offset, a length, a
 * count or an allocation: one call per rule, overflow-safe, failing with a finding that names
 * the field and its value.
 */
final class Bounds {

    private Bounds() {
    }

    /**
     * Requires {@code [offset, offset + length)} to lie inside a file of {@code size} bytes.
     *
     * @throws InspectionFailure with {@code code} when it does not (or the sum overflows)
     */
    static void requireWithin(long offset, long length, long size, FindingCode code, String what) {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new InspectionFailure(code, Math.max(offset, 0),
                    what + " at offset " + Long.toUnsignedString(offset) + " with length "
                            + Long.toUnsignedString(length) + " lies outside the image of " + size + " bytes");
        }
    }

    /**
     * Requires {@code value} (read as unsigned where the spec is unsigned; pass it already
     * widened) to be in {@code [min, max]}.
     *
     * @param fieldOffset where the field sits in the file, for the finding
     */
    static long requireRange(long value, long min, long max, long fieldOffset, FindingCode code, String what) {
        if (value < min || value > max) {
            throw new InspectionFailure(code, fieldOffset,
                    what + " is " + Long.toUnsignedString(value) + ", outside the allowed range " + min + ".." + max);
        }
        return value;
    }

    /** Multiplies two non-negative numbers, failing with {@code code} instead of overflowing. */
    static long multiply(long a, long b, long fieldOffset, FindingCode code, String what) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException overflow) {
            throw new InspectionFailure(code, fieldOffset, what + " overflows: " + a + " * " + b);
        }
    }

    /** Reads an unsigned 32-bit value at {@code index} in the buffer's byte order. */
    static long u32(java.nio.ByteBuffer buffer, int index) {
        return Integer.toUnsignedLong(buffer.getInt(index));
    }

    /** Reads an unsigned 16-bit value at {@code index} in the buffer's byte order. */
    static int u16(java.nio.ByteBuffer buffer, int index) {
        return Short.toUnsignedInt(buffer.getShort(index));
    }

    /** Reads an unsigned 8-bit value at {@code index}. */
    static int u8(java.nio.ByteBuffer buffer, int index) {
        return Byte.toUnsignedInt(buffer.get(index));
    }

    /**
     * Reads a 64-bit value that the spec declares unsigned and that must fit a signed long to be
     * usable as an offset or size; values with the top bit set fail with {@code code}.
     */
    static long u64(java.nio.ByteBuffer buffer, int index, long fieldOffset, FindingCode code, String what) {
        long value = buffer.getLong(index);
        if (value < 0) {
            throw new InspectionFailure(code, fieldOffset + index,
                    what + " is " + Long.toUnsignedString(value) + ", larger than any real image");
        }
        return value;
    }
}
