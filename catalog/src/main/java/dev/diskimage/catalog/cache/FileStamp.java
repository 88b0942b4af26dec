package dev.diskimage.catalog.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/**
 * What a cached file's metadata says about whether its bytes may have changed since they were
 * hashed: its size, its modification time (which {@code touch} or {@code cp -p} can set back) and,
 * where the file system has one, its status-change time (which no user can set: any write, chmod,
 * link or rename moves it).
 *
 * @param regularFile whether it is a regular file (links are not followed)
 * @param size bytes
 * @param mtimeMillis the modification time
 * @param ctimeMillis the status-change time, 0 where there is none
 */
record FileStamp(boolean regularFile, long size, long mtimeMillis, long ctimeMillis) {

    /**
     * Reads the stamp.
     *
     * @throws java.nio.file.NoSuchFileException if the file is missing
     * @throws IOException if its attributes cannot be read
     */
    static FileStamp of(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        long ctime = 0;
        try {
            ctime = ((FileTime) Files.getAttribute(file, "unix:ctime", LinkOption.NOFOLLOW_LINKS)).toMillis();
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            // not a POSIX file system: size and modification time must do
        }
        return new FileStamp(attributes.isRegularFile(), attributes.size(), attributes.lastModifiedTime().toMillis(),
                ctime);
    }

    /** Whether the times differ from those recorded: the bytes must be hashed again. */
    boolean touchedSince(EntryRecord record) {
        return mtimeMillis != record.mtimeMillis() || ctimeMillis != record.ctimeMillis();
    }
}
