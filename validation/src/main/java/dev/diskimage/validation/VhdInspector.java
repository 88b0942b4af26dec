package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Recognises Microsoft Virtual PC / VHD images (qemu's {@code vpc}) from their 512-byte
 * footer and, for dynamic and differencing disks, the dynamic disk header, the block
 * allocation table and every block it allocates.
 *
 * <p>qemu 7.2 reads a dynamic disk by the footer copy at offset 0; the specification (and
 * Hyper-V, Windows, VirtualBox) by the footer at the end of the file. When both copies exist they
 * must describe the same disk ({@link VhdFooter#disagreements}), and a differencing type in
 * either copy makes the disk differencing, so no reader can see another disk than the one this
 * inspector reports. Without a copy at offset 0 the footer at the end must describe a fixed disk,
 * as qemu requires. The virtual size is computed the way qemu computes it, from the CHS geometry
 * or from the current size depending on the creator application.
 *
 * <p>A cookie in the last 511 bytes (a footer cut short) or a file shorter than a footer that
 * starts with the cookie is a damaged VHD, never raw.
 */
final class VhdInspector implements FormatInspector {

    static final int FOOTER_SIZE = VhdFooter.SIZE;

    // VHD spec: disk types.
    static final int TYPE_FIXED = 2;
    static final int TYPE_DYNAMIC = 3;
    static final int TYPE_DIFFERENCING = 4;

    // VHD spec: the dynamic disk header is 1024 bytes and starts with "cxsparse".
    static final int DYNAMIC_HEADER_SIZE = 1024;
    private static final byte[] DYNAMIC_COOKIE = "cxsparse".getBytes(StandardCharsets.US_ASCII);
    private static final int DYN_TABLE_OFFSET = 16;
    private static final int DYN_MAX_TABLE_ENTRIES = 28;
    private static final int DYN_BLOCK_SIZE = 32;
    private static final int DYN_CHECKSUM = 36;
    private static final int DYN_PARENT_NAME = 64;
    private static final int DYN_PARENT_NAME_LENGTH = 512;
    private static final int DYN_LOCATORS = 576;
    private static final int LOCATOR_ENTRY_SIZE = 24;
    private static final int LOCATOR_COUNT = 8;

    // qemu block/vpc.c: images larger than 2040 GiB (0xff000000 sectors) are refused.
    static final long MAX_VIRTUAL_SIZE = 0xff000000L * Sectors.SIZE;
    // qemu block/vpc.c: CHS 65535/16/255 means "the geometry cannot express the size".
    private static final long MAX_GEOMETRY_SECTORS = 65535L * 16 * 255;
    // Sane block sizes: the spec's default is 2 MiB; qemu requires a power of two >= 512.
    private static final long MIN_BLOCK_SIZE = Sectors.SIZE;
    private static final long MAX_BLOCK_SIZE = 256L << 20;
    // BAT entry meaning "block not allocated" (VHD spec).
    private static final long BAT_UNALLOCATED = 0xFFFFFFFFL;
    // VHD spec: a BAT entry is a big-endian 32-bit sector number.
    private static final int BAT_ENTRY_SIZE = 4;
    // Parent locator data read at most this many bytes: a path, never the data it names.
    private static final int MAX_LOCATOR_BYTES = 2048;

    @Override
    public DiskFormat format() {
        return DiskFormat.VPC;
    }

    @Override
    public void inspect(ImageBytes image, InspectionBuilder result) {
        long size = image.size();
        boolean sizeKnown = size != ImageBytes.UNKNOWN_SIZE;
        ByteBuffer head = image.read(0, FOOTER_SIZE);
        if (VhdFooter.hasCookie(head, 0)) {
            result.magicFound();
            if (head.remaining() < FOOTER_SIZE) {
                throw new InspectionFailure(FindingCode.TRUNCATED, 0, "file of " + head.remaining()
                        + " bytes starts with the VHD cookie but is shorter than the " + FOOTER_SIZE + "-byte footer");
            }
            // While a stream is still passing its size is unknown; the run at its end checks the tail.
            VhdFooter end = sizeKnown ? endFooter(image, result) : null;
            inspectDynamic(image, VhdFooter.read(head, 0), end, sizeKnown, result);
        } else if (sizeKnown) {
            VhdFooter end = endFooter(image, result);
            if (end != null) {
                inspectFixed(end, result);
            }
        }
    }

    /**
     * The footer in the last 512 bytes, or null when there is none. A cookie that starts inside
     * the last 511 bytes is a footer cut short: magic found, rejected, never raw.
     */
    private static VhdFooter endFooter(ImageBytes image, InspectionBuilder result) {
        long size = image.size();
        int length = (int) Math.min(size, FOOTER_SIZE);
        long start = size - length;
        ByteBuffer tail = image.readExactly(start, length, "VHD footer");
        if (length == FOOTER_SIZE && VhdFooter.hasCookie(tail, 0)) {
            result.magicFound();
            return VhdFooter.read(tail, start);
        }
        // From index 1: index 0 is the whole footer (checked above) or, in a file shorter than a
        // footer, offset 0, whose cookie inspect() already handled. The bound only saves work:
        // Magic.at answers false for a cookie that would run past the bytes read.
        for (int i = 1; i + VhdFooter.COOKIE.length <= length; i++) {
            if (VhdFooter.hasCookie(tail, i)) {
                result.magicFound();
                throw new InspectionFailure(FindingCode.TRUNCATED, start + i,
                        "VHD footer cookie at offset " + (start + i) + " is cut short: the file ends "
                                + (length - i) + " bytes later, inside the " + FOOTER_SIZE + "-byte footer");
            }
        }
        return null;
    }

    /** A footer at the end only: qemu reads it as a fixed disk, whose data precedes it. */
    private static void inspectFixed(VhdFooter footer, InspectionBuilder result) {
        requireChecksum(footer, "footer");
        if (footer.diskType() != TYPE_FIXED) {
            // qemu refuses a dynamic footer that has no copy at offset 0 ("invalid VPC image").
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, footer.offset() + VhdFooter.OFF_DISK_TYPE,
                    "VHD footer at the end declares disk type " + footer.diskType()
                            + " but dynamic and differencing disks need their footer copy at offset 0");
        }
        long virtualSize = virtualSize(footer);
        if (virtualSize > footer.offset()) {
            throw new InspectionFailure(FindingCode.TRUNCATED, footer.offset(),
                    "fixed VHD of " + virtualSize + " bytes needs that much data before its footer, but only "
                            + footer.offset() + " bytes precede it");
        }
        result.variant("fixed").virtualSize(virtualSize).matched();
        result.detail("creator_app", footer.creatorApp());
    }

    /** A footer copy at offset 0: qemu reads the disk as dynamic (or differencing). */
    private static void inspectDynamic(ImageBytes image, VhdFooter footer, VhdFooter end, boolean sizeKnown,
            InspectionBuilder result) {
        requireChecksum(footer, "footer copy at offset 0");
        if (end != null) {
            // The specification's primary copy: damaged means two readers could disagree.
            requireChecksum(end, "footer at the end of the file");
        }
        if (footer.diskType() != TYPE_DYNAMIC && footer.diskType() != TYPE_DIFFERENCING) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, VhdFooter.OFF_DISK_TYPE,
                    "VHD footer copy at offset 0 declares disk type " + footer.diskType()
                            + "; only dynamic (3) and differencing (4) disks carry one");
        }
        boolean differencing = footer.diskType() == TYPE_DIFFERENCING
                || (end != null && end.diskType() == TYPE_DIFFERENCING);
        long virtualSize = virtualSize(footer);
        long dataOffset = footer.dataOffset();
        if (dataOffset < 0) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, VhdFooter.OFF_DATA_OFFSET,
                    "VHD dynamic header offset " + Long.toUnsignedString(dataOffset) + " is larger than any image");
        }
        ByteBuffer header = image.readExactly(dataOffset, DYNAMIC_HEADER_SIZE, "VHD dynamic disk header");
        if (!Magic.startsWith(header, DYNAMIC_COOKIE)) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, dataOffset,
                    "VHD dynamic disk header at offset " + dataOffset + " lacks its \"cxsparse\" cookie");
        }
        if (Checksums.onesComplementByteSum(header, header.limit(), DYN_CHECKSUM) != Bounds.u32(header, DYN_CHECKSUM)) {
            throw new InspectionFailure(FindingCode.VHD_BAD_CHECKSUM, dataOffset + DYN_CHECKSUM,
                    "VHD dynamic disk header checksum does not match its contents");
        }
        long blockSize = Bounds.requireRange(Bounds.u32(header, DYN_BLOCK_SIZE), MIN_BLOCK_SIZE, MAX_BLOCK_SIZE,
                dataOffset + DYN_BLOCK_SIZE, FindingCode.MALFORMED_HEADER, "VHD block size");
        if (Long.bitCount(blockSize) != 1) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, dataOffset + DYN_BLOCK_SIZE,
                    "VHD block size " + blockSize + " is not a power of two");
        }
        long entries = Bounds.u32(header, DYN_MAX_TABLE_ENTRIES);
        checkTableEntries(entries, blockSize, virtualSize, dataOffset);
        long tableOffset = Bounds.u64(header, DYN_TABLE_OFFSET, dataOffset, FindingCode.VHD_TABLE_OUT_OF_BOUNDS,
                "VHD block allocation table offset");
        checkTablePlacement(tableOffset, entries * BAT_ENTRY_SIZE, image.size());
        checkAllocatedBlocks(image, tableOffset, entries, blockSize);

        result.variant(differencing ? "differencing" : "dynamic").virtualSize(virtualSize);
        result.detail("block_size", blockSize).detail("creator_app", footer.creatorApp());
        if (differencing) {
            reportParent(image, header, dataOffset, result);
        }
        result.matched();
        if (sizeKnown) {
            compareEndFooter(footer, end, image.size(), result);
        }
    }

    /**
     * Both copies must describe the same disk, or qemu (offset 0) and a reader that follows the
     * specification (the end) would see different disks. A missing end copy is tolerated, as
     * qemu does: a crash while qemu allocates a block leaves one, and no reader can find another
     * footer there; a present but damaged one was refused before.
     */
    private static void compareEndFooter(VhdFooter footer, VhdFooter end, long size, InspectionBuilder result) {
        long offset = size - FOOTER_SIZE;
        if (end == null) {
            result.warn(FindingCode.MALFORMED_HEADER, offset,
                    "VHD footer at the end of the file is missing; the copy at offset 0 is used");
            return;
        }
        List<String> differences = footer.disagreements(end);
        if (!differences.isEmpty()) {
            result.reject(FindingCode.VHD_FOOTER_MISMATCH, offset,
                    "VHD footer copies at offset 0 and at the end describe different disks: "
                            + String.join(", ", differences));
        } else if (footer.storedChecksum() != end.storedChecksum()) {
            result.warn(FindingCode.MALFORMED_HEADER, offset,
                    "VHD footer at the end of the file differs from the copy at offset 0 in fields that do not"
                            + " change the disk");
        }
    }

    /** qemu: the table must cover the virtual size and stay within the 2040 GiB limit. */
    private static void checkTableEntries(long entries, long blockSize, long virtualSize, long dataOffset) {
        long needed = (virtualSize + blockSize - 1) / blockSize;
        if (entries < needed) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, dataOffset + DYN_MAX_TABLE_ENTRIES,
                    "VHD block allocation table has " + entries + " entries but the virtual size of " + virtualSize
                            + " bytes needs " + needed);
        }
        long maximum = MAX_VIRTUAL_SIZE / blockSize;
        if (entries > maximum) {
            throw new InspectionFailure(FindingCode.VHD_TABLE_OUT_OF_BOUNDS, dataOffset + DYN_MAX_TABLE_ENTRIES,
                    "VHD block allocation table declares " + entries + " entries, more than the " + maximum
                            + " a 2040 GiB disk can use");
        }
    }

    /**
     * qemu block/vpc.c reads the whole table and refuses the image when the table, rounded up to
     * a sector, ends after the end of the file.
     */
    private static void checkTablePlacement(long tableOffset, long tableBytes, long size) {
        Bounds.requireWithin(tableOffset, tableBytes, size, FindingCode.VHD_TABLE_OUT_OF_BOUNDS,
                "VHD block allocation table");
        long end = tableOffset + tableBytes;
        long roundedEnd = Sectors.roundUp(end);
        if (roundedEnd > size) {
            throw new InspectionFailure(FindingCode.VHD_TABLE_OUT_OF_BOUNDS, tableOffset,
                    "VHD block allocation table ends at " + end + ", and its last sector at " + roundedEnd
                            + " lies beyond the image of " + size + " bytes");
        }
    }

    /**
     * Every allocated block, bitmap and data, must lie inside the file. qemu block/vpc.c checks
     * every one of the {@code max_table_entries} entries, also those beyond the virtual size, and
     * refuses the image otherwise; so does this. The table is read in 64 KiB chunks, each paid
     * from the read budget, so a table larger than the budget (a dynamic VHD above about 500 GiB
     * with 2 MiB blocks under the default 1 MiB) is refused rather than half checked.
     */
    private static void checkAllocatedBlocks(ImageBytes image, long tableOffset, long entries, long blockSize) {
        // VHD spec: each block is preceded by a sector bitmap padded to a sector boundary.
        long bitmapBytes = Sectors.roundUp(blockSize / Sectors.SIZE / 8);
        AllocationTable.forEachEntry(image, tableOffset, entries, ByteOrder.BIG_ENDIAN, "VHD block allocation table",
                "dynamic VHDs this large (above about 500 GiB with 2 MiB blocks under the default 1 MiB)",
                (index, entry, at) -> {
                    if (entry != BAT_UNALLOCATED) {
                        Bounds.requireWithin(entry * Sectors.SIZE, bitmapBytes + blockSize, image.size(),
                                FindingCode.VHD_TABLE_OUT_OF_BOUNDS, "VHD data block " + index);
                    }
                });
    }

    /** A differencing disk: report its parent by name, with the locators' paths as details. */
    private static void reportParent(ImageBytes image, ByteBuffer header, long dataOffset,
            InspectionBuilder result) {
        String name = utf16(header, DYN_PARENT_NAME, DYN_PARENT_NAME_LENGTH, false);
        String firstLocator = null;
        for (int i = 0; i < LOCATOR_COUNT; i++) {
            int entry = DYN_LOCATORS + i * LOCATOR_ENTRY_SIZE;
            long code = Bounds.u32(header, entry);
            if (code == 0) {
                continue;
            }
            long length = Bounds.u32(header, entry + 8);
            long offset = Bounds.u64(header, entry + 16, dataOffset, FindingCode.MALFORMED_HEADER,
                    "VHD parent locator offset");
            Bounds.requireWithin(offset, length, image.size(), FindingCode.MALFORMED_HEADER,
                    "VHD parent locator " + i);
            int readLength = (int) Math.min(length, MAX_LOCATOR_BYTES);
            ByteBuffer data = image.readExactly(offset, readLength, "VHD parent locator " + i);
            String path = decodeLocator(code, data, readLength);
            result.detail("parent_locator." + i, platformCode(code) + ":" + path);
            if (firstLocator == null && !path.isEmpty()) {
                firstLocator = path;
            }
        }
        String target = !name.isEmpty() ? name : firstLocator != null ? firstLocator : "(unnamed parent)";
        result.reference(ExternalReference.Kind.BACKING, FindingCode.VHD_DIFFERENCING, target,
                dataOffset + DYN_PARENT_NAME);
    }

    /** VHD spec: W2ru/W2ku hold UTF-16LE paths, Mac/MacX UTF-8 URLs; others are shown as text. */
    private static String decodeLocator(long code, ByteBuffer data, int length) {
        String platform = platformCode(code);
        if (platform.startsWith("Mac")) {
            byte[] bytes = new byte[length];
            data.get(0, bytes);
            return trimNul(new String(bytes, StandardCharsets.UTF_8));
        }
        return utf16(data, 0, length, true);
    }

    /**
     * The size qemu exposes: Virtual PC and qemu's default creator use the CHS geometry, other
     * creators (Hyper-V, qemu with force_size, disk2vhd, XenServer) the current size; a
     * maximal geometry means the geometry cannot express the size, so current size wins.
     */
    private static long virtualSize(VhdFooter footer) {
        long chsSectors = footer.geometrySectors();
        long currentSize = footer.currentSize();
        long sizeOffset = footer.offset() + VhdFooter.OFF_CURRENT_SIZE;
        if (currentSize < 0) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, sizeOffset,
                    "VHD current size " + Long.toUnsignedString(currentSize) + " is larger than any real image");
        }
        long virtualSize = usesCurrentSize(footer.creatorApp()) || chsSectors == MAX_GEOMETRY_SECTORS
                ? currentSize : chsSectors * Sectors.SIZE;
        if (virtualSize > MAX_VIRTUAL_SIZE) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, sizeOffset,
                    "VHD virtual size " + virtualSize + " exceeds the format's limit of 2040 GiB");
        }
        return virtualSize;
    }

    // qemu block/vpc.c: creator applications whose images are sized by current_size, not CHS.
    private static boolean usesCurrentSize(String creatorApp) {
        return creatorApp.equals("win ") || creatorApp.equals("qem2") || creatorApp.equals("d2v ")
                || creatorApp.equals("CTXS") || creatorApp.equals("tap\0");
    }

    /** The platform code of a parent locator as its four characters, sanitized where reported. */
    private static String platformCode(long code) {
        byte[] bytes = ByteBuffer.allocate(4).putInt((int) code).array();
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static void requireChecksum(VhdFooter footer, String what) {
        if (!footer.checksumValid()) {
            throw new InspectionFailure(FindingCode.VHD_BAD_CHECKSUM, footer.offset() + VhdFooter.OFF_CHECKSUM,
                    "VHD " + what + " checksum does not match its contents");
        }
    }

    private static String utf16(ByteBuffer buffer, int offset, int length, boolean littleEndian) {
        byte[] bytes = new byte[length & ~1];
        buffer.get(offset, bytes);
        return trimNul(new String(bytes, littleEndian ? StandardCharsets.UTF_16LE : StandardCharsets.UTF_16BE));
    }

    /**
     * Drops the NUL padding at the end of a fixed-size field. A NUL inside the text stays, so the
     * sanitizer shows it ({@code \x00}) together with what a C reader would not see after it.
     */
    private static String trimNul(String text) {
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '\0') {
            end--;
        }
        return text.substring(0, end);
    }
}
