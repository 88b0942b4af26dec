package dev.diskimage.core.vhd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The 1024-byte dynamic disk header (VHD spec, "Dynamic Disk Header Format") of dynamic and
 * differencing disks: big-endian, starting with the cookie {@code cxsparse}, at the offset the
 * footer's data offset names. It places the block allocation table, sizes the blocks and, for a
 * differencing disk, names the parent (unique id, time stamp, UTF-16BE name, eight locators).
 *
 * <p>{@link #read} checks what every later use depends on: the cookie, the checksum and the block
 * size (a power of two from 512 bytes to 256 MiB); {@link #requireTableEntries} and
 * {@link #requireTablePlacement} check the table once the virtual size and the file size are known.
 *
 * @param dataOffset the next structure's offset, unused (all ones)
 * @param tableOffset where the block allocation table starts (unsigned 64-bit as read)
 * @param headerVersion the header version ({@code 0x00010000})
 * @param maxTableEntries the number of entries of the block allocation table
 * @param blockSize the size of a data block in bytes, excluding its sector bitmap
 * @param checksum the checksum field as read
 * @param parentUniqueId the parent's unique id (differencing disks)
 * @param parentTimestamp the parent's modification time, seconds since 2000-01-01 UTC
 * @param parentName the parent's file name (UTF-16BE, NUL padding dropped), as stored
 * @param parentLocators the eight locator entries, unused ones included, in entry order
 */
public record VhdDynamicHeader(long dataOffset, long tableOffset, long headerVersion, long maxTableEntries,
        long blockSize, long checksum, UUID parentUniqueId, long parentTimestamp, String parentName,
        List<VhdParentLocator> parentLocators) {

    /** VHD spec: the dynamic disk header is 1024 bytes. */
    public static final int SIZE = 1024;
    /** VHD spec: the header's cookie. */
    public static final String COOKIE = "cxsparse";
    /** VHD spec: header version 1.0. */
    public static final long HEADER_VERSION = 0x00010000L;
    /** VHD spec: the default block size, 2 MiB. */
    public static final long DEFAULT_BLOCK_SIZE = 2L << 20;
    /** The smallest block size accepted: one sector (qemu requires a power of two of 512 or more). */
    public static final long MIN_BLOCK_SIZE = 512;
    /** The largest block size accepted, a sane limit: 256 MiB. */
    public static final long MAX_BLOCK_SIZE = 256L << 20;
    /** VHD spec: eight parent locator entries. */
    public static final int LOCATOR_COUNT = 8;
    /** VHD spec: the parent unicode name field is 512 bytes. */
    public static final int PARENT_NAME_BYTES = 512;

    // VHD spec, "Dynamic Disk Header Format": field offsets.
    /** Offset of the table offset field. */
    public static final int OFF_TABLE_OFFSET = 16;
    /** Offset of the max table entries field. */
    public static final int OFF_MAX_TABLE_ENTRIES = 28;
    /** Offset of the block size field. */
    public static final int OFF_BLOCK_SIZE = 32;
    /** Offset of the checksum field. */
    public static final int OFF_CHECKSUM = 36;
    /** Offset of the parent unicode name field. */
    public static final int OFF_PARENT_NAME = 64;
    /** Offset of the first parent locator entry. */
    public static final int OFF_LOCATORS = 576;
    private static final int OFF_DATA_OFFSET = 8;
    private static final int OFF_HEADER_VERSION = 24;
    private static final int OFF_PARENT_UNIQUE_ID = 40;
    private static final int OFF_PARENT_TIMESTAMP = 56;

    private static final byte[] COOKIE_BYTES = COOKIE.getBytes(StandardCharsets.US_ASCII);

    /**
     * Copies the locator list and checks the fields a writer could get wrong.
     *
     * @param dataOffset the unused data offset
     * @param tableOffset the table offset
     * @param headerVersion the header version
     * @param maxTableEntries the table's entry count
     * @param blockSize the block size
     * @param checksum the checksum
     * @param parentUniqueId the parent's unique id
     * @param parentTimestamp the parent's time stamp
     * @param parentName the parent's name, at most 512 bytes in UTF-16BE
     * @param parentLocators exactly eight entries
     */
    public VhdDynamicHeader {
        Objects.requireNonNull(parentUniqueId, "parentUniqueId");
        parentLocators = List.copyOf(parentLocators);
        if (parentLocators.size() != LOCATOR_COUNT) {
            throw new IllegalArgumentException("a VHD dynamic header has " + LOCATOR_COUNT + " locator entries, not "
                    + parentLocators.size());
        }
        if (parentName.getBytes(StandardCharsets.UTF_16BE).length > PARENT_NAME_BYTES) {
            throw new IllegalArgumentException("VHD parent name longer than " + PARENT_NAME_BYTES + " bytes");
        }
    }

    /**
     * Reads the header from the first 1024 bytes of {@code bytes} (absolute indexes from 0) and
     * checks its cookie, its checksum and its block size.
     *
     * @param bytes the header's bytes
     * @param at where the header sits in the file, for errors
     * @return the header, fields as read
     * @throws VhdFormatException {@code TRUNCATED} when fewer than 1024 bytes are given,
     *         {@code MALFORMED} for a missing cookie or a bad block size, {@code BAD_CHECKSUM}
     */
    public static VhdDynamicHeader read(ByteBuffer bytes, long at) {
        if (bytes.limit() < SIZE) {
            throw new VhdFormatException(VhdFormatException.Kind.TRUNCATED, at, "VHD dynamic disk header at offset "
                    + at + " has " + bytes.limit() + " bytes, fewer than " + SIZE);
        }
        for (int i = 0; i < COOKIE_BYTES.length; i++) {
            if (bytes.get(i) != COOKIE_BYTES[i]) {
                throw VhdFormatException.malformed(at, "VHD dynamic disk header at offset " + at
                        + " lacks its \"" + COOKIE + "\" cookie");
            }
        }
        if (VhdChecksum.of(bytes, SIZE, OFF_CHECKSUM) != VhdFields.u32(bytes, OFF_CHECKSUM)) {
            throw new VhdFormatException(VhdFormatException.Kind.BAD_CHECKSUM, at + OFF_CHECKSUM,
                    "VHD dynamic disk header checksum does not match its contents");
        }
        long blockSize = VhdFields.u32(bytes, OFF_BLOCK_SIZE);
        requireBlockSize(blockSize, at + OFF_BLOCK_SIZE);
        List<VhdParentLocator> locators = new ArrayList<>(LOCATOR_COUNT);
        for (int i = 0; i < LOCATOR_COUNT; i++) {
            locators.add(VhdParentLocator.read(bytes, OFF_LOCATORS + i * VhdParentLocator.ENTRY_SIZE));
        }
        return new VhdDynamicHeader(VhdFields.u64(bytes, OFF_DATA_OFFSET), VhdFields.u64(bytes, OFF_TABLE_OFFSET),
                VhdFields.u32(bytes, OFF_HEADER_VERSION), VhdFields.u32(bytes, OFF_MAX_TABLE_ENTRIES), blockSize,
                VhdFields.u32(bytes, OFF_CHECKSUM), VhdFields.uuid(bytes, OFF_PARENT_UNIQUE_ID),
                VhdFields.u32(bytes, OFF_PARENT_TIMESTAMP),
                VhdFields.text(bytes, OFF_PARENT_NAME, PARENT_NAME_BYTES, StandardCharsets.UTF_16BE), locators);
    }

    /**
     * Requires a block size to be a power of two from {@link #MIN_BLOCK_SIZE} to {@link #MAX_BLOCK_SIZE}.
     *
     * @param blockSize the block size, unsigned
     * @param fieldAt where the field sits in the file, for the error
     * @throws VhdFormatException {@code MALFORMED} when it is not
     */
    public static void requireBlockSize(long blockSize, long fieldAt) {
        if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE) {
            throw VhdFormatException.malformed(fieldAt, "VHD block size is " + Long.toUnsignedString(blockSize)
                    + ", outside the allowed range " + MIN_BLOCK_SIZE + ".." + MAX_BLOCK_SIZE);
        }
        if (Long.bitCount(blockSize) != 1) {
            throw VhdFormatException.malformed(fieldAt, "VHD block size " + blockSize + " is not a power of two");
        }
    }

    /**
     * Requires the table to cover {@code virtualSize} and to stay within what a 2040 GiB disk uses
     * (qemu block/vpc.c refuses both).
     *
     * @param virtualSize the disk's virtual size, 0 to {@link VhdFooter#MAX_VIRTUAL_SIZE}
     * @param at where this header sits in the file, for errors
     * @return the entry count
     * @throws VhdFormatException {@code MALFORMED} for too few entries, {@code OUT_OF_BOUNDS} for too many
     */
    public long requireTableEntries(long virtualSize, long at) {
        long needed = VhdBat.entriesFor(virtualSize, blockSize);
        if (maxTableEntries < needed) {
            throw VhdFormatException.malformed(at + OFF_MAX_TABLE_ENTRIES, "VHD block allocation table has "
                    + maxTableEntries + " entries but the virtual size of " + virtualSize + " bytes needs " + needed);
        }
        long maximum = VhdFooter.MAX_VIRTUAL_SIZE / blockSize;
        if (maxTableEntries > maximum) {
            throw VhdFormatException.outOfBounds(at + OFF_MAX_TABLE_ENTRIES, "VHD block allocation table declares "
                    + maxTableEntries + " entries, more than the " + maximum + " a 2040 GiB disk can use");
        }
        return maxTableEntries;
    }

    /**
     * Requires the table, rounded up to whole sectors as qemu reads it, to lie inside the file.
     * Call after {@link #requireTableEntries}, which bounds the entry count.
     *
     * @param fileSize the file's size
     * @param at where this header sits in the file, for errors
     * @return the table offset
     * @throws VhdFormatException {@code OUT_OF_BOUNDS} when it does not
     */
    public long requireTablePlacement(long fileSize, long at) {
        long offset = VhdFields.offset(tableOffset, at + OFF_TABLE_OFFSET, VhdFormatException.Kind.OUT_OF_BOUNDS,
                "VHD block allocation table offset");
        VhdFields.requireWithin(offset, tableBytes(), fileSize, VhdFormatException.Kind.OUT_OF_BOUNDS,
                "VHD block allocation table");
        long end = offset + tableBytes();
        long roundedEnd = VhdSectorBitmap.roundUpToSector(end);
        if (roundedEnd > fileSize) {
            throw VhdFormatException.outOfBounds(offset, "VHD block allocation table ends at " + end
                    + ", and its last sector at " + roundedEnd + " lies beyond the image of " + fileSize + " bytes");
        }
        return offset;
    }

    /**
     * The table's length in bytes (not rounded to sectors).
     *
     * @return entries times 4
     */
    public long tableBytes() {
        return maxTableEntries * VhdBat.ENTRY_SIZE;
    }

    /**
     * The bytes of the sector bitmap that precedes each block.
     *
     * @return {@link VhdSectorBitmap#bytesFor(long)} of the block size
     */
    public long bitmapBytes() {
        return VhdSectorBitmap.bytesFor(blockSize);
    }

    /**
     * Serializes the header: 1024 big-endian bytes with a freshly computed checksum (the
     * {@link #checksum()} component is ignored), the name padded with NULs, reserved bytes zero.
     *
     * @return a new buffer of 1024 bytes, position 0
     */
    public ByteBuffer write() {
        ByteBuffer out = ByteBuffer.allocate(SIZE);
        out.put(0, COOKIE_BYTES);
        out.putLong(OFF_DATA_OFFSET, dataOffset).putLong(OFF_TABLE_OFFSET, tableOffset)
                .putInt(OFF_HEADER_VERSION, (int) headerVersion).putInt(OFF_MAX_TABLE_ENTRIES, (int) maxTableEntries)
                .putInt(OFF_BLOCK_SIZE, (int) blockSize).putInt(OFF_PARENT_TIMESTAMP, (int) parentTimestamp);
        VhdFields.putUuid(out, OFF_PARENT_UNIQUE_ID, parentUniqueId);
        out.put(OFF_PARENT_NAME, parentName.getBytes(StandardCharsets.UTF_16BE));
        for (int i = 0; i < LOCATOR_COUNT; i++) {
            parentLocators.get(i).write(out, OFF_LOCATORS + i * VhdParentLocator.ENTRY_SIZE);
        }
        out.putInt(OFF_CHECKSUM, (int) VhdChecksum.of(out, SIZE, OFF_CHECKSUM));
        return out;
    }

    /**
     * This header with its checksum component set to what {@link #write()} stores.
     *
     * @return the sealed header
     */
    public VhdDynamicHeader sealed() {
        long sum = VhdChecksum.of(write(), SIZE, OFF_CHECKSUM);
        return new VhdDynamicHeader(dataOffset, tableOffset, headerVersion, maxTableEntries, blockSize, sum,
                parentUniqueId, parentTimestamp, parentName, parentLocators);
    }

    /**
     * Where locator entry {@code slot} sits in the file.
     *
     * @param at where this header sits in the file
     * @param slot 0 to 7
     * @return the entry's offset
     */
    public static long locatorAt(long at, int slot) {
        return at + OFF_LOCATORS + (long) slot * VhdParentLocator.ENTRY_SIZE;
    }
}
