package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.FindingCode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Recognises Microsoft Virtual PC / VHD images (qemu's {@code vpc}) from their 512-byte
 * footer and, for dynamic and differencing disks, the dynamic disk header and the block
 * allocation table bounds.
 *
 * <p>It follows how qemu 7.2 opens the format, so that what it accepts is what qemu reads the
 * same way: a footer copy at offset 0 marks a dynamic disk and wins over the footer at the end
 * (which is then only cross-checked); without it the footer at the end must describe a fixed
 * disk. The virtual size is computed the way qemu computes it, from the CHS geometry or from
 * the current size depending on the creator application.
 */
final class VhdInspector implements FormatInspector {

    // VHD spec: the hard disk footer is 512 bytes, big-endian, and starts with "conectix".
    static final int FOOTER_SIZE = 512;
    private static final byte[] COOKIE = "conectix".getBytes(StandardCharsets.US_ASCII);
    private static final int OFF_DATA_OFFSET = 16;
    private static final int OFF_CREATOR_APP = 28;
    private static final int OFF_CURRENT_SIZE = 48;
    private static final int OFF_CYLINDERS = 56;
    private static final int OFF_HEADS = 58;
    private static final int OFF_SECTORS = 59;
    private static final int OFF_DISK_TYPE = 60;
    private static final int OFF_CHECKSUM = 64;

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

    private static final int SECTOR = 512;
    // qemu block/vpc.c: images larger than 2040 GiB (0xff000000 sectors) are refused.
    static final long MAX_VIRTUAL_SIZE = 0xff000000L * SECTOR;
    // qemu block/vpc.c: CHS 65535/16/255 means "the geometry cannot express the size".
    private static final long MAX_GEOMETRY_SECTORS = 65535L * 16 * 255;
    // Sane block sizes: the spec's default is 2 MiB; qemu requires a power of two >= 512.
    private static final long MIN_BLOCK_SIZE = SECTOR;
    private static final long MAX_BLOCK_SIZE = 256L << 20;
    // BAT entry meaning "block not allocated" (VHD spec).
    private static final long BAT_UNALLOCATED = 0xFFFFFFFFL;
    // BATs up to this size are read and their entries checked; larger ones only bounds-checked.
    private static final int MAX_BAT_BYTES_CHECKED = 64 * 1024;
    // Parent locator data read at most this many bytes: a path, never the data it names.
    private static final int MAX_LOCATOR_BYTES = 2048;

    @Override
    public DiskFormat format() {
        return DiskFormat.VPC;
    }

    @Override
    public void inspect(ImageBytes image, InspectionBuilder result) {
        long size = image.size();
        if (size < FOOTER_SIZE) {
            return;
        }
        ByteBuffer head = image.read(0, FOOTER_SIZE);
        if (hasCookie(head, COOKIE)) {
            result.magicFound();
            inspectDynamic(image, head, result);
        } else {
            ByteBuffer tail = image.read(size - FOOTER_SIZE, FOOTER_SIZE);
            if (tail.remaining() < FOOTER_SIZE || !hasCookie(tail, COOKIE)) {
                return;
            }
            result.magicFound();
            inspectFixed(image, tail, size - FOOTER_SIZE, result);
        }
    }

    /** A footer at the end only: qemu reads it as a fixed disk, whose data precedes it. */
    private void inspectFixed(ImageBytes image, ByteBuffer footer, long footerOffset, InspectionBuilder result) {
        requireChecksum(footer, footerOffset, "footer");
        long type = Bounds.u32(footer, OFF_DISK_TYPE);
        if (type != TYPE_FIXED) {
            // qemu refuses a dynamic footer that has no copy at offset 0 ("invalid VPC image").
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, footerOffset + OFF_DISK_TYPE,
                    "VHD footer at the end declares disk type " + type
                            + " but a dynamic disk needs its footer copy at offset 0");
        }
        long virtualSize = virtualSize(footer, footerOffset);
        if (virtualSize > footerOffset) {
            throw new InspectionFailure(FindingCode.TRUNCATED, footerOffset,
                    "fixed VHD of " + virtualSize + " bytes needs that much data before its footer, but only "
                            + footerOffset + " bytes precede it");
        }
        result.variant("fixed").virtualSize(virtualSize).matched();
        result.detail("creator_app", creatorApp(footer));
    }

    /** A footer copy at offset 0: qemu reads the disk as dynamic (or differencing). */
    private void inspectDynamic(ImageBytes image, ByteBuffer footer, InspectionBuilder result) {
        requireChecksum(footer, 0, "footer copy");
        long type = Bounds.u32(footer, OFF_DISK_TYPE);
        if (type != TYPE_DYNAMIC && type != TYPE_DIFFERENCING) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, OFF_DISK_TYPE,
                    "VHD footer copy at offset 0 declares disk type " + type
                            + "; only dynamic (3) and differencing (4) disks carry one");
        }
        long virtualSize = virtualSize(footer, 0);
        long dataOffset = Bounds.u64(footer, OFF_DATA_OFFSET, 0, FindingCode.MALFORMED_HEADER,
                "VHD dynamic header offset");
        ByteBuffer header = image.readExactly(dataOffset, DYNAMIC_HEADER_SIZE, "VHD dynamic disk header");
        if (!hasCookie(header, DYNAMIC_COOKIE)) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, dataOffset,
                    "VHD dynamic disk header at offset " + dataOffset + " lacks its \"cxsparse\" cookie");
        }
        if (checksum(header, DYN_CHECKSUM) != Bounds.u32(header, DYN_CHECKSUM)) {
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
        long tableBytes = entries * 4;
        Bounds.requireWithin(tableOffset, tableBytes, image.size(), FindingCode.VHD_TABLE_OUT_OF_BOUNDS,
                "VHD block allocation table");
        checkAllocatedBlocks(image, tableOffset, tableBytes, blockSize);

        result.variant(type == TYPE_DIFFERENCING ? "differencing" : "dynamic").virtualSize(virtualSize);
        result.detail("block_size", blockSize).detail("creator_app", creatorApp(footer));
        if (type == TYPE_DIFFERENCING) {
            reportParent(image, header, dataOffset, result);
        }
        result.matched();
        checkTrailingFooter(image, footer, result);
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

    /** Small tables are read whole: every allocated block must lie inside the file (qemu checks too). */
    private static void checkAllocatedBlocks(ImageBytes image, long tableOffset, long tableBytes, long blockSize) {
        if (tableBytes > MAX_BAT_BYTES_CHECKED) {
            return;
        }
        ByteBuffer table = image.readExactly(tableOffset, (int) tableBytes, "VHD block allocation table");
        // VHD spec: each block is preceded by a sector bitmap padded to a sector boundary.
        long bitmapBytes = ((blockSize / SECTOR / 8) + SECTOR - 1) / SECTOR * SECTOR;
        for (int index = 0; index < tableBytes; index += 4) {
            long entry = Bounds.u32(table, index);
            if (entry == BAT_UNALLOCATED) {
                continue;
            }
            long blockOffset = entry * SECTOR;
            Bounds.requireWithin(blockOffset, bitmapBytes + blockSize, image.size(),
                    FindingCode.VHD_TABLE_OUT_OF_BOUNDS, "VHD data block " + index / 4);
        }
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

    /** qemu reads the disk by the footer at offset 0; a missing or different end copy is only noted. */
    private static void checkTrailingFooter(ImageBytes image, ByteBuffer head, InspectionBuilder result) {
        long offset = image.size() - FOOTER_SIZE;
        ByteBuffer tail = image.read(offset, FOOTER_SIZE);
        boolean valid = tail.remaining() == FOOTER_SIZE && hasCookie(tail, COOKIE)
                && checksum(tail, OFF_CHECKSUM) == Bounds.u32(tail, OFF_CHECKSUM);
        if (!valid) {
            result.warn(FindingCode.MALFORMED_HEADER, offset,
                    "VHD footer at the end of the file is missing or damaged; the copy at offset 0 is used");
        } else if (!tail.equals(head)) {
            result.warn(FindingCode.MALFORMED_HEADER, offset,
                    "VHD footer at the end of the file differs from the copy at offset 0, which is used");
        }
    }

    /**
     * The size qemu exposes: Virtual PC and qemu's default creator use the CHS geometry, other
     * creators (Hyper-V, qemu with force_size, disk2vhd, XenServer) the current size; a
     * maximal geometry means the geometry cannot express the size, so current size wins.
     */
    private static long virtualSize(ByteBuffer footer, long footerOffset) {
        long chsSectors = (long) Bounds.u16(footer, OFF_CYLINDERS) * Bounds.u8(footer, OFF_HEADS)
                * Bounds.u8(footer, OFF_SECTORS);
        long currentSize = Bounds.u64(footer, OFF_CURRENT_SIZE, footerOffset, FindingCode.MALFORMED_HEADER,
                "VHD current size");
        long virtualSize = usesCurrentSize(footer) || chsSectors == MAX_GEOMETRY_SECTORS
                ? currentSize : chsSectors * SECTOR;
        if (virtualSize > MAX_VIRTUAL_SIZE) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, footerOffset + OFF_CURRENT_SIZE,
                    "VHD virtual size " + virtualSize + " exceeds the format's limit of 2040 GiB");
        }
        return virtualSize;
    }

    // qemu block/vpc.c: creator applications whose images are sized by current_size, not CHS.
    private static boolean usesCurrentSize(ByteBuffer footer) {
        byte[] app = new byte[4];
        footer.get(OFF_CREATOR_APP, app);
        String name = new String(app, StandardCharsets.ISO_8859_1);
        return name.equals("win ") || name.equals("qem2") || name.equals("d2v ") || name.equals("CTXS")
                || name.equals("tap\0");
    }

    private static String creatorApp(ByteBuffer footer) {
        byte[] app = new byte[4];
        footer.get(OFF_CREATOR_APP, app);
        return printable(new String(app, StandardCharsets.ISO_8859_1));
    }

    private static String platformCode(long code) {
        byte[] bytes = ByteBuffer.allocate(4).putInt((int) code).array();
        return printable(new String(bytes, StandardCharsets.ISO_8859_1));
    }

    private static void requireChecksum(ByteBuffer footer, long footerOffset, String what) {
        if (checksum(footer, OFF_CHECKSUM) != Bounds.u32(footer, OFF_CHECKSUM)) {
            throw new InspectionFailure(FindingCode.VHD_BAD_CHECKSUM, footerOffset + OFF_CHECKSUM,
                    "VHD " + what + " checksum does not match its contents");
        }
    }

    /** VHD spec: one's complement of the byte sum, the checksum field itself counted as zero. */
    static long checksum(ByteBuffer structure, int checksumOffset) {
        long sum = 0;
        for (int i = 0; i < structure.limit(); i++) {
            if (i < checksumOffset || i >= checksumOffset + 4) {
                sum += Byte.toUnsignedInt(structure.get(i));
            }
        }
        return ~sum & 0xFFFFFFFFL;
    }

    private static boolean hasCookie(ByteBuffer buffer, byte[] cookie) {
        if (buffer.limit() < cookie.length) {
            return false;
        }
        for (int i = 0; i < cookie.length; i++) {
            if (buffer.get(i) != cookie[i]) {
                return false;
            }
        }
        return true;
    }

    private static String utf16(ByteBuffer buffer, int offset, int length, boolean littleEndian) {
        byte[] bytes = new byte[length & ~1];
        buffer.get(offset, bytes);
        return trimNul(new String(bytes, littleEndian ? StandardCharsets.UTF_16LE : StandardCharsets.UTF_16BE));
    }

    private static String trimNul(String text) {
        int end = text.indexOf('\0');
        return printable(end < 0 ? text : text.substring(0, end));
    }

    /** Control characters from a hostile image never reach a report verbatim. */
    private static String printable(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return out.toString();
    }
}
