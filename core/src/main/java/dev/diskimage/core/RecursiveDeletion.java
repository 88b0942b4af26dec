package dev.diskimage.core;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;

/**
 * Deletes one entry of a directory, and everything below it if it is a directory, without ever
 * following a symbolic link: a link is removed as a link, its target stays untouched.
 *
 * <p>Why so careful: temporary directories receive content we do not control (an extracted
 * XenServer archive, files qemu-img wrote). A link planted there, or a directory swapped for a
 * link while we delete, must not lead the deletion out of the directory. On file systems that
 * offer {@link SecureDirectoryStream} (Linux) every step is relative to an already opened
 * directory ({@code openat}/{@code unlinkat} with {@code O_NOFOLLOW}), so a swap between listing
 * and descending cannot redirect us; elsewhere a non-following file tree walk is used.
 */
final class RecursiveDeletion {

    /**
     * How deep a tree may be nested. Each level costs one open directory and one stack frame;
     * real conversion scratch trees are one or two levels deep, so a deeper tree is refused
     * with an IOException rather than risking a StackOverflowError.
     */
    static final int MAX_DEPTH = 256;

    private static final LinkOption[] NO_FOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private RecursiveDeletion() {
    }

    /**
     * Deletes {@code path} (a file, a link, or a directory with all its content) without
     * following links. A path that no longer exists is not an error.
     *
     * @throws IOException if something could not be deleted; what could be deleted is gone
     */
    static void delete(Path path) throws IOException {
        Path absolute = path.toAbsolutePath();
        Path parent = absolute.getParent();
        Path name = absolute.getFileName();
        if (parent == null || name == null) {
            throw new IOException("refusing to delete a file system root: " + absolute);
        }
        try (DirectoryStream<Path> parentStream = Files.newDirectoryStream(parent)) {
            if (parentStream instanceof SecureDirectoryStream<Path> secureParent) {
                deleteSecurely(secureParent, name, 0);
                return;
            }
        } catch (NoSuchFileException gone) {
            return;
        }
        deleteByWalking(absolute);
    }

    private static void deleteSecurely(SecureDirectoryStream<Path> parent, Path name, int depth)
            throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = parent.getFileAttributeView(name, BasicFileAttributeView.class, NO_FOLLOW)
                    .readAttributes();
        } catch (NoSuchFileException gone) {
            return;
        }
        if (!attributes.isDirectory()) {
            deleteFileIgnoringMissing(parent, name);
            return;
        }
        if (depth >= MAX_DEPTH) {
            throw new FileSystemException(name.toString(), null,
                    "directory tree nested deeper than " + MAX_DEPTH + " levels; not deleted");
        }
        // NOFOLLOW_LINKS: if the directory was swapped for a link since we read its
        // attributes, opening fails instead of descending into the link's target.
        try (SecureDirectoryStream<Path> directory = parent.newDirectoryStream(name, NO_FOLLOW)) {
            for (Path child : directory) {
                deleteSecurely(directory, child.getFileName(), depth + 1);
            }
        } catch (NoSuchFileException gone) {
            return;
        }
        try {
            parent.deleteDirectory(name);
        } catch (NoSuchFileException gone) {
            // Someone else removed it in the meantime: the goal is reached.
        }
    }

    private static void deleteFileIgnoringMissing(SecureDirectoryStream<Path> parent, Path name)
            throws IOException {
        try {
            parent.deleteFile(name);
        } catch (NoSuchFileException gone) {
            // Already gone: the goal is reached.
        }
    }

    // Package-private so that tests can exercise the path taken on file systems without
    // SecureDirectoryStream, which the Linux default file system never takes.
    static void deleteByWalking(Path root) throws IOException {
        if (Files.notExists(root, NO_FOLLOW)) {
            return;
        }
        // walkFileTree does not follow links unless asked to: a link is visited as a file and
        // deleted as a link.
        Files.walkFileTree(root, Set.of(), MAX_DEPTH, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path directory, IOException failure) throws IOException {
                if (failure != null) {
                    throw failure;
                }
                Files.deleteIfExists(directory);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
