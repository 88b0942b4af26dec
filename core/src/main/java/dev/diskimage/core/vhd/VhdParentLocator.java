package dev.diskimage.core.vhd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One of the eight 24-byte parent locator entries of a dynamic disk header (VHD spec, "Dynamic
 * Disk Header Format", Parent Locator Entries): where a differencing disk's parent may be found,
 * as a platform-specific path stored elsewhere in the file.
 *
 * <p>{@code W2ku} (absolute) and {@code W2ru} (relative) hold a Windows path in UTF-16LE;
 * {@code MacX} a {@code file://} URL in UTF-8. The data space field is, by the specification, a
 * count of sectors; Microsoft's own tools store bytes. {@link #dataSpaceBytes(long)} accepts both.
 *
 * @param platformCode the platform code (0 for an unused entry), a 4-character code as a number
 * @param dataSpace the space reserved for the locator data, in sectors or in bytes
 * @param dataLength the length of the locator data, in bytes
 * @param dataOffset where the locator data sits in the file (unsigned 64-bit as read)
 */
public record VhdParentLocator(long platformCode, long dataSpace, long dataLength, long dataOffset) {

    /** VHD spec: each locator entry is 24 bytes. */
    public static final int ENTRY_SIZE = 24;
    /** VHD spec: platform code of an unused entry. */
    public static final long NONE = 0;
    /** VHD spec: Windows absolute path, UTF-16LE ({@code "W2ku"}). */
    public static final long W2KU = code("W2ku");
    /** VHD spec: Windows relative path, UTF-16LE ({@code "W2ru"}). */
    public static final long W2RU = code("W2ru");
    /** VHD spec: Mac OS X {@code file://} URL, UTF-8 ({@code "MacX"}). */
    public static final long MACX = code("MacX");

    private static final int SECTOR = 512;
    // VHD spec: entry fields (4-byte platform data reserved field at 12 is written as zero).
    private static final int OFF_DATA_SPACE = 4;
    private static final int OFF_DATA_LENGTH = 8;
    private static final int OFF_DATA_OFFSET = 16;

    /**
     * Reads the locator entry at {@code index} of {@code header}.
     *
     * @param header a buffer holding the entry (absolute indexes)
     * @param index where the entry starts in the buffer
     * @return the entry, fields as read
     */
    public static VhdParentLocator read(ByteBuffer header, int index) {
        return new VhdParentLocator(VhdFields.u32(header, index), VhdFields.u32(header, index + OFF_DATA_SPACE),
                VhdFields.u32(header, index + OFF_DATA_LENGTH), VhdFields.u64(header, index + OFF_DATA_OFFSET));
    }

    /**
     * Writes this entry at {@code index} of {@code header}, big-endian.
     *
     * @param header the buffer to write into
     * @param index where the entry starts in the buffer
     */
    public void write(ByteBuffer header, int index) {
        ByteBuffer out = header.duplicate().order(java.nio.ByteOrder.BIG_ENDIAN);
        out.putInt(index, (int) platformCode).putInt(index + OFF_DATA_SPACE, (int) dataSpace)
                .putInt(index + OFF_DATA_LENGTH, (int) dataLength).putInt(index + 12, 0)
                .putLong(index + OFF_DATA_OFFSET, dataOffset);
    }

    /**
     * Whether the entry is unused (platform code 0).
     *
     * @return whether the platform code is {@link #NONE}
     */
    public boolean isEmpty() {
        return platformCode == NONE;
    }

    /**
     * The platform code as its four characters ({@code "W2ku"}), byte for byte.
     *
     * @return four ISO-8859-1 characters, possibly control characters from a hostile file
     */
    public String platform() {
        byte[] bytes = ByteBuffer.allocate(4).putInt((int) platformCode).array();
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /**
     * The data offset, checked to be usable as an offset.
     *
     * @param fieldAt where this entry sits in the file, for the error
     * @return the data offset, 0 or more
     * @throws VhdFormatException {@code MALFORMED} at the offset field when it does not fit a signed long
     */
    public long requireDataOffset(long fieldAt) {
        return VhdFields.offset(dataOffset, fieldAt + OFF_DATA_OFFSET, VhdFormatException.Kind.MALFORMED,
                "VHD parent locator offset");
    }

    /**
     * Requires the locator data ({@link #dataLength()} bytes at {@link #dataOffset()}) to lie inside
     * a file of {@code fileSize} bytes.
     *
     * @param fieldAt where this entry sits in the file, for the error
     * @param slot the entry's number, 0 to 7, for the message
     * @param fileSize the file's size
     * @return the data offset
     * @throws VhdFormatException {@code MALFORMED} when the data lies (partly) outside the file
     */
    public long requireDataWithin(long fieldAt, int slot, long fileSize) {
        long offset = requireDataOffset(fieldAt);
        VhdFields.requireWithin(offset, dataLength, fileSize, VhdFormatException.Kind.MALFORMED,
                "VHD parent locator " + slot);
        return offset;
    }

    /**
     * The space reserved for the locator data, in bytes. The specification counts sectors, but
     * Windows writes bytes: a value below 512 is taken as sectors, a multiple of 512 as bytes.
     *
     * @param fieldAt where this entry sits in the file, for the error
     * @return the reserved space in bytes, at least {@link #dataLength()}
     * @throws VhdFormatException {@code MALFORMED} when the value is neither, or smaller than the data
     */
    public long dataSpaceBytes(long fieldAt) {
        long bytes;
        if (dataSpace < SECTOR) {
            bytes = dataSpace * SECTOR;
        } else if (dataSpace % SECTOR == 0) {
            bytes = dataSpace;
        } else {
            throw VhdFormatException.malformed(fieldAt + OFF_DATA_SPACE, "VHD parent locator data space "
                    + dataSpace + " is neither a sector count below 512 nor a multiple of 512 bytes");
        }
        if (bytes < dataLength) {
            throw VhdFormatException.malformed(fieldAt + OFF_DATA_SPACE, "VHD parent locator data length "
                    + dataLength + " exceeds its reserved space of " + bytes + " bytes");
        }
        return bytes;
    }

    /**
     * Decodes locator data: {@code Mac}/{@code MacX} as UTF-8, every other platform as UTF-16LE;
     * NUL padding at the end dropped.
     *
     * @param data a buffer holding the data from index 0
     * @param length how many bytes of it to decode
     * @return the path or URL, as stored (not sanitized)
     */
    public String decode(ByteBuffer data, int length) {
        boolean utf8 = platform().startsWith("Mac");
        return VhdFields.text(data, 0, length, utf8 ? StandardCharsets.UTF_8 : StandardCharsets.UTF_16LE);
    }

    /**
     * Encodes a path (or, for {@code MacX}, a URL) the way a locator of {@code platformCode} stores it.
     *
     * @param platformCode {@link #W2KU}, {@link #W2RU} or {@link #MACX}
     * @param path the path or URL
     * @return its bytes, without padding
     */
    public static byte[] encode(long platformCode, String path) {
        if (platformCode == MACX) {
            return path.getBytes(StandardCharsets.UTF_8);
        }
        if (platformCode == W2KU || platformCode == W2RU) {
            return path.getBytes(StandardCharsets.UTF_16LE);
        }
        throw new IllegalArgumentException("no encoding for VHD locator platform " + platformCode);
    }

    private static long code(String text) {
        return Integer.toUnsignedLong(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)).getInt());
    }
}
