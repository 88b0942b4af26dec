package dev.diskimage.validation;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A UDF (ECMA-167) volume as recognised from its two entry points: the Volume Recognition
 * Sequence (an extended area {@code BEA01} ... {@code NSR02}/{@code NSR03} ... {@code TEA01} of
 * volume structure descriptors, one per sector from 32 KiB, after any ISO 9660 descriptors) and
 * the Anchor Volume Descriptor Pointer at logical sector 256. A UDF-only disc has no ISO 9660
 * primary descriptor, so without this it would pass for raw.
 *
 * <p>Descriptors occupy one 2048-byte sector each, or one block when blocks are larger (4096);
 * the anchor sits at block 256 whatever the block size (512, 1024, 2048 or 4096), so each is
 * tried. Only the anchor at block 256 is looked for, not the copies at N-256 and N-1 that the
 * specification also allows; disc images made by real tools always carry it.
 *
 * @param nsrVersion   2 for {@code NSR02} (UDF up to 1.50), 3 for {@code NSR03}
 * @param blockSize    the logical block size the anchor was found with
 * @param anchorOffset where the anchor volume descriptor pointer lies
 */
record UdfVolume(int nsrVersion, int blockSize, long anchorOffset) {

    // ECMA-167 2/9.1: a volume structure descriptor is type (1), identifier (5), version (1).
    static final int VSD_SIZE = 2048;
    private static final int VSD_IDENTIFIER = 1;
    private static final int IDENTIFIER_LENGTH = 5;
    static final String BEA01 = "BEA01";
    static final String TEA01 = "TEA01";
    static final String NSR02 = "NSR02";
    static final String NSR03 = "NSR03";
    // ECMA-167 2/9.1, 3/9.1: other descriptors that may appear inside the recognition sequence.
    private static final String BOOT2 = "BOOT2";
    private static final String CD001 = "CD001";
    private static final String CDW02 = "CDW02";
    // Walking further than this means the sequence has no terminator a reader would reach sanely.
    static final int MAX_DESCRIPTORS = 64;

    // ECMA-167 3/8.4.2.1 / 3/10.2: the anchor volume descriptor pointer is at logical sector 256.
    static final int ANCHOR_BLOCK = 256;
    static final int ANCHOR_SIZE = 512;
    // ECMA-167 3/7.2: descriptor tag fields.
    static final int TAG_IDENTIFIER = 0;
    static final int TAG_CHECKSUM = 4;
    static final int TAG_CRC = 8;
    static final int TAG_CRC_LENGTH = 10;
    static final int TAG_LOCATION = 12;
    static final int TAG_SIZE = 16;
    // ECMA-167 3/7.2.1: tag identifier 2 is the anchor volume descriptor pointer.
    static final int TAG_ANCHOR = 2;
    // ECMA-167 3/10.2: main and reserve volume descriptor sequence extents (length, location).
    private static final int MAIN_VDS_EXTENT = 16;
    private static final int RESERVE_VDS_EXTENT = 24;
    // Block sizes tried for the anchor, in file order so that a stream can still capture each;
    // 4096 also widens the descriptor stride.
    private static final int[] BLOCK_SIZES = {512, 1024, 2048};
    private static final int LARGE_BLOCK_SIZE = 4096;

    /**
     * Recognises UDF from the volume structure descriptor at {@code start}.
     *
     * @param required whether the caller already saw UDF's magic ({@code BEA01} at 32 KiB of a
     *                 disc without ISO 9660): then a missing NSR descriptor is a failure rather
     *                 than "no UDF here"
     * @return the volume, or null when there is no extended area with an NSR descriptor
     * @throws InspectionFailure with {@link FindingCode#UDF_MALFORMED} when an NSR descriptor
     *         promises UDF but the sequence or the anchor is broken
     */
    static UdfVolume find(ImageBytes image, long start, boolean required, InspectionBuilder result) {
        ByteBuffer first = image.read(start, VSD_IDENTIFIER + IDENTIFIER_LENGTH);
        if (first.remaining() < VSD_IDENTIFIER + IDENTIFIER_LENGTH || !BEA01.equals(identifier(first))) {
            return null;
        }
        int stride = VSD_SIZE;
        int nsr;
        try {
            nsr = extendedArea(image, start, VSD_SIZE);
        } catch (InspectionFailure failure) {
            if (failure.code() != FindingCode.UDF_MALFORMED) {
                throw failure;
            }
            // ECMA-167 2/8.4: with 4 KiB sectors each descriptor fills a 4 KiB sector.
            try {
                nsr = extendedArea(image, start, LARGE_BLOCK_SIZE);
                stride = LARGE_BLOCK_SIZE;
            } catch (InspectionFailure second) {
                if (second.code() == FindingCode.UDF_MALFORMED || second.code() == FindingCode.TRUNCATED) {
                    throw failure;
                }
                throw second;
            }
        }
        if (nsr == 0) {
            if (required) {
                throw new InspectionFailure(FindingCode.UDF_MALFORMED, start,
                        "UDF extended area at offset " + start + " holds no NSR02 or NSR03 descriptor");
            }
            return null;
        }
        return anchored(image, nsr, stride == VSD_SIZE ? BLOCK_SIZES : new int[] {LARGE_BLOCK_SIZE}, result);
    }

