package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.vhd.VhdBat;
import dev.diskimage.core.vhd.VhdDiskType;
import dev.diskimage.core.vhd.VhdDynamicHeader;
import dev.diskimage.core.vhd.VhdFooter;
import dev.diskimage.core.vhd.VhdFormatException;
import dev.diskimage.core.vhd.VhdParentLocator;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * <p>The structures are parsed by {@code dev.diskimage.core.vhd}, the one VHD parser (conversion's
 * {@code VhdFile} uses it too); this inspector reads the bytes through its bounded reader, so a
 * stream keeps exactly the regions named here, and turns the parser's reasons into findings.
 *
 * <p>A cookie in the last 511 bytes (a footer cut short) or a file shorter than a footer that
 * starts with the cookie is a damaged VHD, never raw.
 */
final class VhdInspector implements FormatInspector {

    static final int FOOTER_SIZE = VhdFooter.SIZE;

    // Parent locator data read at most this many bytes: a path, never the data it names.
    private static final int MAX_LOCATOR_BYTES = 2048;

    /** One footer copy as read: where it sits and whether its stored checksum matches its bytes. */
    private record FooterCopy(long offset, VhdFooter footer, boolean checksumValid) {
        static FooterCopy read(ByteBuffer bytes, long offset) {
            return new FooterCopy(offset, VhdFooter.read(bytes, offset), VhdFooter.checksumMatches(bytes));
        }
    }

    @Override
    public DiskFormat format() {
        return DiskFormat.VPC;
    }

    @Override
    public void inspect(ImageBytes image, InspectionBuilder result) {
        try {
            inspectVhd(image, result);
        } catch (VhdFormatException e) {
            throw failure(e);
        }
    }

