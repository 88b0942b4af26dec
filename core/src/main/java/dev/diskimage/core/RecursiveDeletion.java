package dev.diskimage.core;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.Set;

/**
 * Deletes one entry of a directory, and everything below it if it is a directory, without ever
 * following a symbolic link: a link is removed as a link, its target stays untouched. Guava's
 * {@link MoreFiles#deleteRecursively} does the work.
 *
 * <p>Why so careful: temporary directories receive content we do not control (an extracted
 * XenServer archive, files qemu-img wrote). A link planted there, or a directory swapped for a
 * link while we delete, must not lead the deletion out of the directory. On file systems that
 * offer {@link SecureDirectoryStream} (Linux) Guava takes every step relative to an already
 * opened directory ({@code openat}/{@code unlinkat} with {@code O_NOFOLLOW}), so a swap between
 * listing and descending cannot redirect it; elsewhere it walks without following links.
 */
final class RecursiveDeletion {

    /**
     * How deep a tree may be nested. Deletion costs one open directory and a few stack frames per
     * level; real conversion scratch trees are one or two levels deep, so a deeper tree is
     * refused with an IOException, before anything is deleted, rather than risking a
     * StackOverflowError.
     */
    static final int MAX_DEPTH = 256;

    private static final LinkOption[] NO_FOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private RecursiveDeletion() {
    }

    /**
     * Deletes {@code path} (a file, a link, or a directory with all its content) without
     * following links. A path that no longer exists, or an entry someone else removes meanwhile,
     * is not an error. An entry that cannot be deleted does not stop the deletion: everything
     * else is still deleted, and the failures are reported together at the end.
     *
     * @throws IOException if something could not be deleted, each failure attached as a
     *     suppressed exception; everything else is gone. Also when the tree is nested deeper
     *     than {@link #MAX_DEPTH}: then nothing was deleted
     */
    static void delete(Path path) throws IOException {
        Path absolute = path.toAbsolutePath();
        if (absolute.getParent() == null || absolute.getFileName() == null) {
            throw new IOException("refusing to delete a file system root: " + absolute);
        }
        if (Files.notExists(absolute, NO_FOLLOW)) {
            return;
        }
        requireDepthWithinLimit(absolute);
        try {
            // Insecure deletion (where SecureDirectoryStream is missing) still never follows links.
            MoreFiles.deleteRecursively(absolute, RecursiveDeleteOption.ALLOW_INSECURE);
        } catch (NoSuchFileException gone) {
            // Removed by someone else before we got to it: the goal is reached.
        } catch (FileSystemException failed) {
            if (!onlyAlreadyGone(failed)) {
                throw summarised(absolute, failed);
            }
        }
    }

    /**
     * Guava reports "see suppressed exceptions"; the summary names the first entry that could not
     * be deleted and why, so a one-line message is useful, and keeps every failure suppressed.
     */
    private static FileSystemException summarised(Path root, FileSystemException failed) {
        Throwable[] causes = failed.getSuppressed();
        if (causes.length == 0 || !(causes[0] instanceof IOException first)) {
            return failed;
        }
        String where = first instanceof FileSystemException fs && fs.getFile() != null ? fs.getFile() : root.toString();
        String more = causes.length > 1 ? " (and " + (causes.length - 1) + " more)" : "";
        FileSystemException summary = new FileSystemException(root.toString(), null,
                "could not delete " + where + ": " + IoErrorText.describe(first) + more);
        for (Throwable cause : causes) {
            summary.addSuppressed(cause);
        }
        return summary;
    }

    /** Whether every collected failure is an entry that vanished meanwhile, which is no failure. */
    private static boolean onlyAlreadyGone(FileSystemException failed) {
        Throwable[] causes = failed.getSuppressed();
        return causes.length > 0 && Arrays.stream(causes).allMatch(NoSuchFileException.class::isInstance);
    }

    private static void requireDepthWithinLimit(Path root) throws IOException {
        // A bounded, non-following walk: it never opens more than MAX_DEPTH directories at once.
        Files.walkFileTree(root, Set.of(), MAX_DEPTH, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                if (attributes.isDirectory() && root.relativize(file).getNameCount() >= MAX_DEPTH) {
                    throw new FileSystemException(file.toString(), null,
                            "directory tree nested deeper than " + MAX_DEPTH + " levels; not deleted");
                }
                return FileVisitResult.CONTINUE;
            }

            // Unreadable parts are for the deletion to report; this walk only measures depth.
            @Override
            public FileVisitResult visitFileFailed(Path file, IOException failure) {
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path directory, IOException failure) {
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
