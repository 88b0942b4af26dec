package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Recognises optical disc images: ISO 9660 (ECMA-119) by its volume descriptor set from sector
 * 16, UDF (ECMA-167) by its volume recognition sequence and anchor ({@link UdfVolume}), and the
 * bridge discs that carry both (variants {@code iso9660}, {@code udf}, {@code iso9660+udf}).
 * qemu reads them as raw bytes, so the virtual size is the file size; what this inspector proves
 * is that the descriptors are well formed (identifiers, a primary volume descriptor, a terminator
 * within a bounded walk, both-endian fields that agree; for UDF an extended area with an NSR
 * descriptor and a checksummed anchor).
 *
 * <p>Sector 0 to 15 (the system area) are not examined: isohybrid images put an MBR there,
 * which the partition table inspector reports on its own.
 */
final class IsoInspector implements FormatInspector {

    // ECMA-119 6.1.2 / 8.1: 2048-byte sectors, descriptors from sector 16.
    static final int SECTOR = 2048;
    static final long FIRST_DESCRIPTOR = 16L * SECTOR;
    private static final byte[] STANDARD_IDENTIFIER = "CD001".getBytes(StandardCharsets.US_ASCII);
    // ECMA-167 2/9.2: a UDF-only disc starts its recognition sequence here with "BEA01".
    private static final byte[] UDF_BEA01 = UdfVolume.BEA01.getBytes(StandardCharsets.US_ASCII);
    private static final int OFF_TYPE = 0;
    private static final int OFF_IDENTIFIER = 1;
    private static final int OFF_VERSION = 6;
    // ECMA-119 8.1.1: volume descriptor types.
    static final int TYPE_PRIMARY = 1;
    static final int TYPE_TERMINATOR = 255;
    // ECMA-119 8.4.6 / 8.4.26: primary descriptor version is 1.
    private static final int PRIMARY_VERSION = 1;
    // ECMA-119 8.4: primary volume descriptor fields (both-endian: LE copy then BE copy).
    private static final int PVD_VOLUME_ID = 40;
    private static final int PVD_VOLUME_ID_LENGTH = 32;
    private static final int PVD_VOLUME_SPACE_SIZE = 80;
    private static final int PVD_LOGICAL_BLOCK_SIZE = 128;
    // Walking further than this means the set has no terminator a reader would reach sanely.
    static final int MAX_DESCRIPTORS = 64;

    @Override
    public DiskFormat format() {
        return DiskFormat.ISO;
    }

    @Override
    public void inspect(ImageBytes image, InspectionBuilder result) {
        // The magic is the type byte and the 5-byte standard identifier; a file ending right
        // after it is a cut disc image, never raw.
        ByteBuffer first = image.read(FIRST_DESCRIPTOR, OFF_IDENTIFIER + STANDARD_IDENTIFIER.length);
        if (first.remaining() < OFF_IDENTIFIER + STANDARD_IDENTIFIER.length) {
            return;
        }
        if (hasIdentifier(first, STANDARD_IDENTIFIER)) {
            result.magicFound();
            long next = inspectVolumeDescriptorSet(image, result);
            UdfVolume udf = UdfVolume.find(image, next, false, result);
            finish(image, udf, udf == null ? "iso9660" : "iso9660+udf", result);
        } else if (hasIdentifier(first, UDF_BEA01)) {
            // No ISO 9660 at all: a UDF-only disc, whose recognition sequence starts here.
            result.magicFound();
            finish(image, UdfVolume.find(image, FIRST_DESCRIPTOR, true, result), "udf", result);
        }
    }

    private static void finish(ImageBytes image, UdfVolume udf, String variant, InspectionBuilder result) {
        if (udf != null) {
            result.detail("udf_nsr_version", udf.nsrVersion()).detail("udf_block_size", udf.blockSize());
        }
        result.variant(variant).virtualSize(image.size()).matched();
    }

