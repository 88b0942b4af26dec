package dev.diskimage.conversion.vhd;

import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.vhd.VhdBat;
import dev.diskimage.core.vhd.VhdDiskType;
import dev.diskimage.core.vhd.VhdDynamicHeader;
import dev.diskimage.core.vhd.VhdFooter;
import dev.diskimage.core.vhd.VhdParentLocator;
import dev.diskimage.core.vhd.VhdSectorBitmap;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

/**
 * Writes a new, empty dynamic or differencing VHD (no block allocated) into a file that does not
 * exist yet, with the layout this project uses: footer copy, dynamic header, block allocation
 * table, then one whole-sector reserved space per parent locator, then the end footer. The caller
 * writes it to a temporary sibling and renames it, so that it appears whole or not at all.
 */
final class VhdCreator {
    private static final int SECTOR = VhdSectorBitmap.SECTOR;

    /** One locator to store: its platform code and its encoded bytes. */
    record Locator(long platformCode, byte[] data) {
    }

    /**
     * What a differencing disk records of its parent.
     *
     * @param uniqueId the parent's unique id
     * @param timestamp the parent's modification time, VHD seconds
     * @param name the parent's file name
     * @param locators the locators, at most eight
     */
    record ParentLink(UUID uniqueId, long timestamp, String name, List<Locator> locators) {
        ParentLink {
            locators = List.copyOf(locators);
            if (locators.size() > VhdDynamicHeader.LOCATOR_COUNT) {
                throw new IllegalArgumentException("at most " + VhdDynamicHeader.LOCATOR_COUNT + " locators");
            }
        }
    }

    private VhdCreator() {
    }

    /**
     * Creates the file {@code target} (which must not exist), syncs it and closes it.
     *
     * @param target the new file
     * @param sizeFrom the footer whose creator, sizes and geometry the new disk takes, so that every
     *     reader sizes it as it sized that disk
     * @param blockSize the block size, already checked
     * @param uniqueId the new disk's unique id
     * @param parent the parent link of a differencing disk; null for a dynamic disk
     * @throws ImageIoException when the file cannot be written
     */
    static void create(Path target, VhdFooter sizeFrom, long blockSize, UUID uniqueId, ParentLink parent) {
        // Enough entries for the size every reader may use: by geometry (qemu) or the current size.
        long virtualSize = Math.max(sizeFrom.virtualSize(0), sizeFrom.currentSize());
        long entries = VhdBat.entriesFor(virtualSize, blockSize);
        if (entries * VhdBat.ENTRY_SIZE > VhdFile.MAX_TABLE_BYTES) {
            throw new VhdException(target, "would need a block allocation table larger than "
                    + VhdFile.MAX_TABLE_BYTES + " bytes; choose larger blocks", null);
        }
        long tableOffset = VhdFooter.SIZE + VhdDynamicHeader.SIZE;
        long at = tableOffset + VhdSectorBitmap.roundUpToSector(entries * VhdBat.ENTRY_SIZE);
        List<VhdParentLocator> entriesOut = new ArrayList<>(Collections.nCopies(VhdDynamicHeader.LOCATOR_COUNT,
                new VhdParentLocator(VhdParentLocator.NONE, 0, 0, 0)));
        List<long[]> placements = new ArrayList<>();
        if (parent != null) {
            for (int slot = 0; slot < parent.locators().size(); slot++) {
                Locator locator = parent.locators().get(slot);
                long space = Math.max(SECTOR, VhdSectorBitmap.roundUpToSector(locator.data().length));
                entriesOut.set(slot, new VhdParentLocator(locator.platformCode(), space, locator.data().length, at));
                placements.add(new long[] {at, slot});
                at += space;
            }
        }
        long dataEnd = at;
        VhdDiskType type = parent == null ? VhdDiskType.DYNAMIC : VhdDiskType.DIFFERENCING;
        long now = Math.max(0, Instant.now().getEpochSecond() - VhdFooter.EPOCH.getEpochSecond()) & 0xFFFFFFFFL;
        VhdFooter footer = new VhdFooter(VhdFooter.FEATURES_RESERVED, VhdFooter.FORMAT_VERSION, VhdFooter.SIZE, now,
                sizeFrom.creatorApp(), sizeFrom.creatorVersion(), sizeFrom.creatorHostOs(), sizeFrom.originalSize(),
                sizeFrom.currentSize(), sizeFrom.geometry(), type.code(), 0, uniqueId, 0);
        VhdDynamicHeader header = new VhdDynamicHeader(-1, tableOffset, VhdDynamicHeader.HEADER_VERSION, entries,
                blockSize, 0, parent == null ? new UUID(0, 0) : parent.uniqueId(),
                parent == null ? 0 : parent.timestamp(), parent == null ? "" : parent.name(), entriesOut);
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer footerBytes = footer.write();
            writeAll(out, 0, footerBytes.duplicate());
            writeAll(out, VhdFooter.SIZE, header.write());
            ByteBuffer table = ByteBuffer.allocate((int) VhdSectorBitmap.roundUpToSector(entries * VhdBat.ENTRY_SIZE));
            java.util.Arrays.fill(table.array(), (byte) 0xFF);
            writeAll(out, tableOffset, table);
            for (long[] placement : placements) {
                writeAll(out, placement[0], ByteBuffer.wrap(parent.locators().get((int) placement[1]).data()));
            }
            writeAll(out, dataEnd, footerBytes.duplicate());
            out.force(true);
        } catch (IOException e) {
            throw new ImageIoException("could not create the VHD file", target, e);
        }
    }

    static void writeAll(FileChannel out, long offset, ByteBuffer in) throws IOException {
        long at = offset;
        while (in.hasRemaining()) {
            at += out.write(in, at);
        }
    }
}