    private static void inspectVhd(ImageBytes image, InspectionBuilder result) {
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
            FooterCopy end = sizeKnown ? endFooter(image, result) : null;
            inspectDynamic(image, FooterCopy.read(head, 0), end, sizeKnown, result);
        } else if (sizeKnown) {
            FooterCopy end = endFooter(image, result);
            if (end != null) {
                inspectFixed(end, result);
            }
        }
    }

    /**
     * The footer in the last 512 bytes, or null when there is none. A cookie that starts inside
     * the last 511 bytes is a footer cut short: magic found, rejected, never raw.
     */
    private static FooterCopy endFooter(ImageBytes image, InspectionBuilder result) {
        long size = image.size();
        int length = (int) Math.min(size, FOOTER_SIZE);
        long start = size - length;
        ByteBuffer tail = image.readExactly(start, length, "VHD footer");
        if (length == FOOTER_SIZE && VhdFooter.hasCookie(tail, 0)) {
            result.magicFound();
            return FooterCopy.read(tail, start);
        }
        // From index 1: index 0 is the whole footer (checked above) or, in a file shorter than a
        // footer, offset 0, whose cookie inspect() already handled. The bound only saves work:
        // hasCookie answers false for a cookie that would run past the bytes read.
        for (int i = 1; i + VhdFooter.COOKIE.length() <= length; i++) {
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
    private static void inspectFixed(FooterCopy copy, InspectionBuilder result) {
        requireChecksum(copy, "footer");
        VhdFooter footer = copy.footer();
        if (footer.diskType() != VhdDiskType.FIXED.code()) {
            // qemu refuses a dynamic footer that has no copy at offset 0 ("invalid VPC image").
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, copy.offset() + VhdFooter.OFF_DISK_TYPE,
                    "VHD footer at the end declares disk type " + footer.diskType()
                            + " but dynamic and differencing disks need their footer copy at offset 0");
        }
        long virtualSize = footer.virtualSize(copy.offset());
        if (virtualSize > copy.offset()) {
            throw new InspectionFailure(FindingCode.TRUNCATED, copy.offset(),
                    "fixed VHD of " + virtualSize + " bytes needs that much data before its footer, but only "
                            + copy.offset() + " bytes precede it");
        }
        result.variant("fixed").virtualSize(virtualSize).matched();
        result.detail("creator_app", footer.creatorApp());
    }

    /** A footer copy at offset 0: qemu reads the disk as dynamic (or differencing). */
    private static void inspectDynamic(ImageBytes image, FooterCopy copy, FooterCopy end, boolean sizeKnown,
            InspectionBuilder result) {
        requireChecksum(copy, "footer copy at offset 0");
        if (end != null) {
            // The specification's primary copy: damaged means two readers could disagree.
            requireChecksum(end, "footer at the end of the file");
        }
        VhdFooter footer = copy.footer();
        if (footer.diskType() != VhdDiskType.DYNAMIC.code() && footer.diskType() != VhdDiskType.DIFFERENCING.code()) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, VhdFooter.OFF_DISK_TYPE,
                    "VHD footer copy at offset 0 declares disk type " + footer.diskType()
                            + "; only dynamic (3) and differencing (4) disks carry one");
        }
        boolean differencing = footer.diskType() == VhdDiskType.DIFFERENCING.code()
                || (end != null && end.footer().diskType() == VhdDiskType.DIFFERENCING.code());
        long virtualSize = footer.virtualSize(0);
        long dataOffset = footer.requireDataOffset(0);
        VhdDynamicHeader header = VhdDynamicHeader.read(
                image.readExactly(dataOffset, VhdDynamicHeader.SIZE, "VHD dynamic disk header"), dataOffset);
        long entries = header.requireTableEntries(virtualSize, dataOffset);
        long tableOffset = header.requireTablePlacement(image.size(), dataOffset);
        checkAllocatedBlocks(image, tableOffset, entries, header.blockSize());

        result.variant(differencing ? "differencing" : "dynamic").virtualSize(virtualSize);
        result.detail("block_size", header.blockSize()).detail("creator_app", footer.creatorApp());
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
    private static void compareEndFooter(VhdFooter footer, FooterCopy end, long size, InspectionBuilder result) {
        long offset = size - FOOTER_SIZE;
        if (end == null) {
            result.warn(FindingCode.MALFORMED_HEADER, offset,
                    "VHD footer at the end of the file is missing; the copy at offset 0 is used");
            return;
        }
        List<String> differences = footer.disagreements(end.footer());
        if (!differences.isEmpty()) {
            result.reject(FindingCode.VHD_FOOTER_MISMATCH, offset,
                    "VHD footer copies at offset 0 and at the end describe different disks: "
                            + String.join(", ", differences));
        } else if (footer.checksum() != end.footer().checksum()) {
            result.warn(FindingCode.MALFORMED_HEADER, offset,
                    "VHD footer at the end of the file differs from the copy at offset 0 in fields that do not"
                            + " change the disk");
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
        AllocationTable.forEachEntry(image, tableOffset, entries, ByteOrder.BIG_ENDIAN, "VHD block allocation table",
                "dynamic VHDs this large (above about 500 GiB with 2 MiB blocks under the default 1 MiB)",
                (index, entry, at) -> {
                    if (VhdBat.isAllocated(entry)) {
                        VhdBat.requireBlockWithin(index, entry, blockSize, image.size());
                    }
                });
    }

    /** A differencing disk: report its parent by name, with the locators' paths as details. */
    private static void reportParent(ImageBytes image, VhdDynamicHeader header, long dataOffset,
            InspectionBuilder result) {
        String firstLocator = null;
        for (int i = 0; i < VhdDynamicHeader.LOCATOR_COUNT; i++) {
            VhdParentLocator locator = header.parentLocators().get(i);
            if (locator.isEmpty()) {
                continue;
            }
            long offset = locator.requireDataWithin(VhdDynamicHeader.locatorAt(dataOffset, i), i, image.size());
            int readLength = (int) Math.min(locator.dataLength(), MAX_LOCATOR_BYTES);
            ByteBuffer data = image.readExactly(offset, readLength, "VHD parent locator " + i);
            String path = locator.decode(data, readLength);
            result.detail("parent_locator." + i, locator.platform() + ":" + path);
            if (firstLocator == null && !path.isEmpty()) {
                firstLocator = path;
            }
        }
        String name = header.parentName();
        String target = !name.isEmpty() ? name : firstLocator != null ? firstLocator : "(unnamed parent)";
        result.reference(ExternalReference.Kind.BACKING, FindingCode.VHD_DIFFERENCING, target,
                dataOffset + VhdDynamicHeader.OFF_PARENT_NAME);
    }

    private static void requireChecksum(FooterCopy copy, String what) {
        if (!copy.checksumValid()) {
            throw new InspectionFailure(FindingCode.VHD_BAD_CHECKSUM, copy.offset() + VhdFooter.OFF_CHECKSUM,
                    "VHD " + what + " checksum does not match its contents");
        }
    }

    /** The core parser's reason as this inspector's finding: same offset, same text. */
    private static InspectionFailure failure(VhdFormatException e) {
        FindingCode code = switch (e.kind()) {
            case MALFORMED -> FindingCode.MALFORMED_HEADER;
            case TRUNCATED -> FindingCode.TRUNCATED;
            case BAD_CHECKSUM -> FindingCode.VHD_BAD_CHECKSUM;
            case OUT_OF_BOUNDS -> FindingCode.VHD_TABLE_OUT_OF_BOUNDS;
        };
        return new InspectionFailure(code, e.offset(), e.reason());
    }
}
