package dev.diskimage.conversion.vhd;

import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.UntrustedText;
import dev.diskimage.core.vhd.VhdDiskType;
import dev.diskimage.core.vhd.VhdDynamicHeader;
import dev.diskimage.core.vhd.VhdParentLocator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link VhdChain#setParent}: rewrites a differencing disk's parent fields in place, crash-safely
 * through an undo file beside the disk ({@code .NAME.reparent-undo}).
 *
 * <p>The undo file holds, for every region about to change (the dynamic header and each locator's
 * reserved space), its offset and old bytes, then a CRC-32 of all of it. Order: write and sync the
 * undo file and its directory; overwrite the regions and sync the disk; delete the undo file and
 * sync the directory. {@link #recover} finds an undo file: complete (its CRC matches) means the
 * rewrite may have started, so the old bytes are put back; incomplete means the disk was not yet
 * touched, so the undo file is just removed. Either way the disk is as before the rewrite.
 */
final class ParentRewrite {
    private static final Logger LOG = LoggerFactory.getLogger(ParentRewrite.class);
    private static final byte[] MAGIC = "DIMGUNDO".getBytes(StandardCharsets.US_ASCII);
    private static final String UNDO_SUFFIX = ".reparent-undo";
    /** Sane limit on an undo file: a header and eight locator spaces of at most 64 KiB. */
    private static final long MAX_UNDO_BYTES = 1L << 20;

    /** A test seam: called after each step, named; may throw to simulate a crash there. */
    static volatile java.util.function.Consumer<String> steps = step -> { };

    /** Bytes at an offset of the disk: what a rewrite writes, or what the undo file restores. */
    record Region(long offset, byte[] bytes) {
    }

    private ParentRewrite() {
    }

    static void setParent(Path child, Path parent) {
        recover(child);
        List<Region> changes;
        try (VhdFile childFile = VhdFile.open(child); VhdFile parentFile = VhdFile.open(parent)) {
            changes = plan(childFile, parentFile);
        }
        List<Region> old = new ArrayList<>();
        Path undo = undoPath(child);
        try (FileChannel channel = FileChannel.open(child, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (Region change : changes) {
                ByteBuffer before = ByteBuffer.allocate(change.bytes().length);
                readFully(channel, change.offset(), before);
                old.add(new Region(change.offset(), before.array()));
            }
            writeUndo(undo, old);
            steps.accept("undo-written");
            for (int i = 0; i < changes.size(); i++) {
                Region change = changes.get(i);
                VhdCreator.writeAll(channel, change.offset(), ByteBuffer.wrap(change.bytes()));
                steps.accept("region-" + i + "-written");
            }
            channel.force(true);
            Files.delete(undo);
            syncDirectory(undo.getParent());
            steps.accept("done");
        } catch (IOException e) {
            throw new ImageIoException("could not rewrite the parent of the VHD file", child, e);
        }
        LOG.debug("VHD {} now names {} as its parent", child, parent);
    }

    /** The new header and locator spaces, each checked to fit before anything is written. */
    private static List<Region> plan(VhdFile child, VhdFile parent) {
        if (child.diskType() != VhdDiskType.DIFFERENCING) {
            throw new VhdChainException(child.path(), VhdChainException.Reason.NOT_A_CHAIN, "is a "
                    + child.diskType().name().toLowerCase(java.util.Locale.ROOT) + " disk, which has no parent");
        }
        VhdDynamicHeader header = child.dynamicHeader().orElseThrow();
        long headerAt = child.footer().dataOffset();
        String name = parent.path().toAbsolutePath().normalize().getFileName().toString();
        if (name.getBytes(StandardCharsets.UTF_16BE).length > VhdDynamicHeader.PARENT_NAME_BYTES) {
            throw new VhdChainException(child.path(), VhdChainException.Reason.LOCATOR_TOO_LONG,
                    "cannot name its parent " + UntrustedText.sanitize(name) + ": longer than the header's "
                            + VhdDynamicHeader.PARENT_NAME_BYTES + " bytes");
        }
        Path directory = child.path().toAbsolutePath().normalize().getParent();
        List<Region> regions = new ArrayList<>();
        List<VhdParentLocator> entries = new ArrayList<>(header.parentLocators());
        for (int slot = 0; slot < entries.size(); slot++) {
            VhdParentLocator entry = entries.get(slot);
            if (entry.isEmpty()) {
                continue;
            }
            long space = entry.dataSpaceBytes(VhdDynamicHeader.locatorAt(headerAt, slot));
            String text = ParentLocatorPaths.textFor(entry.platformCode(), directory, parent.path());
            byte[] data = text == null ? new byte[0] : VhdParentLocator.encode(entry.platformCode(), text);
            if (data.length > Math.min(space, VhdFile.MAX_LOCATOR_BYTES)) {
                throw new VhdChainException(child.path(), VhdChainException.Reason.LOCATOR_TOO_LONG,
                        "has " + space + " bytes reserved for its " + entry.platform().strip() + " parent locator, but "
                                + UntrustedText.sanitize(text) + " takes " + data.length);
            }
            // The new data plus zeros over the rest of the old data: the padding beyond that is
            // not read by anyone, and the reserved space may be large (only the data is capped).
            byte[] filled = new byte[(int) Math.max(data.length, entry.dataLength())];
            System.arraycopy(data, 0, filled, 0, data.length);
            regions.add(new Region(entry.dataOffset(), filled));
            entries.set(slot, text == null ? new VhdParentLocator(VhdParentLocator.NONE, 0, 0, 0)
                    : new VhdParentLocator(entry.platformCode(), entry.dataSpace(), data.length, entry.dataOffset()));
        }
        VhdDynamicHeader rewritten = new VhdDynamicHeader(header.dataOffset(), header.tableOffset(),
                header.headerVersion(), header.maxTableEntries(), header.blockSize(), 0, parent.uniqueId(),
                VhdChain.vhdSeconds(parent.path()), name, entries);
        // The header last: until it is written, the old header describes the disk.
        regions.add(new Region(headerAt, rewritten.write().array()));
        return regions;
    }

    /**
     * Rolls back an interrupted {@link #setParent} of {@code file}, if there is one.
     *
     * @param file a VHD file
     * @throws ImageIoException when the undo file exists but cannot be applied
     */
    static void recover(Path file) {
        Path undo = undoPath(file);
        if (!Files.exists(undo, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            if (!Files.isRegularFile(undo, LinkOption.NOFOLLOW_LINKS)) {
                throw new VhdException(file, "has an undo file " + undo.getFileName()
                        + " that is not a regular file; remove it after checking", null);
            }
            List<Region> regions = readUndo(undo);
            if (regions != null && !withinFile(regions, Files.size(file))) {
                // A rewrite never grows the file: regions past its end were not written by setParent.
                throw new VhdException(file, "has an undo file " + undo.getFileName()
                        + " that names bytes beyond the end of the file; remove it after checking", null);
            }
            if (regions != null) {
                LOG.warn("VHD {}: rolling back an interrupted change of its parent", file);
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    for (Region region : regions) {
                        VhdCreator.writeAll(channel, region.offset(), ByteBuffer.wrap(region.bytes()));
                    }
                    channel.force(true);
                }
            }
            Files.delete(undo);
            syncDirectory(undo.getParent());
        } catch (IOException e) {
            throw new ImageIoException("could not roll back an interrupted change of the parent of", file, e);
        }
    }

    private static boolean withinFile(List<Region> regions, long size) {
        for (Region region : regions) {
            if (region.offset() > size || region.bytes().length > size - region.offset()) {
                return false;
            }
        }
        return true;
    }

    static Path undoPath(Path file) {
        return file.toAbsolutePath().resolveSibling("." + file.getFileName() + UNDO_SUFFIX);
    }

    static void writeUndo(Path undo, List<Region> regions) throws IOException {
        int length = MAGIC.length + Integer.BYTES + Long.BYTES;
        for (Region region : regions) {
            length += Long.BYTES + Integer.BYTES + region.bytes().length;
        }
        ByteBuffer out = ByteBuffer.allocate(length);
        out.put(MAGIC).putInt(regions.size());
        for (Region region : regions) {
            out.putLong(region.offset()).putInt(region.bytes().length).put(region.bytes());
        }
        CRC32 crc = new CRC32();
        crc.update(out.array(), 0, out.position());
        out.putLong(crc.getValue());
        out.flip();
        try (FileChannel channel = FileChannel.open(undo, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            VhdCreator.writeAll(channel, 0, out);
            channel.force(true);
        }
        syncDirectory(undo.getParent());
    }

    /** The regions of a complete undo file; null when it is incomplete or damaged. */
    static List<Region> readUndo(Path undo) throws IOException {
        long size = Files.size(undo);
        if (size < MAGIC.length + Integer.BYTES + Long.BYTES || size > MAX_UNDO_BYTES) {
            return null;
        }
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(undo));
        CRC32 crc = new CRC32();
        crc.update(in.array(), 0, in.limit() - Long.BYTES);
        if (crc.getValue() != in.getLong(in.limit() - Long.BYTES)) {
            return null;
        }
        byte[] magic = new byte[MAGIC.length];
        in.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            return null;
        }
        int count = in.getInt();
        List<Region> regions = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (in.limit() - Long.BYTES - in.position() < Long.BYTES + Integer.BYTES) {
                return null;
            }
            long offset = in.getLong();
            int length = in.getInt();
            if (offset < 0 || length < 0 || length > in.limit() - Long.BYTES - in.position()) {
                return null;
            }
            byte[] bytes = new byte[length];
            in.get(bytes);
            regions.add(new Region(offset, bytes));
        }
        return regions;
    }

    private static void readFully(FileChannel channel, long offset, ByteBuffer out) throws IOException {
        long at = offset;
        while (out.hasRemaining()) {
            int n = channel.read(out, at);
            if (n < 0) {
                throw new java.io.EOFException("the file ends at " + at);
            }
            at += n;
        }
    }

    /** Syncs a directory, so that a file created, renamed or deleted in it stays so after a crash. */
    static void syncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
