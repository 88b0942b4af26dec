package dev.diskimage.conversion.vhd;

import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.UntrustedText;
import dev.diskimage.core.vhd.VhdBat;
import dev.diskimage.core.vhd.VhdDiskType;
import dev.diskimage.core.vhd.VhdDynamicHeader;
import dev.diskimage.core.vhd.VhdFooter;
import dev.diskimage.core.vhd.VhdFormatException;
import dev.diskimage.core.vhd.VhdParentLocator;
import dev.diskimage.core.vhd.VhdSectorBitmap;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One VHD file opened read-only: a fixed, dynamic or differencing disk (Microsoft VHD
 * specification), every structure read and checked through {@code dev.diskimage.core.vhd} when it
 * is opened, its virtual bytes read by {@link #read(long, ByteBuffer)}.
 *
 * <p>Opening checks, before anything is read from the disk's data: the footer at the end (cookie,
 * checksum, disk type, size); for dynamic and differencing disks the footer copy at offset 0
 * (cookie, checksum, and that it describes the same disk as the end copy), the dynamic header
 * (cookie, checksum, block size), the block allocation table (enough entries for the virtual
 * size, inside the file) and every block it allocates (inside the file, before the end footer, not
 * over the footer copy, the header, the table, locator data or another block); for differencing
 * disks every parent locator (data inside the file and within its reserved space). Whatever
 * breaks a rule is a {@link VhdCorruptException} naming the file, the field's offset and the reason.
 *
 * <p>Reading follows the specification: an allocated block's sector bitmap says which of its
 * sectors it holds; the others, and every sector of an unallocated block, are zeros in a dynamic
 * disk and the parent's data in a differencing disk. A differencing disk reads through the parent
 * {@link #attachParent attached} to it (the chain code of this package attaches it after checking
 * the parent's identity); without one, reading a sector it does not hold fails.
 *
 * <p>Not thread-safe: one reader at a time. Closing does not close an attached parent.
 */
public final class VhdFile implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(VhdFile.class);

    /** Sane limit: block allocation tables up to 64 MiB (16 Mi entries) are read into memory. */
    static final long MAX_TABLE_BYTES = 64L << 20;
    /** Sane limit: parent locator data up to 64 KiB (a Windows path of 32767 UTF-16 units). */
    static final long MAX_LOCATOR_BYTES = 64L << 10;
    private static final int SECTOR = VhdSectorBitmap.SECTOR;
    private static final byte[] ZEROS = new byte[64 << 10];
    /** The creator application this project writes into the footers it creates. */
    static final String CREATOR_APP = "dimg";
    /** The creator version written with it: 0.1. */
    static final long CREATOR_VERSION = 0x00000001L;
    /** VHD spec: creator host OS "Wi2k" (Windows), which qemu and blktap write on Linux too. */
    private static final String CREATOR_HOST_OS = "Wi2k";

    /**
     * One parent locator of a differencing disk, decoded.
     *
     * @param slot the locator entry, 0 to 7
     * @param platform the platform code ({@code "W2ku"}, {@code "W2ru"}, {@code "MacX"}...), as stored
     * @param path the path or URL, as stored: hostile text until checked (sanitize before showing)
     */
    public record ParentLocator(int slot, String platform, String path) {
    }

    private final Path path;
    private final FileChannel channel;
    private final boolean writable;
    /** Where the end footer sits: the end of the data area; it moves when a block is allocated. */
    private long dataEnd;
    private final VhdFooter footer;
    private final VhdDiskType type;
    private final long virtualSize;
    /** Null for a fixed disk. */
    private final VhdDynamicHeader header;
    /** The block allocation table; null for a fixed disk. */
    private final int[] table;
    private final long bitmapBytes;
    private final List<ParentLocator> locators;
    private final long tableOffset;
    private int allocatedBlocks;
    private VhdFile parent;
    private long cachedBlock = -1;
    private ByteBuffer cachedBitmap;

    private VhdFile(Path path, FileChannel channel, boolean writable) throws IOException {
        this.path = path;
        this.channel = channel;
        this.writable = writable;
        long fileSize = channel.size();
        if (fileSize < VhdFooter.SIZE) {
            throw new VhdFormatException(VhdFormatException.Kind.TRUNCATED, 0, "file of " + fileSize
                    + " bytes is shorter than the " + VhdFooter.SIZE + "-byte VHD footer");
        }
        long endAt = fileSize - VhdFooter.SIZE;
        this.dataEnd = endAt;
        ByteBuffer endBytes = readMetadata(endAt, VhdFooter.SIZE);
        if (!VhdFooter.hasCookie(endBytes, 0)) {
            throw new VhdFormatException(VhdFormatException.Kind.TRUNCATED, endAt,
                    "no VHD footer in the last " + VhdFooter.SIZE + " bytes (offset " + endAt + ")");
        }
        this.footer = VhdFooter.read(endBytes, endAt);
        requireChecksum(endBytes, endAt, "footer at the end of the file");
        this.type = footer.requireType(endAt);
        this.virtualSize = footer.virtualSize(endAt);
        if (type == VhdDiskType.FIXED) {
            if (virtualSize > endAt) {
                throw new VhdFormatException(VhdFormatException.Kind.TRUNCATED, endAt, "fixed VHD of " + virtualSize
                        + " bytes needs that much data before its footer, but only " + endAt + " bytes precede it");
            }
            this.header = null;
            this.table = null;
            this.bitmapBytes = 0;
            this.locators = List.of();
            this.allocatedBlocks = 0;
            this.tableOffset = -1;
            return;
        }
        ByteBuffer copyBytes = readMetadata(0, VhdFooter.SIZE);
        VhdFooter copy = VhdFooter.read(copyBytes, 0);
        requireChecksum(copyBytes, 0, "footer copy at offset 0");
        List<String> differences = copy.disagreements(footer);
        if (!differences.isEmpty()) {
            throw new VhdFormatException(VhdFormatException.Kind.MALFORMED, endAt,
                    "VHD footer copies at offset 0 and at the end describe different disks: "
                            + UntrustedText.sanitize(String.join(", ", differences)));
        }
        long dataOffset = footer.requireDataOffset(endAt);
        requireWithin(dataOffset, VhdDynamicHeader.SIZE, endAt, VhdFormatException.Kind.TRUNCATED,
                "VHD dynamic disk header");
        this.header = VhdDynamicHeader.read(readMetadata(dataOffset, VhdDynamicHeader.SIZE), dataOffset);
        long entries = header.requireTableEntries(virtualSize, dataOffset);
        this.tableOffset = header.requireTablePlacement(endAt, dataOffset);
        if (header.tableBytes() > MAX_TABLE_BYTES) {
            throw new VhdFormatException(VhdFormatException.Kind.MALFORMED, dataOffset
                    + VhdDynamicHeader.OFF_MAX_TABLE_ENTRIES, "VHD block allocation table of " + entries
                    + " entries is larger than the " + MAX_TABLE_BYTES + " bytes this reader holds in memory");
        }
        this.bitmapBytes = header.bitmapBytes();
        this.table = readTable(tableOffset, (int) entries);
        this.locators = type == VhdDiskType.DIFFERENCING ? readLocators(dataOffset, endAt) : List.of();
        this.allocatedBlocks = checkLayout(dataOffset, tableOffset, endAt);
    }

    /**
     * Opens a VHD file read-only and checks its structures.
     *
     * @param path the file
     * @return the open file; close it
     * @throws VhdCorruptException when the file breaks the VHD format
     * @throws ImageIoException when the file cannot be opened or read
     */
    public static VhdFile open(Path path) {
        return open(path, false);
    }

    /**
     * Opens a VHD file for reading and writing and checks its structures as {@link #open} does.
     * Writes go to {@link #write(long, ByteBuffer)}; new blocks are appended before the end
     * footer, which moves.
     *
     * @param path the file
     * @return the open file; close it
     * @throws VhdCorruptException when the file breaks the VHD format
     * @throws ImageIoException when the file cannot be opened or read
     */
    public static VhdFile openForWriting(Path path) {
        return open(path, true);
    }

    private static VhdFile open(Path path, boolean writable) {
        Objects.requireNonNull(path, "path");
        FileChannel channel;
        try {
            channel = writable ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
                    : FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new ImageIoException("could not open the VHD file", path, e);
        }
        try {
            VhdFile file = new VhdFile(path, channel, writable);
            LOG.debug("opened {} VHD {}: virtual size {}, {} of {} blocks allocated", file.type, path,
                    file.virtualSize, file.allocatedBlocks, file.blockCount());
            return file;
        } catch (VhdFormatException e) {
            closeAfterFailure(channel, e);
            throw new VhdCorruptException(path, e);
        } catch (IOException e) {
            ImageIoException failure = new ImageIoException("could not read the VHD file", path, e);
            closeAfterFailure(channel, failure);
            throw failure;
        } catch (RuntimeException e) {
            closeAfterFailure(channel, e);
            throw e;
        }
    }

    /**
     * Creates a differencing disk at {@code child} whose parent is {@code parent}, with the
     * parent's block size (2 MiB for a fixed parent), and opens it for writing with the parent
     * attached. The new disk shows exactly the parent: no block is allocated.
     *
     * @param child where the new disk goes; must not exist
     * @param parent the parent, open
     * @return the new disk, open for writing; close it (the parent stays open)
     * @throws VhdException when {@code child} exists or a path does not fit a locator
     * @throws ImageIoException when the file cannot be written
     * @see #createDifferencing(Path, VhdFile, long)
     */
    public static VhdFile createDifferencing(Path child, VhdFile parent) {
        return createDifferencing(child, parent, parent.blockSize().orElse(VhdDynamicHeader.DEFAULT_BLOCK_SIZE));
    }

    /**
     * Creates a differencing disk at {@code child} whose parent is {@code parent}, and opens it for
     * writing with the parent attached. The file is written to a temporary sibling and renamed, so
     * it appears whole or not at all.
     *
     * <p>The child records the parent's unique id, its modification time and its file name, and
     * two locators: {@code W2ku} with the parent's absolute path and {@code W2ru} with the path
     * relative to the child's directory (Windows separators), both UTF-16LE, each in a reserved
     * space of whole sectors (data space stored in bytes, as Windows does). Its footer has the
     * parent's virtual size as current size and the parent's geometry, with creator application
     * {@code "dimg"}: qemu sizes it by that geometry unless the geometry is maximal, which gives
     * the parent's size either way, and readers that use the current size agree.
     *
     * @param child where the new disk goes; must not exist
     * @param parent the parent, open
     * @param blockSize the child's block size, a power of two from 512 bytes to 256 MiB
     * @return the new disk, open for writing; close it (the parent stays open)
     * @throws VhdException when {@code child} exists, the block size is not allowed or a path
     *         does not fit a locator
     * @throws ImageIoException when the file cannot be written
     */
    public static VhdFile createDifferencing(Path child, VhdFile parent, long blockSize) {
        Objects.requireNonNull(child, "child");
        Objects.requireNonNull(parent, "parent");
        try {
            VhdDynamicHeader.requireBlockSize(blockSize, 0);
        } catch (VhdFormatException e) {
            throw new VhdException(child, "cannot be created: " + e.reason(), e);
        }
        if (java.nio.file.Files.exists(child, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new VhdException(child, "already exists", null);
        }
        Path absoluteParent = parent.path().toAbsolutePath().normalize();
        Path childDirectory = child.toAbsolutePath().normalize().getParent();
        String parentName = absoluteParent.getFileName().toString();
        if (parentName.getBytes(java.nio.charset.StandardCharsets.UTF_16BE).length
                > VhdDynamicHeader.PARENT_NAME_BYTES) {
            throw new VhdException(child, "cannot name its parent: the file name " + UntrustedText.sanitize(parentName)
                    + " is longer than the header's " + VhdDynamicHeader.PARENT_NAME_BYTES + " bytes", null);
        }
        List<VhdCreator.Locator> locators = new ArrayList<>();
        for (long platform : new long[] {VhdParentLocator.W2KU, VhdParentLocator.W2RU}) {
            locators.add(new VhdCreator.Locator(platform, VhdParentLocator.encode(platform,
                    ParentLocatorPaths.textFor(platform, childDirectory, absoluteParent))));
        }
        long virtualSize = parent.virtualSize();
        VhdFooter parentFooter = parent.footer();
        // Sized like the parent: its virtual size as current size, its geometry, creator "dimg".
        VhdFooter sizing = new VhdFooter(VhdFooter.FEATURES_RESERVED, VhdFooter.FORMAT_VERSION, VhdFooter.SIZE, 0,
                CREATOR_APP, CREATOR_VERSION, CREATOR_HOST_OS, virtualSize, virtualSize, parentFooter.geometry(),
                VhdDiskType.DIFFERENCING.code(), 0, parent.uniqueId(), 0);
        VhdCreator.ParentLink link = new VhdCreator.ParentLink(parent.uniqueId(), VhdChain.vhdSeconds(parent.path()),
                parentName, locators);

        Path temporary = childDirectory.resolve("." + child.getFileName() + "." + UUID.randomUUID() + ".part");
        boolean moved = false;
        try {
            VhdCreator.create(temporary, sizing, blockSize, UUID.randomUUID(), link);
            java.nio.file.Files.move(temporary, child, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            moved = true;
        } catch (IOException e) {
            throw new ImageIoException("could not create the differencing VHD", child, e);
        } finally {
            if (!moved) {
                try {
                    java.nio.file.Files.deleteIfExists(temporary);
                } catch (IOException e) {
                    LOG.warn("could not delete the temporary file {}: {}", temporary, e.toString());
                }
            }
        }
        LOG.debug("created differencing VHD {} with parent {}", child, parent.path());
        VhdFile created = openForWriting(child);
        created.attachParent(parent);
        return created;
    }

    /**
     * Attaches the parent whose data the unallocated sectors of this differencing disk show. The
     * parent stays open as long as this file reads through it and is not closed with it.
     *
     * @param parent the parent, open
     * @throws VhdParentException when this is not a differencing disk, the parent's unique id is
     *         not the one this disk names, or the parent already reads through this disk
     */
    void attachParent(VhdFile parent) {
        Objects.requireNonNull(parent, "parent");
        if (type != VhdDiskType.DIFFERENCING) {
            throw new VhdParentException(path, "is a " + type.name().toLowerCase(java.util.Locale.ROOT)
                    + " disk, which has no parent");
        }
        if (!parent.uniqueId().equals(header.parentUniqueId())) {
            throw new VhdParentException(path, "names a parent with unique id " + header.parentUniqueId()
                    + ", but " + parent.path() + " has unique id " + parent.uniqueId());
        }
        for (VhdFile ancestor = parent; ancestor != null; ancestor = ancestor.parent) {
            if (ancestor == this) {
                throw new VhdParentException(path, "would become its own ancestor through " + parent.path());
            }
        }
        this.parent = parent;
    }

    /**
     * The parent attached to this differencing disk.
     *
     * @return the parent, empty when none is attached
     */
    public Optional<VhdFile> parent() {
        return Optional.ofNullable(parent);
    }

    /**
     * Reads virtual bytes from {@code virtualOffset} into {@code dst}, as much as it has room for
     * up to the end of the disk, and advances its position.
     *
     * @param virtualOffset where to start, 0 to {@link #virtualSize()}
     * @param dst where the bytes go
     * @return the number of bytes read: {@code dst.remaining()}, fewer only at the end of the disk
     * @throws IndexOutOfBoundsException when {@code virtualOffset} is negative or beyond the end
     * @throws VhdParentException when a differencing disk without an attached parent must show
     *         sectors it does not hold
     * @throws ImageIoException when the file cannot be read
     */
    public int read(long virtualOffset, ByteBuffer dst) {
        if (virtualOffset < 0 || virtualOffset > virtualSize) {
            throw new IndexOutOfBoundsException("offset " + virtualOffset + " outside the virtual disk of "
                    + virtualSize + " bytes");
        }
        int length = (int) Math.min(dst.remaining(), virtualSize - virtualOffset);
        ByteBuffer out = dst.slice(dst.position(), length);
        try {
            readInto(virtualOffset, out);
        } catch (IOException e) {
            throw new ImageIoException("could not read the VHD file", path, e);
        }
        dst.position(dst.position() + length);
        return length;
    }

    /**
     * Writes {@code src}'s remaining bytes at {@code virtualOffset} of the virtual disk and
     * advances its position. In a dynamic or differencing disk an unallocated block is allocated
     * first: its sector bitmap (all clear) and data area are appended where the end footer was,
     * the footer is written after them, then the table entry; a sector written only in part is
     * first filled with what it showed (zeros, or the parent's data), so that setting its bit
     * changes nothing but the bytes written.
     *
     * @param virtualOffset where to write, 0 or more
     * @param src the bytes
     * @throws IllegalStateException when the file was opened read-only
     * @throws IndexOutOfBoundsException when the bytes would not fit the virtual disk
     * @throws VhdParentException when a partly written sector must come from a parent that is
     *         not attached
     * @throws ImageIoException when the file cannot be written
     */
    public void write(long virtualOffset, ByteBuffer src) {
        if (!writable) {
            throw new IllegalStateException(path + " was opened read-only");
        }
        int length = src.remaining();
        if (virtualOffset < 0 || virtualOffset > virtualSize || length > virtualSize - virtualOffset) {
            throw new IndexOutOfBoundsException(length + " bytes at offset " + virtualOffset
                    + " do not fit the virtual disk of " + virtualSize + " bytes");
        }
        try {
            if (type == VhdDiskType.FIXED) {
                writeFully(virtualOffset, src.slice());
            } else {
                writeSparse(virtualOffset, src.slice());
            }
        } catch (IOException e) {
            throw new ImageIoException("could not write the VHD file", path, e);
        }
        src.position(src.position() + length);
    }

    private void writeSparse(long virtualOffset, ByteBuffer src) throws IOException {
        forEachBlockPiece(virtualOffset, src, (block, inBlock, at, piece) -> {
            long entry = Integer.toUnsignedLong(table[block]);
            long blockStart = VhdBat.isAllocated(entry) ? entry * SECTOR : allocate(block);
            ByteBuffer bitmap = bitmap(block, blockStart);
            long data = blockStart + bitmapBytes;
            int end = inBlock + piece.remaining();
            int first = inBlock / SECTOR;
            int last = (end - 1) / SECTOR;
            fillPartialSector(bitmap, data, at - inBlock, first, inBlock, end);
            if (last != first) {
                fillPartialSector(bitmap, data, at - inBlock, last, inBlock, end);
            }
            writeFully(data + inBlock, piece);
            for (int sector = first; sector <= last; sector++) {
                VhdSectorBitmap.set(bitmap, sector, true);
            }
            writeFully(blockStart, bitmap.duplicate().clear());
        });
    }

    /** A sector the write covers only in part and the block does not hold: store what it showed first. */
    private void fillPartialSector(ByteBuffer bitmap, long data, long blockVirtualStart, int sector, int from,
            int to) throws IOException {
        int sectorStart = sector * SECTOR;
        boolean whole = from <= sectorStart && to >= sectorStart + SECTOR;
        if (whole || VhdSectorBitmap.isSet(bitmap, sector)) {
            return;
        }
        ByteBuffer shown = ByteBuffer.allocate(SECTOR);
        long virtualStart = blockVirtualStart + sectorStart;
        int inDisk = (int) Math.max(0, Math.min(SECTOR, virtualSize - virtualStart));
        readAbsent(virtualStart, shown.slice(0, inDisk));
        writeFully(data + sectorStart, shown);
    }

    /**
     * Appends block {@code block} where the end footer is: the footer first moves past the new
     * block (so a crash leaves a readable disk with a spare footer inside), then the all-clear
     * bitmap overwrites the old footer, then the table entry makes the block part of the disk.
     * The data area between is a hole that reads as zeros.
     *
     * @return the new block's file offset
     */
    private long allocate(int block) throws IOException {
        long start = VhdSectorBitmap.roundUpToSector(dataEnd);
        long sector = start / SECTOR;
        if (sector >= VhdBat.UNALLOCATED) {
            throw new VhdException(path, "has no room for another block: its table counts sectors in 32 bits", null);
        }
        long newEnd = start + bitmapBytes + header.blockSize();
        writeFully(newEnd, footer.write());
        writeFully(start, ByteBuffer.allocate((int) bitmapBytes));
        ByteBuffer entry = ByteBuffer.allocate(VhdBat.ENTRY_SIZE);
        VhdBat.put(entry, 0, sector);
        writeFully(tableOffset + (long) block * VhdBat.ENTRY_SIZE, entry);
        table[block] = (int) sector;
        dataEnd = newEnd;
        allocatedBlocks++;
        cachedBlock = -1;
        return start;
    }

    private void writeFully(long offset, ByteBuffer in) throws IOException {
        VhdCreator.writeAll(channel, offset, in);
    }

    private void readInto(long virtualOffset, ByteBuffer out) throws IOException {
        if (type == VhdDiskType.FIXED) {
            readFully(virtualOffset, out);
            return;
        }
        forEachBlockPiece(virtualOffset, out, (block, inBlock, at, piece) -> {
            long entry = Integer.toUnsignedLong(table[block]);
            if (!VhdBat.isAllocated(entry)) {
                readAbsent(at, piece);
            } else {
                readBlock(block, entry * SECTOR, inBlock, at, piece);
            }
        });
    }

    /** What to do with the part of a read or write that falls into one block. */
    @FunctionalInterface
    private interface BlockPiece {
        void apply(int block, int inBlock, long virtualOffset, ByteBuffer piece) throws IOException;
    }

    /**
     * Splits {@code buffer}'s remaining bytes, which stand for the virtual bytes from
     * {@code virtualOffset} on, at block boundaries, hands each piece (a slice of its own) to
     * {@code action}, and advances the buffer's position.
     */
    private void forEachBlockPiece(long virtualOffset, ByteBuffer buffer, BlockPiece action) throws IOException {
        long blockSize = header.blockSize();
        long at = virtualOffset;
        while (buffer.hasRemaining()) {
            int block = (int) (at / blockSize);
            int inBlock = (int) (at % blockSize);
            int n = (int) Math.min(buffer.remaining(), blockSize - inBlock);
            action.apply(block, inBlock, at, buffer.slice(buffer.position(), n));
            buffer.position(buffer.position() + n);
            at += n;
        }
    }

    /** Reads {@code out.remaining()} bytes at {@code inBlock} of an allocated block, run by run. */
    private void readBlock(int block, long blockStart, int inBlock, long virtualOffset, ByteBuffer out)
            throws IOException {
        ByteBuffer bitmap = bitmap(block, blockStart);
        int position = inBlock;
        int end = inBlock + out.remaining();
        while (position < end) {
            boolean present = VhdSectorBitmap.isSet(bitmap, position / SECTOR);
            int runEnd = (position / SECTOR + 1) * SECTOR;
            while (runEnd < end && VhdSectorBitmap.isSet(bitmap, runEnd / SECTOR) == present) {
                runEnd += SECTOR;
            }
            runEnd = Math.min(runEnd, end);
            ByteBuffer part = out.slice(position - inBlock, runEnd - position);
            if (present) {
                readFully(blockStart + bitmapBytes + position, part);
            } else {
                readAbsent(virtualOffset + (position - inBlock), part);
            }
            position = runEnd;
        }
    }

    /** Sectors this disk does not hold: the parent's (zeros beyond its end), or zeros. */
    private void readAbsent(long virtualOffset, ByteBuffer out) throws IOException {
        if (type == VhdDiskType.DIFFERENCING) {
            if (parent == null) {
                throw new VhdParentException(path, "is a differencing disk without its parent attached, which"
                        + " holds the data at virtual offset " + virtualOffset);
            }
            long fromParent = Math.max(0, Math.min(out.remaining(), parent.virtualSize - virtualOffset));
            if (fromParent > 0) {
                parent.readInto(virtualOffset, out.slice(out.position(), (int) fromParent));
            }
            zero(out.slice(out.position() + (int) fromParent, out.remaining() - (int) fromParent));
            return;
        }
        zero(out);
    }

    private ByteBuffer bitmap(int block, long blockStart) throws IOException {
        if (cachedBlock != block) {
            cachedBitmap = readMetadata(blockStart, (int) bitmapBytes);
            cachedBlock = block;
        }
        return cachedBitmap;
    }

    /**
     * The file.
     *
     * @return the path it was opened from
     */
    public Path path() {
        return path;
    }

    /**
     * The footer at the end of the file (for dynamic and differencing disks, the copy at offset 0
     * is the same disk: checked when opened).
     *
     * @return the footer
     */
    public VhdFooter footer() {
        return footer;
    }

    /**
     * The dynamic disk header.
     *
     * @return the header, empty for a fixed disk
     */
    public Optional<VhdDynamicHeader> dynamicHeader() {
        return Optional.ofNullable(header);
    }

    /**
     * The size of the virtual disk, as qemu computes it (geometry or current size by creator).
     *
     * @return bytes
     */
    public long virtualSize() {
        return virtualSize;
    }

    /**
     * The disk type.
     *
     * @return fixed, dynamic or differencing
     */
    public VhdDiskType diskType() {
        return type;
    }

    /**
     * The disk's unique id, which a child names as its parent.
     *
     * @return the footer's unique id
     */
    public UUID uniqueId() {
        return footer.uniqueId();
    }

    /**
     * When the disk was created or last changed, as the footer records it.
     *
     * @return the footer's time stamp
     */
    public Instant timestamp() {
        return footer.time();
    }

    /**
     * The unique id of the parent a differencing disk names.
     *
     * @return the parent's id; empty unless this is a differencing disk
     */
    public Optional<UUID> parentUniqueId() {
        return isDifferencing() ? Optional.of(header.parentUniqueId()) : Optional.empty();
    }

    /**
     * The parent's time stamp a differencing disk records (copying a chain changes it; a mismatch
     * is worth reporting, not fatal).
     *
     * @return the recorded time; empty unless this is a differencing disk
     */
    public Optional<Instant> parentTimestamp() {
        return isDifferencing() ? Optional.of(VhdFooter.EPOCH.plusSeconds(header.parentTimestamp()))
                : Optional.empty();
    }

    /**
     * The parent's file name a differencing disk records, as stored (hostile text: sanitize
     * before showing it).
     *
     * @return the name; empty unless this is a differencing disk
     */
    public Optional<String> parentName() {
        return isDifferencing() ? Optional.of(header.parentName()) : Optional.empty();
    }

    /**
     * The used parent locators of a differencing disk, decoded, in entry order.
     *
     * @return the locators; empty for fixed and dynamic disks
     */
    public List<ParentLocator> parentLocators() {
        return locators;
    }

    /**
     * The size of a data block.
     *
     * @return bytes; empty for a fixed disk
     */
    public OptionalLong blockSize() {
        return header == null ? OptionalLong.empty() : OptionalLong.of(header.blockSize());
    }

    /**
     * The number of entries of the block allocation table.
     *
     * @return the entry count; 0 for a fixed disk
     */
    public int blockCount() {
        return table == null ? 0 : table.length;
    }

    /**
     * The number of blocks the table allocates.
     *
     * @return 0 to {@link #blockCount()}
     */
    public int allocatedBlocks() {
        return allocatedBlocks;
    }

    /**
     * Whether block {@code block} is allocated.
     *
     * @param block 0 to {@link #blockCount()} - 1
     * @return whether its table entry names a block
     * @throws IndexOutOfBoundsException for another block number (every number for a fixed disk)
     */
    public boolean isAllocated(int block) {
        Objects.checkIndex(block, blockCount());
        return VhdBat.isAllocated(Integer.toUnsignedLong(table[block]));
    }

    /**
     * The runs of sectors block {@code block} holds and does not hold, in order, by its sector
     * bitmap; an unallocated block is one run of absent sectors.
     *
     * @param block 0 to {@link #blockCount()} - 1
     * @return runs covering every sector of the block
     * @throws IndexOutOfBoundsException for another block number
     * @throws ImageIoException when the bitmap cannot be read
     */
    public List<VhdSectorBitmap.Run> sectorRuns(int block) {
        Objects.checkIndex(block, blockCount());
        int sectors = (int) (header.blockSize() / SECTOR);
        long entry = Integer.toUnsignedLong(table[block]);
        if (!VhdBat.isAllocated(entry)) {
            return List.of(new VhdSectorBitmap.Run(0, sectors, false));
        }
        try {
            return VhdSectorBitmap.runs(bitmap(block, entry * SECTOR), sectors);
        } catch (IOException e) {
            throw new ImageIoException("could not read the VHD file", path, e);
        }
    }

    /**
     * Where block {@code block}'s sector bitmap starts in the file (its data follows the bitmap).
     *
     * @param block an allocated block
     * @return the byte offset its table entry names
     */
    long blockOffset(int block) {
        Objects.checkIndex(block, blockCount());
        return Integer.toUnsignedLong(table[block]) * SECTOR;
    }

    /**
     * Where the end footer sits: the end of the data area.
     *
     * @return the footer's offset, file size minus 512 when opened
     */
    long dataEnd() {
        return dataEnd;
    }

    /**
     * Syncs what was written to the storage device (data and metadata), so that it survives a
     * crash from now on.
     *
     * @throws ImageIoException when syncing fails
     */
    void force() {
        try {
            channel.force(true);
        } catch (IOException e) {
            throw new ImageIoException("could not sync the VHD file", path, e);
        }
    }

    /**
     * Closes the file (not an attached parent).
     *
     * @throws ImageIoException when closing fails
     */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new ImageIoException("could not close the VHD file", path, e);
        }
    }

    private boolean isDifferencing() {
        return type == VhdDiskType.DIFFERENCING;
    }

    private int[] readTable(long tableOffset, int entries) throws IOException {
        ByteBuffer bytes = readMetadata(tableOffset, entries * VhdBat.ENTRY_SIZE);
        int[] entriesRead = new int[entries];
        bytes.asIntBuffer().get(entriesRead);
        return entriesRead;
    }

    private List<ParentLocator> readLocators(long dataOffset, long endAt) throws IOException {
        List<ParentLocator> found = new ArrayList<>();
        for (int slot = 0; slot < VhdDynamicHeader.LOCATOR_COUNT; slot++) {
            VhdParentLocator locator = header.parentLocators().get(slot);
            if (locator.isEmpty()) {
                continue;
            }
            long at = VhdDynamicHeader.locatorAt(dataOffset, slot);
            long offset = locator.requireDataWithin(at, slot, endAt);
            long space = locator.dataSpaceBytes(at);
            requireWithin(offset, space, endAt, VhdFormatException.Kind.MALFORMED,
                    "VHD parent locator " + slot + " reserved space");
            if (locator.dataLength() > MAX_LOCATOR_BYTES) {
                throw new VhdFormatException(VhdFormatException.Kind.MALFORMED, at, "VHD parent locator " + slot
                        + " holds " + locator.dataLength() + " bytes, more than a path of " + MAX_LOCATOR_BYTES);
            }
            int length = (int) locator.dataLength();
            found.add(new ParentLocator(slot, locator.platform(), locator.decode(readMetadata(offset, length),
                    length)));
        }
        return List.copyOf(found);
    }

    /**
     * Every allocated block inside the data area and clear of the metadata and of every other
     * block, so that reading (and, later, writing) one never touches another structure.
     *
     * @return the number of allocated blocks
     */
    private int checkLayout(long dataOffset, long tableOffset, long endAt) {
        List<long[]> metadata = new ArrayList<>();
        List<String> names = new ArrayList<>();
        metadata.add(new long[] {0, VhdFooter.SIZE});
        names.add("footer copy");
        metadata.add(new long[] {dataOffset, dataOffset + VhdDynamicHeader.SIZE});
        names.add("dynamic disk header");
        metadata.add(new long[] {tableOffset, VhdSectorBitmap.roundUpToSector(tableOffset + header.tableBytes())});
        names.add("block allocation table");
        for (int slot = 0; slot < VhdDynamicHeader.LOCATOR_COUNT && isDifferencing(); slot++) {
            VhdParentLocator locator = header.parentLocators().get(slot);
            if (!locator.isEmpty()) {
                long at = VhdDynamicHeader.locatorAt(dataOffset, slot);
                metadata.add(new long[] {locator.dataOffset(), locator.dataOffset() + locator.dataSpaceBytes(at)});
                names.add("parent locator " + slot + " data");
            }
        }
        for (int i = 0; i < metadata.size(); i++) {
            for (int j = i + 1; j < metadata.size(); j++) {
                long[] a = metadata.get(i);
                long[] b = metadata.get(j);
                if (a[0] < b[1] && b[0] < a[1]) {
                    throw overlap(Math.max(a[0], b[0]), "VHD " + names.get(i) + " at offset "
                            + a[0] + " and " + names.get(j) + " at offset " + b[0] + " overlap");
                }
            }
        }
        long span = bitmapBytes + header.blockSize();
        long[] starts = new long[table.length];
        int count = 0;
        for (int block = 0; block < table.length; block++) {
            long entry = Integer.toUnsignedLong(table[block]);
            if (VhdBat.isAllocated(entry)) {
                starts[count++] = VhdBat.requireBlockWithin(block, entry, header.blockSize(), endAt);
            }
        }
        long[] sorted = Arrays.copyOf(starts, count);
        Arrays.sort(sorted);
        for (int i = 1; i < count; i++) {
            if (sorted[i] < sorted[i - 1] + span) {
                throw overlap(sorted[i], "VHD data blocks at offsets " + sorted[i - 1] + " and "
                        + sorted[i] + " overlap");
            }
        }
        for (int i = 0; i < metadata.size(); i++) {
            long[] region = metadata.get(i);
            // The last block that starts before the region ends is the only one that can reach into it.
            int index = Arrays.binarySearch(sorted, region[1]);
            int last = (index >= 0 ? index : -index - 1) - 1;
            if (last >= 0 && sorted[last] + span > region[0]) {
                throw overlap(sorted[last], "VHD data block at offset " + sorted[last]
                        + " overlaps the " + names.get(i) + " at offset " + region[0]);
            }
        }
        return count;
    }

    private static VhdFormatException overlap(long offset, String reason) {
        return new VhdFormatException(VhdFormatException.Kind.OUT_OF_BOUNDS, offset, reason);
    }

    private static void requireChecksum(ByteBuffer bytes, long at, String what) {
        if (!VhdFooter.checksumMatches(bytes)) {
            throw new VhdFormatException(VhdFormatException.Kind.BAD_CHECKSUM, at + VhdFooter.OFF_CHECKSUM,
                    "VHD " + what + " checksum does not match its contents");
        }
    }

    private static void requireWithin(long offset, long length, long limit, VhdFormatException.Kind kind,
            String what) {
        if (offset < 0 || length < 0 || offset > limit || length > limit - offset) {
            throw new VhdFormatException(kind, Math.max(offset, 0), what + " at offset " + offset + " with length "
                    + length + " lies outside the data area of " + limit + " bytes");
        }
    }

    private ByteBuffer readMetadata(long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        readFully(offset, buffer);
        buffer.flip();
        return buffer;
    }

    /** Fills {@code out} from {@code offset}; the file changing size under us is an error. */
    private void readFully(long offset, ByteBuffer out) throws IOException {
        long at = offset;
        while (out.hasRemaining()) {
            int n = channel.read(out, at);
            if (n < 0) {
                throw new EOFException("the file ends at " + at + ", before the " + out.remaining()
                        + " bytes the VHD structures promise");
            }
            at += n;
        }
    }

    private static void zero(ByteBuffer out) {
        while (out.hasRemaining()) {
            out.put(ZEROS, 0, Math.min(ZEROS.length, out.remaining()));
        }
    }

    private static void closeAfterFailure(FileChannel channel, Exception failure) {
        try {
            channel.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }
}
