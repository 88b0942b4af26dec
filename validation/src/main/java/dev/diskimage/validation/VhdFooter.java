package dev.diskimage.validation;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One copy of the 512-byte VHD hard disk footer, as read (VHD spec, "Hard Disk Footer Format").
 * A VHD keeps the footer at the end of the file and, for dynamic and differencing disks, a copy
 * at offset 0; the fields that decide what a reader sees are compared between the two copies,
 * so that qemu (which reads the copy at offset 0) and readers that follow the specification
 * (which read the end copy) can never see different disks.
 *
 * <p>Numbers are kept as read (unsigned 64-bit fields in a {@code long}); range checks happen
 * where a value is used.
 *
 * @param offset         where this copy sits in the file
 * @param dataOffset     offset of the dynamic disk header (all ones for fixed disks)
 * @param creatorApp     the 4-byte creator application, decoded as ISO-8859-1
 * @param currentSize    the current size field, raw
 * @param cylinders      CHS geometry: cylinders
 * @param heads          CHS geometry: heads
 * @param sectorsPerTrack CHS geometry: sectors per track
 * @param diskType       fixed (2), dynamic (3) or differencing (4)
 * @param uniqueId       the disk's unique id, as its 16 bytes read big-endian
 * @param storedChecksum the checksum field as stored
 * @param checksumValid  whether the stored checksum matches the contents
 */
record VhdFooter(long offset, long dataOffset, String creatorApp, long currentSize, int cylinders, int heads,
        int sectorsPerTrack, long diskType, UUID uniqueId, long storedChecksum, boolean checksumValid) {

    // VHD spec: the hard disk footer is 512 bytes, big-endian, and starts with "conectix".
    static final int SIZE = 512;
    static final byte[] COOKIE = "conectix".getBytes(StandardCharsets.US_ASCII);
    static final int OFF_DATA_OFFSET = 16;
    static final int OFF_CREATOR_APP = 28;
    static final int OFF_CURRENT_SIZE = 48;
    static final int OFF_CYLINDERS = 56;
    static final int OFF_HEADS = 58;
    static final int OFF_SECTORS = 59;
    static final int OFF_DISK_TYPE = 60;
    static final int OFF_CHECKSUM = 64;
    static final int OFF_UNIQUE_ID = 68;

    /** Reads a footer from the first 512 bytes of {@code buffer}, which the caller found the cookie in. */
    static VhdFooter read(ByteBuffer buffer, long offset) {
        byte[] app = new byte[4];
        buffer.get(OFF_CREATOR_APP, app);
        return new VhdFooter(offset, buffer.getLong(OFF_DATA_OFFSET), new String(app, StandardCharsets.ISO_8859_1),
                buffer.getLong(OFF_CURRENT_SIZE), Bounds.u16(buffer, OFF_CYLINDERS), Bounds.u8(buffer, OFF_HEADS),
                Bounds.u8(buffer, OFF_SECTORS), Bounds.u32(buffer, OFF_DISK_TYPE),
                Guids.bigEndian(buffer, OFF_UNIQUE_ID),
                Bounds.u32(buffer, OFF_CHECKSUM), Checksums.onesComplementByteSum(buffer, SIZE, OFF_CHECKSUM)
                        == Bounds.u32(buffer, OFF_CHECKSUM));
    }

    /** Whether {@code buffer} holds the footer cookie at {@code index}. */
    static boolean hasCookie(ByteBuffer buffer, int index) {
        return Magic.at(buffer, index, COOKIE);
    }

    /** The CHS geometry as sectors. */
    long geometrySectors() {
        return (long) cylinders * heads * sectorsPerTrack;
    }

    /**
     * The fields in which {@code other} describes a different disk: the disk type, where the
     * dynamic header is, the size (current size, geometry, and the creator application that
     * tells qemu which of the two to use) and the disk's identity. Empty when they agree.
     */
    List<String> disagreements(VhdFooter other) {
        List<String> differences = new ArrayList<>();
        if (diskType != other.diskType) {
            differences.add("disk type " + diskType + " / " + other.diskType);
        }
        if (dataOffset != other.dataOffset) {
            differences.add("dynamic header offset " + Long.toUnsignedString(dataOffset) + " / "
                    + Long.toUnsignedString(other.dataOffset));
        }
        if (currentSize != other.currentSize) {
            differences.add("current size " + Long.toUnsignedString(currentSize) + " / "
                    + Long.toUnsignedString(other.currentSize));
        }
        if (cylinders != other.cylinders || heads != other.heads || sectorsPerTrack != other.sectorsPerTrack) {
            differences.add("geometry " + cylinders + "/" + heads + "/" + sectorsPerTrack + " / " + other.cylinders
                    + "/" + other.heads + "/" + other.sectorsPerTrack);
        }
        if (!creatorApp.equals(other.creatorApp)) {
            differences.add("creator application '" + creatorApp + "' / '" + other.creatorApp + "'");
        }
        if (!uniqueId.equals(other.uniqueId)) {
            differences.add("unique id " + uniqueId + " / " + other.uniqueId);
        }
        return differences;
    }
}
