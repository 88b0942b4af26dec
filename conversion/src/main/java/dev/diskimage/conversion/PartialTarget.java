package dev.diskimage.conversion;

import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.OrphanedFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The temporary sibling qemu-img writes instead of the target, so the target appears whole (by
 * an atomic rename) or not at all.
 *
 * <p>Its name, {@code .NAME.diskimage-partial-<pid>-<random>}, carries the pid of the JVM that
 * made it. A JVM killed with SIGKILL runs no cleanup, so the next conversion into the same
 * directory removes every sibling whose JVM is no longer alive ({@link #removeStale(Path)}, by
 * the rules of {@link OrphanedFiles}).
 *
 * <p>Public for the other packages of this module that write a file target from a stream (the
 * image download flows); not a general-purpose API.
 */
public final class PartialTarget {
    private static final Logger LOG = LoggerFactory.getLogger(PartialTarget.class);
    static final String MARKER = ".diskimage-partial-";
    private static final Pattern NAME = Pattern.compile("^\\..*" + Pattern.quote(MARKER) + "(\\d{1,19})-[0-9a-f]{16}$");
    // File names are at most 255 bytes on Linux file systems; the sibling adds about 50.
    private static final int MAX_BASE_LENGTH = 180;
    private static final Path URANDOM = Path.of("/dev/urandom");

    private final Path target;
    private final Path partial;

    private PartialTarget(Path target, Path partial) {
        this.target = target;
        this.partial = partial;
    }

    /**
     * A fresh sibling name beside {@code target}; nothing is created yet (the writer creates it).
     *
     * @param target the file that appears on {@link #commit()}
     * @return the sibling
     * @throws IllegalArgumentException if {@code target} is a directory: nothing could be renamed
     *     onto it, so the writer must not start
     */
    public static PartialTarget beside(Path target) {
        if (Files.isDirectory(target)) {
            throw new IllegalArgumentException("the target " + target + " is a directory, not a file");
        }
        Path absolute = target.toAbsolutePath();
        String base = absolute.getFileName().toString();
        // At exactly MAX_BASE_LENGTH the cut changes nothing: ">" and ">=" are equivalent.
        if (base.length() > MAX_BASE_LENGTH) {
            base = base.substring(0, MAX_BASE_LENGTH);
        }
        byte[] random = randomBytes(8);
        String name = "." + base + MARKER + OrphanedFiles.ownerTag() + "-" + HexFormat.of().formatHex(random);
        return new PartialTarget(absolute, absolute.resolveSibling(name));
    }

    /**
     * Unpredictable bytes for the name: qemu-img creates the sibling without O_EXCL and follows a
     * link put there, so in a directory others can write the name must not be guessable. Read
     * from /dev/urandom: the first {@link SecureRandom} of a JVM loads the security providers,
     * about 0.1 s of a conversion's fixed cost.
     */
    static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        try (InputStream in = Files.newInputStream(URANDOM)) {
            // Either source gives random bytes: a mutant of this test is equivalent.
            if (in.readNBytes(bytes, 0, count) == count) {
                return bytes;
            }
        } catch (IOException e) {
            // Not Linux, or no /dev: the slower source below is as good.
        }
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }

    /**
     * The sibling the writer writes.
     *
     * @return its absolute path
     */
    public Path path() {
        return partial;
    }

    /**
     * The file that appears on {@link #commit()}.
     *
     * @return its absolute path
     */
    public Path target() {
        return target;
    }

    /**
     * Makes the written sibling durable and moves it onto the target in one step: fsync of the
     * file, rename (replacing an older target), fsync of the directory so the rename survives a
     * crash.
     *
     * @throws ImageIoException if a step fails; the sibling is removed then
     */
    public void commit() {
        // The two force(true) calls: only a crash shows a missing fsync, so their mutants survive.
        try {
            try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            try (FileChannel directory = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
                directory.force(true);
            }
        } catch (IOException e) {
            discard();
            throw new ImageIoException("cannot move the converted image into place at", target, e);
        }
    }

    /** Removes the sibling if it exists; never throws (a cleanup path). */
    public void discard() {
        try {
            Files.deleteIfExists(partial);
        } catch (IOException e) {
            LOG.warn("could not remove the partial conversion output {}: {}", partial, e.getMessage());
        }
    }

    /**
     * Removes the siblings in {@code directory} whose JVM is no longer alive.
     *
     * @param directory the directory to sweep
     * @return the files removed; an entry with such a name that is not a regular file (a
     *     directory, a link) is never one of ours: it is kept, logged, and not returned
     */
    public static List<Path> removeStale(Path directory) {
        return OrphanedFiles.remove(directory, ".*" + MARKER + "*", NAME, "partial conversion output", entry -> {
            if (!Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                // Before, such an entry was kept but reported as removed.
                throw new FileSystemException(entry.toString(), null, "not a regular file; kept");
            }
            Files.deleteIfExists(entry);
        });
    }

    /** The pid a sibling's name carries, if the name is one of ours. */
    static Optional<Long> owner(String fileName) {
        return OrphanedFiles.owner(fileName, NAME);
    }
}
