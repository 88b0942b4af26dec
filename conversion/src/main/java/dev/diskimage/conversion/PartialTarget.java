package dev.diskimage.conversion;

import dev.diskimage.core.ImageIoException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The temporary sibling qemu-img writes instead of the target, so the target appears whole (by
 * an atomic rename) or not at all.
 *
 * <p>Its name, {@code .NAME.diskimage-partial-<pid>-<random>}, carries the pid of the JVM that
 * made it. A JVM killed with SIGKILL runs no cleanup, so the next conversion into the same
 * directory removes every sibling whose JVM is no longer alive ({@link #removeStale(Path)}). A
 * sibling whose pid is alive is kept even if the pid was reused by another program: removing a
 * live conversion's file would be worse than keeping a stale one until that pid ends. (Pids are
 * only meaningful within one pid namespace: directories shared between containers can keep
 * another container's live sibling, never remove it, unless a pid happens to be free here.)
 */
final class PartialTarget {
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

    /** A fresh sibling name beside {@code target}; nothing is created yet (qemu-img creates it). */
    static PartialTarget beside(Path target) {
        Path absolute = target.toAbsolutePath();
        String base = absolute.getFileName().toString();
        if (base.length() > MAX_BASE_LENGTH) {
            base = base.substring(0, MAX_BASE_LENGTH);
        }
        byte[] random = randomBytes(8);
        String name = "." + base + MARKER + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(random);
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
            if (in.readNBytes(bytes, 0, count) == count) {
                return bytes;
            }
        } catch (IOException e) {
            // Not Linux, or no /dev: the slower source below is as good.
        }
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }

    Path path() {
        return partial;
    }

    Path target() {
        return target;
    }

    /**
     * Makes the written sibling durable and moves it onto the target in one step: fsync of the
     * file, rename (replacing an older target), fsync of the directory so the rename survives a
     * crash.
     */
    void commit() {
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
    void discard() {
        try {
            Files.deleteIfExists(partial);
        } catch (IOException e) {
            LOG.warn("could not remove the partial conversion output {}: {}", partial, e.getMessage());
        }
    }

    /**
     * Removes the siblings in {@code directory} whose JVM is no longer alive.
     *
     * @return the files removed
     */
    static List<Path> removeStale(Path directory) {
        List<Path> removed = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, ".*" + MARKER + "*")) {
            for (Path entry : entries) {
                Optional<Long> owner = owner(entry.getFileName().toString());
                if (owner.isPresent() && !alive(owner.get()) && Files.isRegularFile(entry)) {
                    Files.deleteIfExists(entry);
                    removed.add(entry);
                    LOG.info("removed {}, left behind by a conversion whose process {} is gone", entry, owner.get());
                }
            }
        } catch (IOException e) {
            // Only a missed cleanup: the conversion itself can still go ahead.
            LOG.warn("could not look for stale partial conversion outputs in {}: {}", directory, e.getMessage());
        }
        return removed;
    }

    /** The pid a sibling's name carries, if the name is one of ours. */
    static Optional<Long> owner(String fileName) {
        Matcher m = NAME.matcher(fileName);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(m.group(1)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
