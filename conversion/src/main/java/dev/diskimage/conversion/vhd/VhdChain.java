package dev.diskimage.conversion.vhd;

import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.UntrustedText;
import dev.diskimage.core.vhd.VhdDiskType;
import dev.diskimage.core.vhd.VhdFooter;
import dev.diskimage.validation.ImageValidator;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A chain of VHD files: a top disk, its differencing ancestors, and the base at the bottom, opened
 * and checked together, and the operations Cinder's {@code image_utils} performs on such chains
 * with {@code vhd-util} ({@code discover_vhd_chain}, {@code set_vhd_parent}, {@code fix_vhd_chain},
 * {@code coalesce_vhd}, {@code coalesce_chain}, {@code replace_xenserver_image_with_coalesced_vhd}),
 * in pure Java.
 *
 * <p>{@link #open(Path, VhdChainOptions) Opening} follows each differencing disk's parent locators
 * relative to that disk's own directory only (absolute paths, {@code ..} and symbolic links that
 * leave the directory are refused unless the options allow them), requires the parent to have the
 * unique id the child records, refuses loops and chains deeper than the limit, and reports a
 * parent whose modification time differs from the one the child records as a {@link #warnings()
 * warning} (copying a chain changes modification times, so it is not an error).
 *
 * <p>Not thread-safe. Closing closes every member.
 */