    /**
     * ECMA-119 8: the descriptors from sector 16 up to and including the terminator, with a
     * primary descriptor among them; returns the offset of the sector after the terminator.
     */
    private static long inspectVolumeDescriptorSet(ImageBytes image, InspectionBuilder result) {
        ByteBuffer primary = null;
        long primaryOffset = -1;
        for (int i = 0; i < MAX_DESCRIPTORS; i++) {
            long offset = FIRST_DESCRIPTOR + (long) i * SECTOR;
            ByteBuffer descriptor = image.readExactly(offset, SECTOR, "ISO 9660 volume descriptor " + i);
            if (!hasIdentifier(descriptor, STANDARD_IDENTIFIER)) {
                throw new InspectionFailure(FindingCode.ISO_MALFORMED, offset + OFF_IDENTIFIER,
                        "ISO 9660 volume descriptor " + i + " lacks the \"CD001\" identifier before a terminator");
            }
            int type = Bounds.u8(descriptor, OFF_TYPE);
            if (type == TYPE_TERMINATOR) {
                if (primary == null) {
                    throw new InspectionFailure(FindingCode.ISO_MALFORMED, FIRST_DESCRIPTOR,
                            "ISO 9660 volume descriptor set has no primary volume descriptor");
                }
                checkPrimary(primary, primaryOffset, image.size(), result);
                return offset + SECTOR;
            }
            if (type == TYPE_PRIMARY && primary == null) {
                primary = descriptor;
                primaryOffset = offset;
            }
        }
        throw new InspectionFailure(FindingCode.ISO_MALFORMED, FIRST_DESCRIPTOR,
                "ISO 9660 volume descriptor set has no terminator within " + MAX_DESCRIPTORS + " descriptors");
    }

    private static void checkPrimary(ByteBuffer primary, long offset, long size, InspectionBuilder result) {
        int version = Bounds.u8(primary, OFF_VERSION);
        if (version != PRIMARY_VERSION) {
            throw new InspectionFailure(FindingCode.ISO_MALFORMED, offset + OFF_VERSION,
                    "ISO 9660 primary volume descriptor has version " + version + ", expected 1");
        }
        long blocks = bothEndian32(primary, PVD_VOLUME_SPACE_SIZE, offset, "volume space size");
        int blockSize = bothEndian16(primary, PVD_LOGICAL_BLOCK_SIZE, offset, "logical block size");
        // ECMA-119 6.2.2: the logical block size is 2^(n+9) and not larger than the sector size.
        if (blockSize != 512 && blockSize != 1024 && blockSize != SECTOR) {
            throw new InspectionFailure(FindingCode.ISO_MALFORMED, offset + PVD_LOGICAL_BLOCK_SIZE,
                    "ISO 9660 logical block size " + blockSize + " is not 512, 1024 or 2048");
        }
        long declared = blocks * blockSize;
        if (declared > size) {
            result.warn(FindingCode.TRUNCATED, offset + PVD_VOLUME_SPACE_SIZE,
                    "ISO 9660 volume space of " + declared + " bytes is larger than the file of " + size + " bytes");
        }
        byte[] id = new byte[PVD_VOLUME_ID_LENGTH];
        primary.get(PVD_VOLUME_ID, id);
        // Raw text: the builder escapes control characters in details centrally.
        String volumeId = new String(id, StandardCharsets.ISO_8859_1).trim();
        result.detail("volume_id", volumeId).detail("volume_space_bytes", declared)
                .detail("logical_block_size", blockSize);
    }

    /** ECMA-119 7.3.3: a 32-bit number stored little-endian, then big-endian; both must agree. */
    private static long bothEndian32(ByteBuffer buffer, int index, long offset, String what) {
        long little = Bounds.u32(buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN), index);
        long big = Bounds.u32(buffer.duplicate().order(ByteOrder.BIG_ENDIAN), index + 4);
        if (little != big) {
            throw new InspectionFailure(FindingCode.ISO_MALFORMED, offset + index,
                    "ISO 9660 " + what + " differs between its copies: " + little + " and " + big);
        }
        return little;
    }

    /** ECMA-119 7.2.3: a 16-bit number stored little-endian, then big-endian; both must agree. */
    private static int bothEndian16(ByteBuffer buffer, int index, long offset, String what) {
        int little = Bounds.u16(buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN), index);
        int big = Bounds.u16(buffer.duplicate().order(ByteOrder.BIG_ENDIAN), index + 2);
        if (little != big) {
            throw new InspectionFailure(FindingCode.ISO_MALFORMED, offset + index,
                    "ISO 9660 " + what + " differs between its copies: " + little + " and " + big);
        }
        return little;
    }

    private static boolean hasIdentifier(ByteBuffer descriptor, byte[] identifier) {
        for (int i = 0; i < identifier.length; i++) {
            if (descriptor.get(OFF_IDENTIFIER + i) != identifier[i]) {
                return false;
            }
        }
        return true;
    }
}
