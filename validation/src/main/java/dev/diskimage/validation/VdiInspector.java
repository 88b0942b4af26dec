package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Recognises VirtualBox VDI images (header version 1.1): a 64-byte text pre-header, the
 * signature {@code 0xbeda107f} at offset 0x40, then the header with the block map and data
 * offsets, the disk and block sizes and four UUIDs. Reports differencing images (type 4, or a
 * non-zero link or parent UUID) as a backing reference, since their data depends on another
 * image.
 *
 * <p>Stateless and thread-safe. Reads only the first sector.
 */
final class VdiInspector implements FormatInspector {

    /** VirtualBox VDICore.h: signature at 0x40, little-endian. */
    static final int SIGNATURE = 0xbeda107f;
    /** VirtualBox VDICore.h: header version 1.1 (major in the high half). */
    static final long VERSION_1_1 = 0x00010001L;
    /** The pre-header plus the version 1.1 header fit in the first sector. */
    static final int HEADER_BYTES = Sectors.SIZE;
    /** qemu block/vdi.c: VDI_BLOCKS_IN_IMAGE_MAX. */
    static final long MAX_BLOCKS = 0x3fffffffL;
    /** Smallest sane block size (one sector); VirtualBox and qemu use 1 MiB. */
    static final long MIN_BLOCK_SIZE = Sectors.SIZE;
    /** Largest sane block size; anything above is absurd for a VDI. */
    static final long MAX_BLOCK_SIZE = 64L * 1024 * 1024;
    /** qemu block/vdi.c: the largest disk it supports, VDI_BLOCKS_IN_IMAGE_MAX blocks of 1 MiB. */
    static final long MAX_DISK_SIZE = MAX_BLOCKS * 1024 * 1024;

    /** VirtualBox VDIImageType: normal (dynamically allocated) image. */
    static final long TYPE_NORMAL = 1;
    /** VirtualBox VDIImageType: fixed (preallocated) image. */
    static final long TYPE_FIXED = 2;
    /** VirtualBox VDIImageType: undo image, a difference against its parent. */
    static final long TYPE_UNDO = 3;
    /** VirtualBox VDIImageType: differencing image, a difference against its parent. */
    static final long TYPE_DIFF = 4;

    // Field offsets (VirtualBox VDIPREHEADER + VDIHEADER1PLUS; qemu VdiHeader).
    private static final int PRE_HEADER_TEXT = 0x40;
    static final int SIGNATURE_OFFSET = 0x40;
    static final int VERSION = 0x44;
    static final int HEADER_SIZE = 0x48;
    static final int IMAGE_TYPE = 0x4c;
    private static final int IMAGE_FLAGS = 0x50;
    static final int OFFSET_BLOCK_MAP = 0x154;
    static final int OFFSET_DATA = 0x158;
    static final int SECTOR_SIZE = 0x168;
    static final int DISK_SIZE = 0x170;
    static final int BLOCK_SIZE = 0x178;
    static final int BLOCK_EXTRA = 0x17c;
    static final int BLOCKS_IN_IMAGE = 0x180;
    static final int BLOCKS_ALLOCATED = 0x184;
    private static final int UUID_IMAGE = 0x188;
    static final int UUID_LINK = 0x1a8;
    static final int UUID_PARENT = 0x1b8;
    /** Header sizes: qemu writes 0x180, VirtualBox 0x190; the fields must fit the first sector. */
    private static final long MIN_HEADER_SIZE = 0x180;
    private static final long MAX_HEADER_SIZE = HEADER_BYTES - HEADER_SIZE;
    /** Pre-header text as both VirtualBox and qemu write it: "<<< ... Disk Image >>>". */
    private static final String PRE_HEADER_START = "<<< ";
    private static final String PRE_HEADER_END = "Disk Image >>>";

    @Override
    public DiskFormat format() {
        return DiskFormat.VDI;
    }