public final class VhdChain implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(VhdChain.class);
    private static final String VHD_SUFFIX = ".vhd";

    private final List<VhdFile> members;
    private final List<String> warnings;

    private VhdChain(List<VhdFile> members, List<String> warnings) {
        this.members = List.copyOf(members);
        this.warnings = List.copyOf(warnings);
    }

    /**
     * The files of a XenServer-style chain in {@code directory}: {@code 0.vhd}, {@code 1.vhd}, ...
     * as long as they are consecutive (Cinder's {@code discover_vhd_chain}); {@code 0.vhd} is the
     * top, the last one the base.
     *
     * @param directory the directory to look in
     * @return the files in order, empty when there is no {@code 0.vhd}
     * @throws VhdChainException {@code NOT_A_CHAIN} when a name of the sequence is not a regular
     *     file (a directory or a symbolic link, which are never followed)
     */
    public static List<Path> discover(Path directory) {
        Objects.requireNonNull(directory, "directory");
        List<Path> chain = new ArrayList<>();
        for (int n = 0;; n++) {
            Path candidate = directory.resolve(n + VHD_SUFFIX);
            if (!Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
                return List.copyOf(chain);
            }
            if (!Files.isRegularFile(candidate, LinkOption.NOFOLLOW_LINKS)) {
                throw new VhdChainException(candidate, VhdChainException.Reason.NOT_A_CHAIN,
                        "is not a regular file");
            }
            chain.add(candidate);
        }
    }

    /**
     * {@link #open(Path, VhdChainOptions)} with {@link VhdChainOptions#defaults()}.
     *
     * @param top the top of the chain
     * @return the open chain; close it
     * @throws VhdChainException when the chain cannot be followed (see the reasons)
     * @throws VhdCorruptException when a member breaks the VHD format
     * @throws ImageIoException when a file cannot be read
     */
    public static VhdChain open(Path top) {
        return open(top, VhdChainOptions.defaults());
    }

    /**
     * Opens {@code top} and every ancestor its parent locators lead to, read-only, each attached
     * to its child. An interrupted {@link #setParent} of a member is rolled back first.
     *
     * @param top the top of the chain; a fixed or dynamic disk is a chain of one
     * @param options how locators are followed and the depth limit
     * @return the open chain; close it
     * @throws VhdChainException {@code MISSING_PARENT}, {@code OUTSIDE_DIRECTORY},
     *     {@code UUID_MISMATCH} (naming both files), {@code LOOP} or {@code TOO_DEEP}
     * @throws VhdCorruptException when a member breaks the VHD format
     * @throws ImageIoException when a file cannot be read
     */
    public static VhdChain open(Path top, VhdChainOptions options) {
        Objects.requireNonNull(top, "top");
        Objects.requireNonNull(options, "options");
        List<VhdFile> opened = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        try {
            Path next = realPath(top);
            VhdFile child = null;
            while (next != null) {
                if (!seen.add(next)) {
                    throw new VhdChainException(child.path(), VhdChainException.Reason.LOOP,
                            "names " + UntrustedText.sanitize(next.toString())
                                    + " as its parent, which is already in the chain");
                }
                if (opened.size() >= options.maxDepth()) {
                    throw new VhdChainException(top, VhdChainException.Reason.TOO_DEEP,
                            "heads a chain deeper than " + options.maxDepth() + " files");
                }
                ParentRewrite.recover(next);
                VhdFile file = VhdFile.open(next);
                opened.add(file);
                if (child != null) {
                    link(child, file, warnings);
                }
                next = file.diskType() == VhdDiskType.DIFFERENCING ? ParentLocatorPaths.resolve(file, options) : null;
                child = file;
            }
            LOG.debug("opened VHD chain of {} files topped by {}", opened.size(), top);
            return new VhdChain(opened, warnings);
        } catch (RuntimeException e) {
            for (VhdFile file : opened) {
                try {
                    file.close();
                } catch (RuntimeException closing) {
                    e.addSuppressed(closing);
                }
            }
            throw e;
        }
    }

    private static void link(VhdFile child, VhdFile parent, List<String> warnings) {
        if (!child.parentUniqueId().orElseThrow().equals(parent.uniqueId())) {
            throw new VhdChainException(child.path(), VhdChainException.Reason.UUID_MISMATCH,
                    "names a parent with unique id " + child.parentUniqueId().orElseThrow() + ", but its locator leads to "
                            + UntrustedText.sanitize(parent.path().toString()) + ", whose unique id is "
                            + parent.uniqueId());
        }
        child.attachParent(parent);
        Instant recorded = child.parentTimestamp().orElseThrow();
        Instant actual = modificationTime(parent.path());
        if (!recorded.equals(actual)) {
            String warning = "VHD " + child.path() + " records its parent's modification time as " + recorded
                    + ", but " + UntrustedText.sanitize(parent.path().toString()) + " was modified at " + actual;
            LOG.debug("{}", warning);
            warnings.add(warning);
        }
    }

    /** A file's modification time as a VHD time stamp stores it: whole seconds, from 2000 on. */
    static Instant modificationTime(Path file) {
        return VhdFooter.EPOCH.plusSeconds(vhdSeconds(file));
    }

    /** A file's modification time in VHD seconds (since 2000-01-01 UTC), clamped to 32 bits. */
    static long vhdSeconds(Path file) {
        try {
            long seconds = Files.getLastModifiedTime(file).toInstant().getEpochSecond()
                    - VhdFooter.EPOCH.getEpochSecond();
            return Math.max(0, Math.min(seconds, 0xFFFFFFFFL));
        } catch (IOException e) {
            throw new ImageIoException("could not read the modification time of", file, e);
        }
    }

    private static Path realPath(Path file) {
        try {
            return file.toRealPath();
        } catch (IOException e) {
            throw new ImageIoException("could not open the VHD file", file, e);
        }
    }

    /**
     * The members, top first, base last; each open and attached to its parent.
     *
     * @return the files
     */
    public List<VhdFile> members() {
        return members;
    }

    /**
     * The top of the chain, whose virtual view the chain shows.
     *
     * @return the first member
     */
    public VhdFile top() {
        return members.get(0);
    }

    /**
     * The base of the chain: a fixed or dynamic disk.
     *
     * @return the last member
     */
    public VhdFile base() {
        return members.get(members.size() - 1);
    }

    /**
     * What the chain reported but did not refuse: parent modification times that differ from
     * the ones the children record.
     *
     * @return one sentence per finding, file names included
     */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * The size of the top's virtual disk.
     *
     * @return bytes
     */
    public long virtualSize() {
        return top().virtualSize();
    }

    /**
     * Reads the top's virtual bytes, resolved through the chain (see {@link VhdFile#read}).
     *
     * @param virtualOffset where to start, 0 to {@link #virtualSize()}
     * @param dst where the bytes go
     * @return the number of bytes read
     * @throws IndexOutOfBoundsException when {@code virtualOffset} is outside the disk
     * @throws ImageIoException when a file cannot be read
     */
    public int read(long virtualOffset, ByteBuffer dst) {
        return top().read(virtualOffset, dst);
    }

    /**
     * Closes every member.
     *
     * @throws ImageIoException when closing one fails (the others are closed still)
     */
    @Override
    public void close() {
        RuntimeException failure = null;
        for (VhdFile file : members) {
            try {
                file.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Makes {@code parent} the parent of the differencing disk {@code child} (Cinder's
     * {@code set_vhd_parent}, {@code vhd-util modify -p}): rewrites in place the parent unique
     * id, modification time and name of the child's dynamic header and every locator it uses
     * ({@code W2ku} absolute, {@code W2ru} and {@code MacX} relative to the child's directory;
     * entries of other platforms are cleared), each within the space the child reserved for it,
     * with a new header checksum. The child's data is not touched.
     *
     * <p>Crash safety: the bytes about to be overwritten are first saved to an undo file beside
     * the child and synced; a process killed while rewriting leaves the undo file, and the next
     * {@code setParent} or {@link #open} of the child restores the old header and locators from
     * it. So the child reads with either its old parent or its new one, never a mix.
     *
     * @param child a differencing disk
     * @param parent the disk to make its parent
     * @throws VhdChainException {@code NOT_A_CHAIN} when {@code child} is not a differencing disk,
     *     {@code LOCATOR_TOO_LONG} when a path or the name does not fit; nothing is changed then
     * @throws VhdCorruptException when either file breaks the VHD format
     * @throws ImageIoException when a file cannot be read or written
     */
    public static void setParent(Path child, Path parent) {
        ParentRewrite.setParent(child, parent);
    }

    /**
     * Points each file of a discovered chain at the next one (Cinder's {@code fix_vhd_chain}):
     * {@link #setParent setParent}{@code (chain[i], chain[i + 1])} for every pair.
     *
     * @param chain the files, top first, as {@link #discover} returns them
     * @throws VhdChainException as {@link #setParent} does; pairs before the failing one are
     *     already changed
     * @throws VhdCorruptException when a file breaks the VHD format
     * @throws ImageIoException when a file cannot be read or written
     */
    public static void fixChain(List<Path> chain) {
        for (int i = 0; i + 1 < chain.size(); i++) {
            setParent(chain.get(i), chain.get(i + 1));
        }
    }

    /**
     * Merges the differencing disk {@code child} into its parent (Cinder's {@code coalesce_vhd}):
     * afterwards the parent shows what the child showed (and, when the parent was larger, the
     * parent's own data beyond the child's end); the parent grows to the child's size when the
     * child is larger. The parent keeps its unique id, so the child and any other descendants
     * still open; their records of the parent's modification time no longer match (a warning).
     *
     * <p>Crash safety: the new parent is written to a temporary sibling, synced and renamed over
     * the old one; a kill leaves either the old parent or the complete new one.
     *
     * @param child a differencing disk, whose chain is opened with the default options
     * @throws VhdChainException when the chain cannot be followed, or {@code NOT_A_CHAIN} when
     *     {@code child} is not a differencing disk
     * @throws VhdCorruptException when a member breaks the VHD format
     * @throws ImageIoException when a file cannot be read or written
     */
    public static void coalesce(Path child) {
        Coalescing.coalesceIntoParent(child);
    }

    /**
     * Merges the chain topped by {@code top} into its base (Cinder's {@code coalesce_chain}): the
     * base becomes a dynamic disk showing exactly what the top showed (as large as the largest
     * member), keeping its unique id. The other members are left in place, as Cinder leaves them.
     *
     * <p>Crash safety as for {@link #coalesce}: the new base is written beside the old one and
     * renamed over it.
     *
     * @param top the top of the chain
     * @return the base, which now holds the whole chain
     * @throws VhdChainException when the chain cannot be followed
     * @throws VhdCorruptException when a member breaks the VHD format
     * @throws ImageIoException when a file cannot be read or written
     */
    public static Path coalesceChain(Path top) {
        return Coalescing.coalesceChain(top, VhdChainOptions.defaults());
    }

    /**
     * Writes what the chain topped by {@code top} shows into a new dynamic VHD at {@code output},
     * leaving the chain untouched. The output appears whole or not at all (temporary sibling,
     * sync, atomic rename), with a new unique id and the base's block size.
     *
     * @param top the top of the chain
     * @param output the new file; must not exist
     * @throws VhdException when {@code output} exists
     * @throws VhdChainException when the chain cannot be followed
     * @throws VhdCorruptException when a member breaks the VHD format
     * @throws ImageIoException when a file cannot be read or written
     */
    public static void coalesceInto(Path top, Path output) {
        Coalescing.coalesceInto(top, output, VhdChainOptions.defaults());
    }

    /**
     * Replaces a XenServer archive (a gzipped tar of {@code 0.vhd}, {@code 1.vhd}, ...) by the
     * single dynamic VHD its chain shows (Cinder's
     * {@code replace_xenserver_image_with_coalesced_vhd}): extracts it into a temporary directory
     * beside {@code file}, discovers and {@linkplain #fixChain fixes} the chain, coalesces it,
     * validates the result as {@code vpc} with {@code validator}, and renames it over
     * {@code file}. The temporary directory is removed on every outcome; {@code file} is
     * either the archive still or the complete VHD.
     *
     * @param file the archive, replaced in place
     * @param validator the validator the result must pass
     * @throws dev.diskimage.conversion.archive.ArchiveRefusedException when the archive is refused
     * @throws VhdChainException {@code NOT_A_CHAIN} when it holds no {@code 0.vhd}, or when the
     *     chain cannot be followed
     * @throws dev.diskimage.validation.ImageUnacceptableException when the result fails validation
     * @throws ImageIoException when a file cannot be read or written
     */
    public static void replaceXenServerImageWithCoalescedVhd(Path file, ImageValidator validator) {
        XenServerCoalescing.unpack(file, file, validator, true);
    }

    /**
     * Like {@link #replaceXenServerImageWithCoalescedVhd}, but leaves the archive as it is and
     * writes the coalesced VHD to {@code output} (the temporary directory goes beside it).
     *
     * @param archive the gzipped tar of {@code 0.vhd} (the top), {@code 1.vhd}, ...
     * @param output where the single dynamic VHD goes; must not exist
     * @param validator the validator the result must pass as {@code vpc}
     * @throws VhdException when {@code output} exists
     * @throws dev.diskimage.conversion.archive.ArchiveRefusedException when the archive is refused
     * @throws VhdChainException {@code NOT_A_CHAIN} when it holds no {@code 0.vhd}, or when the
     *     chain cannot be followed
     * @throws dev.diskimage.validation.ImageUnacceptableException when the result fails validation
     * @throws ImageIoException when a file cannot be read or written
     */
    public static void unpackXenServerImage(Path archive, Path output, ImageValidator validator) {
        XenServerCoalescing.unpack(archive, output, validator, false);
    }
}
