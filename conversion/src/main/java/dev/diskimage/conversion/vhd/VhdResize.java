package dev.diskimage.conversion.vhd;

import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.vhd.VhdBat;
import dev.diskimage.core.vhd.VhdDiskType;
import dev.diskimage.core.vhd.VhdDynamicHeader;
import dev.diskimage.core.vhd.VhdFooter;
import dev.diskimage.core.vhd.VhdGeometry;
import dev.diskimage.core.vhd.VhdParentLocator;
import dev.diskimage.core.vhd.VhdSectorBitmap;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The size of a VHD and changing it in place: Cinder's {@code get_vhd_size} ({@link #size}) and
 * {@code resize_vhd(path, size, journal)} ({@link #resize}), in pure Java.
 *
 * <p><b>Dynamic and differencing disks</b> get new footers (current size and CHS geometry; the
 * original size is kept) and, when the block allocation table must cover more blocks than it
 * has entries, a larger table: when its reserved space is too small, the data blocks (and parent
 * locator data) that sit right after it are copied to the end of the file, their table entries
 * (or locator entries) are pointed at the copies, and the table grows into the freed space.
 * Shrinking is refused unless allowed, and then only when no allocated sector lies at or beyond
 * the new size (its data would reappear if the disk grew again); the table keeps its entries.
 * <b>Fixed disks</b> grow: the new space is zeroed where the file already has bytes (the old
 * footer), the rest is a hole, and the footer moves to the new end; shrinking one is refused.
 *
 * <p><b>Size rule.</b> qemu sizes a disk by its CHS geometry unless its creator application is
 * one that writes an exact current size ({@link VhdFooter#usesCurrentSize()}) or the geometry is
 * maximal. The new size is rounded up to whole sectors, and for a geometry-sized disk up to the
 * smallest size its geometry expresses (as {@code qemu-img create} does), so that every reader
 * sees the same size; {@link Result#virtualSize()} says what it became. The limit is qemu's
 * 2040 GiB ({@link VhdFooter#MAX_VIRTUAL_SIZE}).
 *
 * <p><b>Crash safety: an undo journal.</b> Before the first byte of the VHD changes, the bytes
 * every in-place write will overwrite (footer copy, header, the table and the space it grows
 * into, the end footer) and the bytes that mark the finished disk are written to the journal
 * file, durably (temporary sibling, fsync, atomic rename, fsync of the directory). Then, each
 * phase followed by an fsync: the moved blocks are copied past the old end and the new end footer
 * written; the table and header are rewritten; last, the footer copy at offset 0 (the end footer,
 * for a fixed disk). Then the journal is deleted. Blocks are copied, never moved in place, so
 * their old bytes survive until the table no longer names them. {@link #recover} finds either
 * the finished disk (the journal is deleted) or anything earlier, which it rolls back by writing
 * the before images and truncating the file to its old size: a kill at any point leaves the old
 * disk or the new one once {@code recover} ran. A failed write during a resize rolls back at
 * once.
 */
public final class VhdResize {
    private static final Logger LOG = LoggerFactory.getLogger(VhdResize.class);
    private static final int SECTOR = VhdSectorBitmap.SECTOR;
    /** How far the geometry search may go past the requested sector count (the spec's rounding is far smaller). */
    private static final int MAX_GEOMETRY_STEPS = 1 << 20;
    /** blktap's batmap (tapdisk's extension, not in the VHD spec) sits right after the table with this cookie. */
    private static final byte[] BLKTAP_BATMAP_COOKIE = "tdbatmap".getBytes(StandardCharsets.US_ASCII);
    private static final int COPY_CHUNK = 1 << 20;
    /** VHD spec: the footer's unique id is 16 bytes. */
    private static final int UNIQUE_ID_BYTES = 16;
    /** Sane limit: a fixed disk's slack between its data and footer, kept in the journal. */
    private static final long MAX_FIXED_SLACK = 1L << 20;

    /** The phases of a resize, after which a test may simulate a crash. */
    enum Step {
        /** The journal is on disk; the VHD is untouched. */
        JOURNAL_WRITTEN,
        /** Moved blocks are copied past the old end, the new end footer (or a fixed disk's zeros) written. */
        DATA_WRITTEN,
        /** The table and header are rewritten. */
        TABLES_WRITTEN,
        /** The last footer is written: the disk is finished; the journal is still there. */
        FOOTER_WRITTEN
    }

    /** Called after each phase; tests throw from it to stop a resize where a crash would. */
    @FunctionalInterface
    interface StepHook {
        void after(Step step);
    }

    /** What {@link #recover} found. */
    public enum Recovery {
        /** There was no journal: no resize was interrupted. */
        NOTHING_TO_DO,
        /** The resize had finished; only the journal was left, and it is deleted. */
        COMPLETED,
        /** The resize had not finished; the disk is back as it was before it. */
        ROLLED_BACK
    }

    /**
     * What a resize did.
     *
     * @param path the VHD
     * @param oldVirtualSize the virtual size before
     * @param virtualSize the virtual size after (the request rounded up, see the size rule)
     * @param movedBlocks the data blocks copied to the end of the file to make room for the table
     * @param tableEntries the entries of the block allocation table after (0 for a fixed disk)
     */
    public record Result(Path path, long oldVirtualSize, long virtualSize, int movedBlocks, long tableEntries) {
    }

    private VhdResize() {
    }

    /**
     * The virtual size of a VHD (Cinder's {@code get_vhd_size}), as qemu computes it, after the
     * file's structures were checked.
     *
     * @param path the VHD
     * @return the virtual size in bytes
     * @throws VhdCorruptException when the file breaks the VHD format
     * @throws ImageIoException when it cannot be read
     */
    public static long size(Path path) {
        try (VhdFile vhd = VhdFile.open(path)) {
            return vhd.virtualSize();
        }
    }

    /**
     * Grows a VHD in place to {@code newSize} bytes (Cinder's {@code resize_vhd}); a smaller size is
     * refused. See {@link #resize(Path, long, Path, boolean)}.
     *
     * @param path the VHD
     * @param newSize the new virtual size in bytes
     * @param journal where the undo journal goes while the resize runs; must not exist
     * @return what was done
     * @throws VhdResizeException when the size is smaller, too large, or the journal exists
     * @throws VhdCorruptException when the file breaks the VHD format
     * @throws ImageIoException when the file or the journal cannot be read or written
     */
    public static Result resize(Path path, long newSize, Path journal) {
        return resize(path, newSize, journal, false);
    }

    /**
     * Sets a VHD's virtual size in place, crash-safe through the undo journal described in the
     * class comment. The file's structures are checked first, and every refusal happens before
     * anything is written.
     *
     * @param path the VHD: fixed, dynamic or differencing
     * @param newSize the new virtual size in bytes, rounded up as the class comment says
     * @param journal where the undo journal goes while the resize runs; must not exist (one that
     *        does is left by an interrupted resize: run {@link #recover} first)
     * @param allowShrink whether a smaller size is allowed (dynamic and differencing disks only,
     *        and only when no allocated sector lies at or beyond it)
     * @return what was done; the sizes are equal when nothing had to change
     * @throws VhdResizeException when the resize is refused; the file is unchanged
     * @throws VhdCorruptException when the file breaks the VHD format
     * @throws ImageIoException when the file or the journal cannot be read or written; a failed
     *         write is rolled back before this is thrown
     */
    public static Result resize(Path path, long newSize, Path journal, boolean allowShrink) {
        return resize(path, newSize, journal, allowShrink, step -> { });
    }

    static Result resize(Path path, long newSize, Path journal, boolean allowShrink, StepHook hook) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(journal, "journal");
        if (Files.exists(journal, LinkOption.NOFOLLOW_LINKS)) {
            throw new VhdResizeException(path, "the resize journal " + journal + " exists: an earlier resize was"
                    + " interrupted; recover it first");
        }
        if (newSize < 0 || newSize > VhdFooter.MAX_VIRTUAL_SIZE) {
            throw new VhdResizeException(path, "cannot be resized to " + newSize + " bytes: the size must be from 0 to "
                    + VhdFooter.MAX_VIRTUAL_SIZE + " (2040 GiB, qemu's limit)");
        }
        Plan plan;
        try (VhdFile vhd = VhdFile.open(path)) {
            Target target = target(path, vhd.footer(), newSize);
            if (target.virtualSize() == vhd.virtualSize()) {
                return new Result(path, vhd.virtualSize(), vhd.virtualSize(), 0, vhd.blockCount());
            }
            if (target.virtualSize() < vhd.virtualSize()) {
                requireShrinkable(vhd, target.virtualSize(), allowShrink);
            }
            plan = vhd.diskType() == VhdDiskType.FIXED ? planFixed(vhd, target) : planSparse(vhd, target);
        } catch (IOException e) {
            throw new ImageIoException("could not read the VHD file", path, e);
        }
        try {
            plan.journal().writeDurably(journal);
        } catch (IOException e) {
            throw new ImageIoException("could not write the resize journal", journal, e);
        }
        hook.after(Step.JOURNAL_WRITTEN);
        try {
            apply(path, plan, hook);
        } catch (IOException e) {
            ImageIoException failure = new ImageIoException("could not resize the VHD file", path, e);
            try {
                recover(path, journal);
            } catch (RuntimeException rollback) {
                failure.addSuppressed(rollback);
            }
            throw failure;
        }
        try {
            Files.delete(journal);
            VhdResizeJournal.syncDirectory(journal.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new ImageIoException("resized, but could not delete the resize journal", journal, e);
        }
        LOG.debug("resized VHD {} from {} to {} bytes ({} blocks moved)", path, plan.result().oldVirtualSize(),
                plan.result().virtualSize(), plan.result().movedBlocks());
        return plan.result();
    }

    /**
     * Finishes what an interrupted {@link #resize} left: when the journal shows the disk finished,
     * deletes the journal; otherwise writes the journal's before images back, truncates the file to
     * its old size and deletes the journal. Safe to run again if it is itself interrupted.
     *
     * @param path the VHD the resize was changing
     * @param journal the journal the resize was given
     * @return what was found
     * @throws VhdResizeException when the journal is damaged, not a resize journal, or was written
     *         for another dynamic or differencing disk (the VHD is not touched, the journal kept)
     * @throws ImageIoException when the files cannot be read or written
     */
    public static Recovery recover(Path path, Path journal) {
        Objects.requireNonNull(path, "path");
        if (!Files.exists(journal, LinkOption.NOFOLLOW_LINKS)) {
            return Recovery.NOTHING_TO_DO;
        }
        VhdResizeJournal undo;
        try {
            undo = VhdResizeJournal.read(journal);
        } catch (IllegalStateException e) {
            throw new VhdResizeException(journal, "cannot be used to recover " + path + ": it " + e.getMessage());
        } catch (IOException e) {
            throw new ImageIoException("could not read the resize journal", journal, e);
        }
        Recovery outcome;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            requireSameDisk(path, journal, channel, undo);
            if (isFinished(channel, undo)) {
                outcome = Recovery.COMPLETED;
            } else {
                for (VhdResizeJournal.Region region : undo.undo()) {
                    writeFully(channel, region.offset(), ByteBuffer.wrap(region.bytes()));
                }
                channel.force(false);
                if (channel.size() > undo.originalFileSize()) {
                    channel.truncate(undo.originalFileSize());
                }
                channel.force(true);
                outcome = Recovery.ROLLED_BACK;
            }
        } catch (IOException e) {
            throw new ImageIoException("could not recover the VHD file", path, e);
        }
        try {
            Files.delete(journal);
            VhdResizeJournal.syncDirectory(journal.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new ImageIoException("recovered, but could not delete the resize journal", journal, e);
        }
        LOG.debug("recovered VHD {} from journal {}: {}", path, journal, outcome);
        return outcome;
    }

    /**
     * A dynamic or differencing disk's footer copy at offset 0 keeps its unique id through the
     * resize (old and new footer carry the same one, so even a torn write leaves it): a journal
     * whose before image of that footer names another id belongs to another disk, and applying it
     * would damage this one. A fixed disk's footer moves, so its journal is not matched this way.
     */
    private static void requireSameDisk(Path path, Path journal, FileChannel channel, VhdResizeJournal undo)
            throws IOException {
        for (VhdResizeJournal.Region region : undo.undo()) {
            if (region.offset() != 0 || region.length() != VhdFooter.SIZE) {
                continue;
            }
            int from = VhdFooter.OFF_UNIQUE_ID;
            int to = from + UNIQUE_ID_BYTES;
            ByteBuffer found = ByteBuffer.allocate(UNIQUE_ID_BYTES);
            if (channel.size() < to) {
                throw notThisDisk(path, journal);
            }
            readFully(channel, from, found);
            if (!Arrays.equals(found.array(), Arrays.copyOfRange(region.bytes(), from, to))) {
                throw notThisDisk(path, journal);
            }
        }
    }

    private static VhdResizeException notThisDisk(Path path, Path journal) {
        return new VhdResizeException(path, "is not the disk the resize journal " + journal + " was written for"
                + " (another unique id at offset 0); nothing was changed");
    }

    private static boolean isFinished(FileChannel channel, VhdResizeJournal undo) throws IOException {
        if (channel.size() != undo.finalFileSize()) {
            return false;
        }
        for (VhdResizeJournal.Region region : undo.commit()) {
            if (region.offset() > channel.size() - region.length()) {
                return false;
            }
            ByteBuffer found = ByteBuffer.allocate(region.length());
            readFully(channel, region.offset(), found);
            if (!Arrays.equals(found.array(), region.bytes())) {
                return false;
            }
        }
        return true;
    }

    /** The size the footer will store and readers will compute. */
    private record Target(long virtualSize, long currentSize, VhdGeometry geometry) {
    }

    /**
     * The new size rounded up to sectors and, for a geometry-sized disk, to what its geometry
     * expresses (qemu block/vpc.c's create loop: the smallest geometry of at least the size).
     */
    private static Target target(Path path, VhdFooter footer, long newSize) {
        long sectors = VhdSectorBitmap.roundUpToSector(newSize) / SECTOR;
        VhdGeometry geometry = VhdGeometry.forSectors(sectors);
        if (!footer.usesCurrentSize()) {
            for (int step = 1; geometry.sectors() < sectors && !geometry.isMax(); step++) {
                if (step > MAX_GEOMETRY_STEPS) {
                    throw new VhdResizeException(path, "no CHS geometry expresses " + newSize + " bytes");
                }
                geometry = VhdGeometry.forSectors(sectors + step);
            }
        }
        long currentSize = footer.usesCurrentSize() || geometry.isMax() ? sectors * SECTOR : geometry.sectors() * SECTOR;
        if (currentSize > VhdFooter.MAX_VIRTUAL_SIZE) {
            throw new VhdResizeException(path, "cannot be resized to " + newSize + " bytes: its size would be "
                    + currentSize + ", beyond qemu's limit of " + VhdFooter.MAX_VIRTUAL_SIZE + " (2040 GiB)");
        }
        return new Target(currentSize, currentSize, geometry);
    }

    private static void requireShrinkable(VhdFile vhd, long newSize, boolean allowShrink) {
        if (!allowShrink) {
            throw new VhdResizeException(vhd.path(), "is " + vhd.virtualSize() + " bytes; shrinking it to " + newSize
                    + " loses the data beyond and must be allowed explicitly");
        }
        if (vhd.diskType() == VhdDiskType.FIXED) {
            throw new VhdResizeException(vhd.path(), "is a fixed disk, whose every sector holds data: it is not shrunk");
        }
        long blockSize = vhd.blockSize().orElseThrow();
        for (int block = (int) (newSize / blockSize); block < vhd.blockCount(); block++) {
            if (!vhd.isAllocated(block)) {
                continue;
            }
            long blockStart = block * blockSize;
            for (VhdSectorBitmap.Run run : vhd.sectorRuns(block)) {
                long runEnd = blockStart + (long) (run.firstSector() + run.sectors()) * SECTOR;
                if (run.present() && runEnd > newSize) {
                    throw new VhdResizeException(vhd.path(), "cannot shrink to " + newSize + " bytes: block " + block
                            + " holds data up to virtual offset " + runEnd);
                }
            }
        }
    }

    /** What to write where, in order, and the journal that undoes it. */
    private record Plan(VhdResizeJournal journal, List<Copy> copies, List<VhdResizeJournal.Region> data,
            List<VhdResizeJournal.Region> tables, VhdResizeJournal.Region lastFooter, Result result) {
    }

    /** Bytes copied from one place of the file to another (a block or locator data moving to the end). */
    private record Copy(long from, long to, long length) {
    }

    /** A block or locator data that sits after the table. */
    private record Item(int block, int locatorSlot, long start, long length) {
    }

    private static Plan planSparse(VhdFile vhd, Target target) throws IOException {
        Path path = vhd.path();
        VhdFooter footer = vhd.footer();
        VhdDynamicHeader header = vhd.dynamicHeader().orElseThrow();
        long dataOffset = footer.dataOffset();
        long tableOffset = header.tableOffset();
        long dataEnd = vhd.dataEnd();
        long blockSize = header.blockSize();
        long oldEntries = header.maxTableEntries();
        long entries = Math.max(oldEntries, VhdBat.entriesFor(target.virtualSize(), blockSize));
        long oldTableEnd = VhdSectorBitmap.roundUpToSector(tableOffset + oldEntries * VhdBat.ENTRY_SIZE);
        long tableEnd = VhdSectorBitmap.roundUpToSector(tableOffset + entries * VhdBat.ENTRY_SIZE);
        if (entries * VhdBat.ENTRY_SIZE > VhdFile.MAX_TABLE_BYTES) {
            throw new VhdResizeException(path, "would need a block allocation table of " + entries + " entries, more"
                    + " than the " + VhdFile.MAX_TABLE_BYTES + " bytes this code holds in memory");
        }
        List<Item> items = items(vhd, header, dataOffset);
        List<Item> moving = new ArrayList<>();
        if (tableEnd > oldTableEnd) {
            if (overlaps(0, VhdFooter.SIZE, oldTableEnd, tableEnd)
                    || overlaps(dataOffset, VhdDynamicHeader.SIZE, oldTableEnd, tableEnd)) {
                throw new VhdResizeException(path, "keeps its footer copy or dynamic header right after the block"
                        + " allocation table, which cannot grow over them");
            }
            for (Item item : items) {
                if (overlaps(item.start(), item.length(), oldTableEnd, tableEnd)) {
                    moving.add(item);
                }
            }
            if (oldTableEnd + BLKTAP_BATMAP_COOKIE.length <= dataEnd && moving.isEmpty()) {
                requireNoBatmap(vhd, oldTableEnd);
            }
        }
        // Copies go after the old end, and after the grown table when that reaches past it.
        long appendAt = Math.max(VhdSectorBitmap.roundUpToSector(dataEnd), tableEnd);
        long newDataEnd = tableEnd > oldTableEnd ? appendAt : dataEnd;
        List<Copy> copies = new ArrayList<>();
        ByteBuffer table = ByteBuffer.allocate((int) (tableEnd - tableOffset));
        Arrays.fill(table.array(), (byte) 0xFF);
        for (int block = 0; block < vhd.blockCount(); block++) {
            VhdBat.put(table, block, vhd.isAllocated(block) ? vhd.blockOffset(block) / SECTOR : VhdBat.UNALLOCATED);
        }
        List<VhdParentLocator> locators = new ArrayList<>(header.parentLocators());
        int movedBlocks = 0;
        for (Item item : moving) {
            long to = VhdSectorBitmap.roundUpToSector(newDataEnd);
            if (to / SECTOR >= VhdBat.UNALLOCATED) {
                throw new VhdResizeException(path, "has no room past offset " + to + " for the blocks the table must"
                        + " grow over: the table counts sectors in 32 bits");
            }
            copies.add(new Copy(item.start(), to, item.length()));
            newDataEnd = to + item.length();
            if (item.block() >= 0) {
                VhdBat.put(table, item.block(), to / SECTOR);
                movedBlocks++;
            } else {
                VhdParentLocator old = locators.get(item.locatorSlot());
                locators.set(item.locatorSlot(), new VhdParentLocator(old.platformCode(), old.dataSpace(),
                        old.dataLength(), to));
            }
        }
        newDataEnd = VhdSectorBitmap.roundUpToSector(newDataEnd);
        VhdDynamicHeader newHeader = new VhdDynamicHeader(header.dataOffset(), tableOffset, header.headerVersion(),
                entries, blockSize, 0, header.parentUniqueId(), header.parentTimestamp(), header.parentName(), locators);
        byte[] newFooter = resized(footer, target).write().array();
        byte[] newHeaderBytes = newHeader.write().array();
        long originalFileSize = dataEnd + VhdFooter.SIZE;
        long finalFileSize = newDataEnd + VhdFooter.SIZE;

        List<VhdResizeJournal.Region> undo = new ArrayList<>();
        List<VhdResizeJournal.Region> tables = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            undo.add(region(channel, 0, VhdFooter.SIZE));
            undo.add(region(channel, dataEnd, VhdFooter.SIZE));
            if (entries > oldEntries) {
                undo.add(region(channel, dataOffset, VhdDynamicHeader.SIZE));
                // The old table and the space it grows into; a table reaching past the old end covers
                // bytes the file does not have yet, which the truncation on rollback removes.
                undo.add(region(channel, tableOffset, (int) (Math.min(tableEnd, originalFileSize) - tableOffset)));
                tables.add(new VhdResizeJournal.Region(tableOffset, table.array()));
                tables.add(new VhdResizeJournal.Region(dataOffset, newHeaderBytes));
            }
        }
        List<VhdResizeJournal.Region> data = List.of(new VhdResizeJournal.Region(newDataEnd, newFooter));
        VhdResizeJournal.Region copyAtZero = new VhdResizeJournal.Region(0, newFooter);
        // The header marks the grown table: both are written in one phase, before the footer copy.
        List<VhdResizeJournal.Region> commit = new ArrayList<>(List.of(copyAtZero, data.get(0)));
        if (!tables.isEmpty()) {
            commit.add(tables.get(1));
        }
        VhdResizeJournal journal = new VhdResizeJournal(originalFileSize, finalFileSize, undo, commit);
        return new Plan(journal, copies, data, tables, copyAtZero,
                new Result(path, vhd.virtualSize(), target.virtualSize(), movedBlocks, entries));
    }

    private static Plan planFixed(VhdFile vhd, Target target) throws IOException {
        Path path = vhd.path();
        long oldSize = vhd.virtualSize();
        long dataEnd = vhd.dataEnd();
        long originalFileSize = dataEnd + VhdFooter.SIZE;
        if (dataEnd - oldSize > MAX_FIXED_SLACK) {
            throw new VhdResizeException(path, "has " + (dataEnd - oldSize) + " bytes between its data and its footer,"
                    + " more than this code keeps in its journal");
        }
        long footerAt = Math.max(dataEnd, target.virtualSize());
        long zeroEnd = Math.min(originalFileSize, target.virtualSize());
        byte[] newFooter = resized(vhd.footer(), target).write().array();
        List<VhdResizeJournal.Region> undo = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            undo.add(region(channel, oldSize, (int) (originalFileSize - oldSize)));
        }
        List<VhdResizeJournal.Region> data = zeroEnd > oldSize
                ? List.of(new VhdResizeJournal.Region(oldSize, new byte[(int) (zeroEnd - oldSize)])) : List.of();
        VhdResizeJournal.Region last = new VhdResizeJournal.Region(footerAt, newFooter);
        VhdResizeJournal journal = new VhdResizeJournal(originalFileSize, footerAt + VhdFooter.SIZE, undo,
                List.of(last));
        return new Plan(journal, List.of(), data, List.of(), last, new Result(path, oldSize, target.virtualSize(), 0, 0));
    }

    private static void apply(Path path, Plan plan, StepHook hook) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.allocate(COPY_CHUNK);
            for (Copy copy : plan.copies()) {
                for (long done = 0; done < copy.length(); ) {
                    int n = (int) Math.min(COPY_CHUNK, copy.length() - done);
                    buffer.clear().limit(n);
                    readFully(channel, copy.from() + done, buffer);
                    writeFully(channel, copy.to() + done, buffer.flip());
                    done += n;
                }
            }
            for (VhdResizeJournal.Region region : plan.data()) {
                writeFully(channel, region.offset(), ByteBuffer.wrap(region.bytes()));
            }
            channel.force(false);
            hook.after(Step.DATA_WRITTEN);
            for (VhdResizeJournal.Region region : plan.tables()) {
                writeFully(channel, region.offset(), ByteBuffer.wrap(region.bytes()));
            }
            channel.force(false);
            hook.after(Step.TABLES_WRITTEN);
            writeFully(channel, plan.lastFooter().offset(), ByteBuffer.wrap(plan.lastFooter().bytes()));
            channel.force(true);
            hook.after(Step.FOOTER_WRITTEN);
        }
    }

    /** Every allocated block and, for a differencing disk, every locator's data, by position. */
    private static List<Item> items(VhdFile vhd, VhdDynamicHeader header, long dataOffset) {
        List<Item> items = new ArrayList<>();
        long span = header.bitmapBytes() + header.blockSize();
        for (int block = 0; block < vhd.blockCount(); block++) {
            if (vhd.isAllocated(block)) {
                items.add(new Item(block, -1, vhd.blockOffset(block), span));
            }
        }
        if (vhd.diskType() == VhdDiskType.DIFFERENCING) {
            for (int slot = 0; slot < VhdDynamicHeader.LOCATOR_COUNT; slot++) {
                VhdParentLocator locator = header.parentLocators().get(slot);
                if (!locator.isEmpty()) {
                    long space = locator.dataSpaceBytes(VhdDynamicHeader.locatorAt(dataOffset, slot));
                    items.add(new Item(-1, slot, locator.dataOffset(), space));
                }
            }
        }
        items.sort((a, b) -> Long.compare(a.start(), b.start()));
        return items;
    }

    private static void requireNoBatmap(VhdFile vhd, long at) throws IOException {
        try (FileChannel channel = FileChannel.open(vhd.path(), StandardOpenOption.READ)) {
            ByteBuffer cookie = ByteBuffer.allocate(BLKTAP_BATMAP_COOKIE.length);
            readFully(channel, at, cookie);
            if (Arrays.equals(cookie.array(), BLKTAP_BATMAP_COOKIE)) {
                throw new VhdResizeException(vhd.path(), "has a blktap batmap right after its block allocation table,"
                        + " which this code does not move; the table cannot grow");
            }
        }
    }

    private static VhdFooter resized(VhdFooter footer, Target target) {
        return new VhdFooter(footer.features(), footer.formatVersion(), footer.dataOffset(), footer.timestamp(),
                footer.creatorApp(), footer.creatorVersion(), footer.creatorHostOs(), footer.originalSize(),
                target.currentSize(), target.geometry(), footer.diskType(), 0, footer.uniqueId(), footer.savedState());
    }

    private static boolean overlaps(long start, long length, long from, long to) {
        return start < to && from < start + length;
    }

    private static VhdResizeJournal.Region region(FileChannel channel, long offset, int length) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(length);
        readFully(channel, offset, bytes);
        return new VhdResizeJournal.Region(offset, bytes.array());
    }

    private static void readFully(FileChannel channel, long offset, ByteBuffer out) throws IOException {
        long at = offset;
        while (out.hasRemaining()) {
            int n = channel.read(out, at);
            if (n < 0) {
                throw new EOFException("the file ends at " + at);
            }
            at += n;
        }
    }

    private static void writeFully(FileChannel channel, long offset, ByteBuffer in) throws IOException {
        VhdCreator.writeAll(channel, offset, in);
    }
}