    @Override
    public void inspect(ImageBytes image, InspectionBuilder result) {
        ByteBuffer head = image.read(0, SIGNATURE_OFFSET + 4).order(ByteOrder.LITTLE_ENDIAN);
        if (head.remaining() < SIGNATURE_OFFSET + 4) {
            // A file that ends inside the pre-header text is a VDI cut short, not raw.
            if (hasPreHeaderText(head)) {
                result.magicFound();
                throw new InspectionFailure(FindingCode.TRUNCATED, 0, "VDI pre-header text is present but the image"
                        + " ends after " + head.remaining() + " bytes, before the signature");
            }
            return;
        }
        if (head.getInt(SIGNATURE_OFFSET) != SIGNATURE) {
            if (hasPreHeaderText(head)) {
                result.magicFound();
                throw new InspectionFailure(FindingCode.MALFORMED_HEADER, SIGNATURE_OFFSET,
                        "VDI pre-header text is present but the signature is 0x"
                                + Integer.toHexString(head.getInt(SIGNATURE_OFFSET)));
            }
            return;
        }
        result.magicFound();
        ByteBuffer h = image.readExactly(0, HEADER_BYTES, "VDI header").order(ByteOrder.LITTLE_ENDIAN);
        long size = image.size();
        FindingCode bad = FindingCode.MALFORMED_HEADER;

        long version = Bounds.u32(h, VERSION);
        if (version != VERSION_1_1) {
            throw new InspectionFailure(bad, VERSION, "VDI version " + (version >>> 16) + "." + (version & 0xffff)
                    + " is not supported (only 1.1)");
        }
        Bounds.requireRange(Bounds.u32(h, HEADER_SIZE), MIN_HEADER_SIZE, MAX_HEADER_SIZE, HEADER_SIZE, bad,
                "VDI header size");
        long type = Bounds.requireRange(Bounds.u32(h, IMAGE_TYPE), TYPE_NORMAL, TYPE_DIFF, IMAGE_TYPE, bad,
                "VDI image type");
        Bounds.requireRange(Bounds.u32(h, SECTOR_SIZE), Sectors.SIZE, Sectors.SIZE, SECTOR_SIZE, bad, "VDI sector size");

        long blockMap = Bounds.u32(h, OFFSET_BLOCK_MAP);
        long data = Bounds.u32(h, OFFSET_DATA);
        requireSectorAligned(blockMap, OFFSET_BLOCK_MAP, "block map offset");
        requireSectorAligned(data, OFFSET_DATA, "data offset");
        Bounds.requireRange(blockMap, HEADER_BYTES, Long.MAX_VALUE, OFFSET_BLOCK_MAP, bad,
                "block map offset (must follow the header)");

        long blockSize = Bounds.requireRange(Bounds.u32(h, BLOCK_SIZE), MIN_BLOCK_SIZE, MAX_BLOCK_SIZE, BLOCK_SIZE,
                bad, "VDI block size");
        if (Long.bitCount(blockSize) != 1) {
            throw new InspectionFailure(bad, BLOCK_SIZE, "VDI block size " + blockSize + " is not a power of two");
        }
        // qemu ignores per-block extra data when computing offsets; VirtualBox never writes any.
        Bounds.requireRange(Bounds.u32(h, BLOCK_EXTRA), 0, 0, BLOCK_EXTRA, bad, "VDI block extra data size");
        long blocks = Bounds.requireRange(Bounds.u32(h, BLOCKS_IN_IMAGE), 0, MAX_BLOCKS, BLOCKS_IN_IMAGE, bad,
                "VDI blocks in image");
        long allocated = Bounds.requireRange(Bounds.u32(h, BLOCKS_ALLOCATED), 0, blocks, BLOCKS_ALLOCATED, bad,
                "VDI allocated blocks");
        long diskSize = Bounds.u64(h, DISK_SIZE, 0, bad, "VDI disk size");
        Bounds.requireRange(diskSize, 0, MAX_DISK_SIZE, DISK_SIZE, bad, "VDI disk size");
        long room = Bounds.multiply(blocks, blockSize, BLOCKS_IN_IMAGE, bad, "VDI block count times block size");
        if (diskSize > room) {
            throw new InspectionFailure(bad, DISK_SIZE, "VDI disk size " + diskSize + " exceeds the " + blocks
                    + " blocks of " + blockSize + " bytes the block map has room for");
        }

        long mapBytes = blocks * 4;
        Bounds.requireWithin(blockMap, mapBytes, size, FindingCode.TRUNCATED, "VDI block map");
        if (data < blockMap + mapBytes) {
            throw new InspectionFailure(bad, OFFSET_DATA, "VDI data offset " + data
                    + " overlaps the block map ending at " + (blockMap + mapBytes));
        }
        long dataBytes = Bounds.multiply(allocated, blockSize, BLOCKS_ALLOCATED, bad, "VDI allocated data");
        Bounds.requireWithin(data, dataBytes, size, FindingCode.TRUNCATED, "VDI allocated blocks");

        String link = uuid(h, UUID_LINK);
        String parent = uuid(h, UUID_PARENT);
        result.variant(variant(type)).detail("block_size", blockSize).detail("blocks", blocks)
                .detail("allocated_blocks", allocated).detail("flags", Bounds.u32(h, IMAGE_FLAGS))
                .detail("uuid", uuid(h, UUID_IMAGE));
        boolean hasLink = !Guids.isNil(h, UUID_LINK);
        boolean hasParent = !Guids.isNil(h, UUID_PARENT);
        if (type == TYPE_DIFF || type == TYPE_UNDO || hasLink || hasParent) {
            // The link UUID is the parent image's own UUID; the parent UUID is its modification id.
            String target = hasLink ? link : hasParent ? parent : "unknown parent";
            result.detail("link_uuid", link).detail("parent_uuid", parent)
                    .reference(ExternalReference.Kind.BACKING, FindingCode.VDI_DIFFERENCING, target,
                            hasLink ? UUID_LINK : UUID_PARENT);
        }
        // qemu block/vdi.c rounds a disk size that is not a multiple of 512 up to the next sector.
        long virtualSize = Sectors.roundUp(diskSize);
        result.virtualSize(virtualSize).matched();
    }

    private static String variant(long type) {
        if (type == TYPE_NORMAL) {
            return "dynamic";
        } else if (type == TYPE_FIXED) {
            return "fixed";
        } else if (type == TYPE_UNDO) {
            return "undo";
        }
        return "differencing";
    }

    private static void requireSectorAligned(long offset, int field, String what) {
        if (offset % Sectors.SIZE != 0) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, field,
                    "VDI " + what + " " + offset + " is not sector-aligned");
        }
    }

    private static boolean hasPreHeaderText(ByteBuffer head) {
        byte[] text = new byte[Math.min(PRE_HEADER_TEXT, head.remaining())];
        head.duplicate().position(0).get(text);
        String s = new String(text, StandardCharsets.ISO_8859_1);
        return s.startsWith(PRE_HEADER_START) && s.contains(PRE_HEADER_END);
    }

    /** A UUID stored the VirtualBox (GUID) way, as text. */
    private static String uuid(ByteBuffer h, int offset) {
        return Guids.mixedEndian(h, offset).toString();
    }
}
