package dev.diskimage.core;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Temporary files and directories whose names carry the pid of the JVM that made them, so that
 * what a JVM killed with SIGKILL left behind (it runs no cleanup) can be recognised and removed
 * by the next JVM that works in the same directory: partial conversion outputs, secret
 * directories.
 *
 * <p>An entry whose pid is alive is kept even if the pid was reused by another program: removing
 * a live operation's file would be worse than keeping a stale one until that pid ends. Pids are
 * only meaningful within one pid namespace: a directory shared between containers can keep
 * another container's live entry, never remove it, unless a pid happens to be free here. Only
 * entries owned by this process's user are touched, and links are never followed.
 */
public final class OrphanedFiles {
    private static final Logger LOG = LoggerFactory.getLogger(OrphanedFiles.class);

    private OrphanedFiles() {
    }

    /** How one orphaned entry is removed (a file deleted, a secret wiped first). */
    @FunctionalInterface
    public interface Removal {
        /**
         * Removes {@code entry}.
         *
         * @param entry a file or directory (not a link) owned by this process's user
         * @throws IOException if it cannot be removed
         */
        void remove(Path entry) throws IOException;
    }

    /**
     * The pid of this JVM, as it goes into a name.
     *
     * @return the current process id in decimal
     */
    public static String ownerTag() {
        return Long.toString(ProcessHandle.current().pid());
    }

    /**
     * The pid a name carries.
     *
     * @param fileName a file name
     * @param name     the pattern of such names, whose group 1 is the pid (at most 19 digits)
     * @return the pid, or empty when the name does not match or the number is out of range
     */
    public static Optional<Long> owner(String fileName, Pattern name) {
        Matcher m = name.matcher(fileName);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(m.group(1)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Removes the entries of {@code directory} whose names match {@code name} and whose JVM is
     * no longer alive. A failure is logged, not thrown: a missed cleanup must not stop the
     * operation that asked for it.
     *
     * @param directory the directory to look in
     * @param glob      a glob that preselects candidate names (cheap filtering by the file system)
     * @param name      the exact pattern of such names; group 1 is the pid
     * @param what      what such an entry is, for the log ("partial conversion output")
     * @param removal   how one entry is removed
     * @return the entries removed
     */
    public static List<Path> remove(Path directory, String glob, Pattern name, String what, Removal removal) {
        List<Path> removed = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, glob)) {
            for (Path entry : entries) {
                Optional<Long> owner = owner(entry.getFileName().toString(), name);
                if (owner.isPresent() && !alive(owner.get()) && removeOne(entry, what, removal)) {
                    removed.add(entry);
                    LOG.info("removed {} {}, left behind by process {} that is gone", what, entry, owner.get());
                }
            }
        } catch (IOException e) {
            LOG.warn("could not look for stale {} in {}: {}", what, directory, IoErrorText.describe(e));
        }
        return removed;
    }

    private static boolean removeOne(Path entry, String what, Removal removal) {
        try {
            if (!ownedByUs(entry)) {
                return false;
            }
            removal.remove(entry);
            return true;
        } catch (IOException e) {
            LOG.warn("could not remove stale {} {}: {}", what, entry, IoErrorText.describe(e));
            return false;
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static boolean ownedByUs(Path entry) throws IOException {
        if (Files.isSymbolicLink(entry)) {
            return false;
        }
        return Files.getOwner(entry, LinkOption.NOFOLLOW_LINKS).getName().equals(System.getProperty("user.name"));
    }
}
