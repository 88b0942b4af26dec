package dev.diskimage.validation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import java.util.Optional;

/**
 * What identifies the file behind a path at one moment: its size, its last-modified time and,
 * where the file system has one, its file key (device and inode on Unix). Two snapshots that
 * differ mean the file was modified or another file was put in its place.
 *
 * @param size         the file's size in bytes
 * @param lastModified the file's last-modified time
 * @param fileKey      the file system's identity of the file, when it offers one
 */
record FileIdentity(long size, FileTime lastModified, Optional<Object> fileKey) {

    FileIdentity {
        Objects.requireNonNull(lastModified, "lastModified");
        Objects.requireNonNull(fileKey, "fileKey");
    }

    /** The identity described by attributes already read. */
    static FileIdentity of(BasicFileAttributes attributes) {
        return new FileIdentity(attributes.size(), attributes.lastModifiedTime(),
                Optional.ofNullable(attributes.fileKey()));
    }

    /**
     * The identity of the file {@code path} leads to now (symbolic links followed, as when the
     * file is opened).
     *
     * @throws IOException when the attributes cannot be read (the file is gone, for example)
     */
    static FileIdentity read(Path path) throws IOException {
        return of(Files.readAttributes(path, BasicFileAttributes.class));
    }

    /**
     * How {@code now} differs from this snapshot, in words, or empty when it does not. The file
     * key is compared first: a replaced file is reported as replaced even if its size and time
     * were forged to match.
     */
    Optional<String> differenceTo(FileIdentity now) {
        if (fileKey.isPresent() && now.fileKey.isPresent() && !fileKey.get().equals(now.fileKey.get())) {
            return Optional.of("was replaced by another file");
        }
        if (size != now.size) {
            return Optional.of("changed size from " + size + " to " + now.size + " bytes");
        }
        if (!lastModified.equals(now.lastModified)) {
            return Optional.of("was modified (last-modified time " + lastModified + ", now " + now.lastModified + ")");
        }
        return Optional.empty();
    }
}
