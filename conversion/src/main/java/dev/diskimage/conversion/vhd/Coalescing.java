package dev.diskimage.conversion.vhd;

import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.OrphanedFiles;
import dev.diskimage.core.vhd.VhdDiskType;
import dev.diskimage.core.vhd.VhdDynamicHeader;
import dev.diskimage.core.vhd.VhdParentLocator;
import dev.diskimage.core.vhd.VhdSectorBitmap;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Coalescing for {@link VhdChain}: the upper layers of an open chain merged into a new VHD written
 * beside its destination, synced, and renamed over it (or to a new name).
 *
 * <p>What is copied: the union of the sectors the merged layers hold (by their sector bitmaps,
 * whole runs at a time, a fixed or dynamic base's blocks entirely), each read through the
 * topmost layer that covers it, in pieces of up to {@link #CHUNK} bytes. A new dynamic disk skips
 * pieces that read as zeros; a new differencing disk stores them, since they hide its parent.
 */
final class Coalescing {
    private static final Logger LOG = LoggerFactory.getLogger(Coalescing.class);
    private static final int SECTOR = VhdSectorBitmap.SECTOR;
    /** The largest read and write: big sequential I/O without holding much memory. */
    static final int CHUNK = 4 << 20;
    /** Marks the merged disk being written beside its destination; the pid of the writer follows. */
    static final String MARKER = ".vhd-partial-";
    /** A sibling's name: {@code .NAME.vhd-partial-<pid>-<16 hex digits>}; group 1 is the pid. */
    private static final Pattern SIBLING = Pattern.compile("^\\..*" + Pattern.quote(MARKER)
            + "(\\d{1,19})-[0-9a-f]{16}$");

    /** A test seam: called after each step, named; may throw to simulate a crash there. */
    static volatile Consumer<String> steps = step -> { };

    private Coalescing() {
    }

    static void coalesceIntoParent(Path child) {
        try (VhdChain chain = VhdChain.open(child)) {
            if (chain.members().size() < 2) {
                throw new VhdChainException(child, VhdChainException.Reason.NOT_A_CHAIN,
                        "is not a differencing disk; there is no parent to coalesce it into");
            }
            VhdFile parent = chain.members().get(1);
            VhdCreator.ParentLink link = parent.diskType() == VhdDiskType.DIFFERENCING ? linkOf(parent) : null;
            replace(chain.members(), 2, parent, link);
        }
    }

    static Path coalesceChain(Path top, VhdChainOptions options) {
        try (VhdChain chain = VhdChain.open(top, options)) {
            VhdFile base = chain.base();
            if (chain.members().size() == 1 && base.diskType() != VhdDiskType.FIXED) {
                return base.path();
            }
            replace(chain.members(), chain.members().size(), base, null);
            return base.path();
        }
    }

    static void coalesceInto(Path top, Path output, VhdChainOptions options) {
        if (Files.exists(output, LinkOption.NOFOLLOW_LINKS)) {
            throw new VhdException(output, "already exists", null);
        }
        try (VhdChain chain = VhdChain.open(top, options)) {
            long blockSize = chain.base().blockSize().orElse(VhdDynamicHeader.DEFAULT_BLOCK_SIZE);
            writeAndRename(chain.members(), chain.members().size(), output, blockSize, UUID.randomUUID(), null,
                    false);
        }
    }

    /** Replaces {@code target} (a member) by the merge of the first {@code merged} members. */
    private static void replace(List<VhdFile> members, int merged, VhdFile target, VhdCreator.ParentLink link) {
        long blockSize = target.blockSize().orElse(VhdDynamicHeader.DEFAULT_BLOCK_SIZE);
        writeAndRename(members, merged, target.path(), blockSize, target.uniqueId(), link, true);
    }

    private static void writeAndRename(List<VhdFile> members, int merged, Path destination, long blockSize,
            UUID uniqueId, VhdCreator.ParentLink link, boolean replacing) {
        Path directory = destination.toAbsolutePath().getParent();
        // A sibling left by a writer killed earlier (kill -9 runs no cleanup) goes first.
        OrphanedFiles.remove(directory, "*" + MARKER + "*", SIBLING, "partial coalesced VHD", entry -> {
            if (Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                Files.deleteIfExists(entry);
            }
        });
        Path temporary = directory.resolve("." + destination.getFileName() + MARKER + OrphanedFiles.ownerTag() + "-"
                + String.format(java.util.Locale.ROOT, "%016x", UUID.randomUUID().getLeastSignificantBits()));
        boolean renamed = false;
        try {
            VhdFile sizeSource = largest(members.subList(0, merged));
            VhdCreator.create(temporary, sizeSource.footer(), blockSize, uniqueId, link);
            steps.accept("created");
            try (VhdFile out = VhdFile.openForWriting(temporary)) {
                copy(members.subList(0, merged), out, link == null);
                steps.accept("copied");
                out.force();
            }
            steps.accept("synced");
            if (replacing) {
                copyPermissions(destination, temporary);
                Files.move(temporary, destination, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                // Refuses an output that appeared meanwhile: a hard link is atomic and never replaces.
                Files.createLink(destination, temporary);
                Files.delete(temporary);
            }
            renamed = true;
            ParentRewrite.syncDirectory(directory);
            steps.accept("renamed");
        } catch (IOException e) {
            throw new ImageIoException("could not write the coalesced VHD", destination, e);
        } finally {
            if (!renamed) {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException e) {
                    LOG.warn("could not delete the temporary file {}: {}", temporary, e.toString());
                }
            }
        }
        LOG.debug("coalesced {} VHD files into {}", merged, destination);
    }

    /** The replaced file's owner-visible permissions carry over to its replacement. */
    private static void copyPermissions(Path from, Path to) throws IOException {
        if (Files.getFileStore(to).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class)) {
            Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(from));
        }
    }

    /** The first (topmost) of the largest members: its footer sizes the result. */
    private static VhdFile largest(List<VhdFile> layers) {
        VhdFile largest = layers.get(0);
        for (VhdFile layer : layers) {
            if (layer.virtualSize() > largest.virtualSize()) {
                largest = layer;
            }
        }
        return largest;
    }

    /** Copies every sector the layers hold, through the topmost layer covering it, into {@code out}. */
    private static void copy(List<VhdFile> layers, VhdFile out, boolean skipZeros) {
        long[][] ranges = heldRanges(layers);
        ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
        long copied = 0;
        for (long[] range : ranges) {
            long at = range[0];
            while (at < range[1]) {
                VhdFile source = topmostCovering(layers, at);
                long end = Math.min(range[1], source.virtualSize());
                // Pieces end at chunk boundaries, so that consecutive ranges give aligned, large I/O.
                int length = (int) Math.min(end - at, CHUNK - at % CHUNK);
                buffer.clear().limit(length);
                source.read(at, buffer);
                buffer.flip();
                if (!(skipZeros && isZero(buffer))) {
                    out.write(at, buffer);
                    copied += length;
                }
                at += length;
            }
        }
        LOG.debug("copied {} bytes into {}", copied, out.path());
    }

    private static VhdFile topmostCovering(List<VhdFile> layers, long offset) {
        for (VhdFile layer : layers) {
            if (layer.virtualSize() > offset) {
                return layer;
            }
        }
        throw new IllegalStateException("no layer covers offset " + offset);
    }

    /** The virtual byte ranges any layer holds, sorted and merged, as {start, end} pairs. */
    static long[][] heldRanges(List<VhdFile> layers) {
        List<long[]> ranges = new ArrayList<>();
        for (VhdFile layer : layers) {
            long size = layer.virtualSize();
            if (layer.diskType() == VhdDiskType.FIXED) {
                ranges.add(new long[] {0, size});
                continue;
            }
            long blockSize = layer.blockSize().orElseThrow();
            for (int block = 0; block < layer.blockCount(); block++) {
                if (!layer.isAllocated(block)) {
                    continue;
                }
                long blockStart = block * blockSize;
                for (VhdSectorBitmap.Run run : layer.sectorRuns(block)) {
                    if (run.present()) {
                        long start = blockStart + (long) run.firstSector() * SECTOR;
                        long end = Math.min(size, start + (long) run.sectors() * SECTOR);
                        if (start < end) {
                            ranges.add(new long[] {start, end});
                        }
                    }
                }
            }
        }
        ranges.sort((a, b) -> Long.compare(a[0], b[0]));
        List<long[]> mergedRanges = new ArrayList<>();
        for (long[] range : ranges) {
            long[] last = mergedRanges.isEmpty() ? null : mergedRanges.get(mergedRanges.size() - 1);
            if (last != null && range[0] <= last[1]) {
                last[1] = Math.max(last[1], range[1]);
            } else {
                mergedRanges.add(range.clone());
            }
        }
        return mergedRanges.toArray(long[][]::new);
    }

    private static boolean isZero(ByteBuffer buffer) {
        ByteBuffer view = buffer.duplicate();
        while (view.remaining() >= Long.BYTES) {
            if (view.getLong() != 0) {
                return false;
            }
        }
        while (view.hasRemaining()) {
            if (view.get() != 0) {
                return false;
            }
        }
        return true;
    }

    /** What a differencing parent records of its own parent, to give the disk that replaces it. */
    private static VhdCreator.ParentLink linkOf(VhdFile disk) {
        VhdDynamicHeader header = disk.dynamicHeader().orElseThrow();
        List<VhdCreator.Locator> locators = new ArrayList<>();
        for (VhdFile.ParentLocator locator : disk.parentLocators()) {
            long code = header.parentLocators().get(locator.slot()).platformCode();
            if (code == VhdParentLocator.W2KU || code == VhdParentLocator.W2RU || code == VhdParentLocator.MACX) {
                locators.add(new VhdCreator.Locator(code, VhdParentLocator.encode(code, locator.path())));
            }
        }
        return new VhdCreator.ParentLink(header.parentUniqueId(), header.parentTimestamp(), header.parentName(),
                locators);
    }
}