    /**
     * Walks the extended area that starts with {@code BEA01} at {@code start}: returns the NSR
     * version found before {@code TEA01}, or 0 when there is none.
     */
    private static int extendedArea(ImageBytes image, long start, int stride) {
        int nsr = 0;
        for (int i = 1; i < MAX_DESCRIPTORS; i++) {
            long offset = start + (long) i * stride;
            String id = identifier(image.readExactly(offset, VSD_IDENTIFIER + IDENTIFIER_LENGTH,
                    "UDF volume structure descriptor"));
            if (TEA01.equals(id)) {
                return nsr;
            }
            if (NSR02.equals(id) || NSR03.equals(id)) {
                if (nsr != 0) {
                    throw new InspectionFailure(FindingCode.UDF_MALFORMED, offset,
                            "UDF extended area holds a second NSR descriptor at offset " + offset);
                }
                nsr = id.charAt(4) - '0';
            } else if (!BOOT2.equals(id) && !CD001.equals(id) && !CDW02.equals(id)) {
                throw new InspectionFailure(FindingCode.UDF_MALFORMED, offset,
                        "UDF extended area from offset " + start + " is not terminated by TEA01: sector at offset "
                                + offset + " holds no volume structure descriptor");
            }
        }
        throw new InspectionFailure(FindingCode.UDF_MALFORMED, start,
                "UDF extended area has no TEA01 terminator within " + MAX_DESCRIPTORS + " descriptors");
    }

    private static UdfVolume anchored(ImageBytes image, int nsr, int[] blockSizes, InspectionBuilder result) {
        for (int blockSize : blockSizes) {
            long offset = (long) ANCHOR_BLOCK * blockSize;
            ByteBuffer anchor = image.read(offset, ANCHOR_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            if (anchor.remaining() == ANCHOR_SIZE && isAnchor(anchor)) {
                checkExtents(anchor, offset, blockSize, image.size(), result);
                return new UdfVolume(nsr, blockSize, offset);
            }
        }
        throw new InspectionFailure(FindingCode.UDF_MALFORMED, (long) ANCHOR_BLOCK * blockSizes[blockSizes.length - 1],
                "UDF volume recognition sequence names NSR0" + nsr + " but there is no valid anchor volume"
                        + " descriptor pointer (tag 2 with valid checksum, CRC and location) at sector "
                        + ANCHOR_BLOCK);
    }

    /** ECMA-167 3/7.2: tag identifier, tag checksum, descriptor CRC, and the tag's own location. */
    static boolean isAnchor(ByteBuffer descriptor) {
        if (Bounds.u16(descriptor, TAG_IDENTIFIER) != TAG_ANCHOR
                || Bounds.u8(descriptor, TAG_CHECKSUM) != tagChecksum(descriptor)
                || Bounds.u32(descriptor, TAG_LOCATION) != ANCHOR_BLOCK) {
            return false;
        }
        int crcLength = Bounds.u16(descriptor, TAG_CRC_LENGTH);
        return crcLength <= ANCHOR_SIZE - TAG_SIZE
                && Checksums.crc16Itu(descriptor, TAG_SIZE, crcLength) == Bounds.u16(descriptor, TAG_CRC);
    }

    /** The volume descriptor sequences the anchor points to should lie inside the file. */
    private static void checkExtents(ByteBuffer anchor, long offset, int blockSize, long size,
            InspectionBuilder result) {
        for (int extent : new int[] {MAIN_VDS_EXTENT, RESERVE_VDS_EXTENT}) {
            long length = Bounds.u32(anchor, extent);
            long start = Bounds.u32(anchor, extent + 4) * blockSize;
            if (start > size || length > size - start) {
                result.warn(FindingCode.TRUNCATED, offset + extent,
                        "UDF volume descriptor sequence at offset " + start + " with length " + length
                                + " lies beyond the file of " + size + " bytes");
            }
        }
    }

    /** ECMA-167 3/7.2.3: sum modulo 256 of the tag's bytes 0-3 and 5-15. */
    static int tagChecksum(ByteBuffer descriptor) {
        int sum = 0;
        for (int i = 0; i < TAG_SIZE; i++) {
            if (i != TAG_CHECKSUM) {
                sum += Bounds.u8(descriptor, i);
            }
        }
        return sum & 0xFF;
    }

    /** The standard identifier of a volume structure descriptor. */
    private static String identifier(ByteBuffer descriptor) {
        byte[] id = new byte[IDENTIFIER_LENGTH];
        descriptor.get(VSD_IDENTIFIER, id);
        return new String(id, StandardCharsets.ISO_8859_1);
    }
}
