package dev.diskimage.core.vhd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The 512-byte VHD hard disk footer (VHD spec, "Hard Disk Footer Format"): big-endian, starting
 * with the cookie {@code conectix}. Every VHD ends with one; dynamic and differencing disks keep a
 * copy at offset 0.
 *
 * <p>Fields are kept as read (unsigned 32-bit fields widened into a {@code long}, unsigned 64-bit
 * fields in a {@code long} that may be negative); the methods that use a field check it.
 * {@link #write()} serializes the fields and computes a fresh checksum; the reserved bytes after
 * the saved-state flag are written as zeros, as the specification requires.
 *
 * @param features feature flags (bit 0 temporary, bit 1 reserved and always set)
 * @param formatVersion the file format version ({@code 0x00010000})
 * @param dataOffset offset of the dynamic disk header; all ones for a fixed disk
 * @param timestamp seconds since 2000-01-01 00:00:00 UTC, an unsigned 32-bit value
 * @param creatorApp the 4-byte creator application byte for byte ({@code "qem2"}, {@code "win "},
 *        {@code "tap\0"}...)
 * @param creatorVersion the creator application's version
 * @param creatorHostOs the 4-byte creator host OS ({@code "Wi2k"}, {@code "Mac "})
 * @param originalSize the size at creation, in bytes
 * @param currentSize the current size, in bytes
 * @param geometry the CHS geometry
 * @param diskType the disk type field as read (see {@link VhdDiskType})
 * @param checksum the checksum field as read
 * @param uniqueId the disk's unique id, its 16 bytes read big-endian
 * @param savedState the saved-state flag byte (1 while a saved state exists)
 */
public record VhdFooter(long features, long formatVersion, long dataOffset, long timestamp, String creatorApp,
        long creatorVersion, String creatorHostOs, long originalSize, long currentSize, VhdGeometry geometry,
        long diskType, long checksum, UUID uniqueId, int savedState) {

    /** VHD spec: the footer is 512 bytes. */
    public static final int SIZE = 512;
    /** VHD spec: the footer's cookie. */
    public static final String COOKIE = "conectix";
    /** VHD spec: features bit 1 is reserved and must always be set. */
    public static final long FEATURES_RESERVED = 0x2;
    /** VHD spec: file format version 1.0. */
    public static final long FORMAT_VERSION = 0x00010000L;
    /** VHD spec: a fixed disk's data offset, "0xFFFFFFFF" extended to the 64-bit field. */
    public static final long FIXED_DATA_OFFSET = -1L;
    /** VHD spec: time stamps count seconds from 2000-01-01 00:00:00 UTC. */
    public static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");
    /** qemu block/vpc.c: images larger than 2040 GiB (0xff000000 sectors) are refused. */
    public static final long MAX_VIRTUAL_SIZE = 0xff000000L * 512;

    // VHD spec, "Hard Disk Footer Format": field offsets.
    /** Offset of the data offset field (dynamic header position). */
    public static final int OFF_DATA_OFFSET = 16;
    /** Offset of the creator application field. */
    public static final int OFF_CREATOR_APP = 28;
    /** Offset of the current size field. */
    public static final int OFF_CURRENT_SIZE = 48;
    /** Offset of the disk type field. */
    public static final int OFF_DISK_TYPE = 60;
    /** Offset of the checksum field. */
    public static final int OFF_CHECKSUM = 64;
    /** Offset of the unique id field. */
    public static final int OFF_UNIQUE_ID = 68;
    private static final int OFF_FEATURES = 8;
    private static final int OFF_FORMAT_VERSION = 12;
    private static final int OFF_TIMESTAMP = 24;
    private static final int OFF_CREATOR_VERSION = 32;
    private static final int OFF_CREATOR_HOST_OS = 36;
    private static final int OFF_ORIGINAL_SIZE = 40;
    private static final int OFF_CYLINDERS = 56;
    private static final int OFF_HEADS = 58;
    private static final int OFF_SECTORS = 59;
    private static final int OFF_SAVED_STATE = 84;

    private static final byte[] COOKIE_BYTES = COOKIE.getBytes(StandardCharsets.US_ASCII);

    /**
     * Checks the components that have a fixed width.
     *
     * @param features the features
     * @param formatVersion the format version
     * @param dataOffset the dynamic header offset
     * @param timestamp the time stamp
     * @param creatorApp the creator application, 4 ISO-8859-1 characters
     * @param creatorVersion the creator version
     * @param creatorHostOs the host OS, 4 ISO-8859-1 characters
     * @param originalSize the original size
     * @param currentSize the current size
     * @param geometry the geometry
     * @param diskType the disk type
     * @param checksum the checksum
     * @param uniqueId the unique id
     * @param savedState the saved-state byte
     */
    public VhdFooter {
        Objects.requireNonNull(geometry, "geometry");
        Objects.requireNonNull(uniqueId, "uniqueId");
        requireCode(creatorApp, "creator application");
        requireCode(creatorHostOs, "creator host OS");
    }

    /**
     * Whether {@code buffer} holds the footer cookie at {@code index} (false when the cookie would
     * run past the buffer's limit).
     *
     * @param buffer bytes of a file
     * @param index where to look
     * @return whether the 8 cookie bytes are there
     */
    public static boolean hasCookie(ByteBuffer buffer, int index) {
        if (index < 0 || index > buffer.limit() - COOKIE_BYTES.length) {
            return false;
        }
        for (int i = 0; i < COOKIE_BYTES.length; i++) {
            if (buffer.get(index + i) != COOKIE_BYTES[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads a footer from the first 512 bytes of {@code bytes} (absolute indexes from 0). The
     * checksum is not verified here: see {@link #checksumMatches(ByteBuffer)}, whose failure a
     * reader may want to report after others.
     *
     * @param bytes the footer's bytes
     * @param at where the footer sits in the file, for errors
     * @return the footer, fields as read
     * @throws VhdFormatException {@code TRUNCATED} when fewer than 512 bytes are given,
     *         {@code MALFORMED} when the cookie is missing
     */
    public static VhdFooter read(ByteBuffer bytes, long at) {
        if (bytes.limit() < SIZE) {
            throw new VhdFormatException(VhdFormatException.Kind.TRUNCATED, at, "VHD footer at offset " + at
                    + " has " + bytes.limit() + " bytes, fewer than " + SIZE);
        }
        if (!hasCookie(bytes, 0)) {
            throw VhdFormatException.malformed(at, "VHD footer at offset " + at + " lacks its \"" + COOKIE
                    + "\" cookie");
        }
        return new VhdFooter(VhdFields.u32(bytes, OFF_FEATURES), VhdFields.u32(bytes, OFF_FORMAT_VERSION),
                VhdFields.u64(bytes, OFF_DATA_OFFSET), VhdFields.u32(bytes, OFF_TIMESTAMP),
                VhdFields.code(bytes, OFF_CREATOR_APP), VhdFields.u32(bytes, OFF_CREATOR_VERSION),
                VhdFields.code(bytes, OFF_CREATOR_HOST_OS), VhdFields.u64(bytes, OFF_ORIGINAL_SIZE),
                VhdFields.u64(bytes, OFF_CURRENT_SIZE), new VhdGeometry(VhdFields.u16(bytes, OFF_CYLINDERS),
                        VhdFields.u8(bytes, OFF_HEADS), VhdFields.u8(bytes, OFF_SECTORS)),
                VhdFields.u32(bytes, OFF_DISK_TYPE), VhdFields.u32(bytes, OFF_CHECKSUM),
                VhdFields.uuid(bytes, OFF_UNIQUE_ID), VhdFields.u8(bytes, OFF_SAVED_STATE));
    }

    /**
     * The checksum the first 512 bytes of {@code bytes} should carry.
     *
     * @param bytes a footer's bytes
     * @return the one's-complement byte sum, the checksum field counted as zero
     */
    public static long checksumOf(ByteBuffer bytes) {
        return VhdChecksum.of(bytes, SIZE, OFF_CHECKSUM);
    }

    /**
     * Whether the footer in the first 512 bytes of {@code bytes} carries the right checksum. Computed
     * over the bytes as stored, reserved bytes included, so a footer with non-zero reserved bytes
     * is judged as its readers judge it.
     *
     * @param bytes a footer's bytes
     * @return whether the stored checksum matches
     */
    public static boolean checksumMatches(ByteBuffer bytes) {
        return checksumOf(bytes) == VhdFields.u32(bytes, OFF_CHECKSUM);
    }

    /**
     * Serializes the footer: 512 big-endian bytes with a freshly computed checksum (the
     * {@link #checksum()} component is ignored) and zeroed reserved bytes.
     *
     * @return a new buffer of 512 bytes, position 0
     */
    public ByteBuffer write() {
        ByteBuffer out = ByteBuffer.allocate(SIZE);
        out.put(0, COOKIE_BYTES);
        out.putInt(OFF_FEATURES, (int) features).putInt(OFF_FORMAT_VERSION, (int) formatVersion);
        out.putLong(OFF_DATA_OFFSET, dataOffset).putInt(OFF_TIMESTAMP, (int) timestamp);
        VhdFields.putCode(out, OFF_CREATOR_APP, creatorApp);
        out.putInt(OFF_CREATOR_VERSION, (int) creatorVersion);
        VhdFields.putCode(out, OFF_CREATOR_HOST_OS, creatorHostOs);
        out.putLong(OFF_ORIGINAL_SIZE, originalSize).putLong(OFF_CURRENT_SIZE, currentSize);
        out.putShort(OFF_CYLINDERS, (short) geometry.cylinders()).put(OFF_HEADS, (byte) geometry.heads())
                .put(OFF_SECTORS, (byte) geometry.sectorsPerTrack());
        out.putInt(OFF_DISK_TYPE, (int) diskType);
        VhdFields.putUuid(out, OFF_UNIQUE_ID, uniqueId);
        out.put(OFF_SAVED_STATE, (byte) savedState);
        out.putInt(OFF_CHECKSUM, (int) checksumOf(out));
        return out;
    }

    /**
     * The checksum {@link #write()} stores.
     *
     * @return the checksum of the serialized footer
     */
    public long computeChecksum() {
        return checksumOf(write());
    }

    /**
     * This footer with its checksum component set to {@link #computeChecksum()}: what reading
     * {@link #write()} back returns.
     *
     * @return the sealed footer
     */
    public VhdFooter sealed() {
        return new VhdFooter(features, formatVersion, dataOffset, timestamp, creatorApp, creatorVersion,
                creatorHostOs, originalSize, currentSize, geometry, diskType, computeChecksum(), uniqueId,
                savedState);
    }

    /**
     * The disk type.
     *
     * @param at where this footer sits in the file, for the error
     * @return the type the footer declares
     * @throws VhdFormatException {@code MALFORMED} at the disk type field when it is not 2, 3 or 4
     */
    public VhdDiskType requireType(long at) {
        return VhdDiskType.of(diskType, at + OFF_DISK_TYPE);
    }

    /**
     * The size qemu exposes (qemu block/vpc.c): Virtual PC and qemu's default creator use the CHS
     * geometry, other creators (Hyper-V {@code "win "}, qemu with force_size {@code "qem2"},
     * disk2vhd {@code "d2v "}, XenServer {@code "CTXS"} and blktap {@code "tap\0"}) the current
     * size; a maximal geometry means the geometry cannot express the size, so current size wins.
     *
     * @param at where this footer sits in the file, for the error
     * @return the virtual size in bytes, at most {@link #MAX_VIRTUAL_SIZE}
     * @throws VhdFormatException {@code MALFORMED} at the current size field when the size is
     *         negative as a signed long or above the 2040 GiB limit
     */
    public long virtualSize(long at) {
        long sizeAt = at + OFF_CURRENT_SIZE;
        if (currentSize < 0) {
            throw VhdFormatException.malformed(sizeAt, "VHD current size " + Long.toUnsignedString(currentSize)
                    + " is larger than any real image");
        }
        long virtualSize = usesCurrentSize() || geometry.isMax() ? currentSize : geometry.sectors() * 512;
        if (virtualSize > MAX_VIRTUAL_SIZE) {
            throw VhdFormatException.malformed(sizeAt, "VHD virtual size " + virtualSize
                    + " exceeds the format's limit of 2040 GiB");
        }
        return virtualSize;
    }

    /**
     * Whether readers size this disk by its current size rather than by its geometry (qemu
     * block/vpc.c's list of creator applications).
     *
     * @return true for the creators that write a current size the geometry cannot express
     */
    public boolean usesCurrentSize() {
        return creatorApp.equals("win ") || creatorApp.equals("qem2") || creatorApp.equals("d2v ")
                || creatorApp.equals("CTXS") || creatorApp.equals("tap\0");
    }

    /**
     * The dynamic header offset, checked to be usable as an offset.
     *
     * @param at where this footer sits in the file, for the error
     * @return the data offset, 0 or more
     * @throws VhdFormatException {@code MALFORMED} at the data offset field when it does not fit a
     *         signed long
     */
    public long requireDataOffset(long at) {
        return VhdFields.offset(dataOffset, at + OFF_DATA_OFFSET, VhdFormatException.Kind.MALFORMED,
                "VHD dynamic header offset");
    }

    /**
     * The time stamp as an instant.
     *
     * @return {@link #EPOCH} plus {@link #timestamp()} seconds
     */
    public Instant time() {
        return EPOCH.plusSeconds(timestamp);
    }

    /**
     * The fields in which {@code other} describes a different disk: the disk type, where the
     * dynamic header is, the size (current size, geometry, and the creator application that tells
     * qemu which of the two to use) and the disk's identity. Empty when they agree. Used to compare
     * the copy at offset 0 (which qemu reads) with the end copy (which the specification reads).
     *
     * @param other the other copy
     * @return one text per differing field, empty when none differs
     */
    public List<String> disagreements(VhdFooter other) {
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
        if (!geometry.equals(other.geometry)) {
            differences.add("geometry " + geometry.cylinders() + "/" + geometry.heads() + "/"
                    + geometry.sectorsPerTrack() + " / " + other.geometry.cylinders() + "/" + other.geometry.heads()
                    + "/" + other.geometry.sectorsPerTrack());
        }
        if (!creatorApp.equals(other.creatorApp)) {
            differences.add("creator application '" + creatorApp + "' / '" + other.creatorApp + "'");
        }
        if (!uniqueId.equals(other.uniqueId)) {
            differences.add("unique id " + uniqueId + " / " + other.uniqueId);
        }
        return differences;
    }

    private static void requireCode(String code, String what) {
        Objects.requireNonNull(code, what);
        if (code.length() != 4 || !StandardCharsets.ISO_8859_1.newEncoder().canEncode(code)) {
            throw new IllegalArgumentException("VHD " + what + " must be 4 ISO-8859-1 characters: '" + code + "'");
        }
    }
}
