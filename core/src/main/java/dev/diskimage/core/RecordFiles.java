package dev.diskimage.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Optional;

/**
 * Small metadata files (an image service's records, the image cache's sidecars) read whole with a
 * cap and replaced whole: a reader sees the old content or the new one, never a torn file, and a
 * crash never leaves a half-written record under the real name.
 */
public final class RecordFiles {

    private RecordFiles() {
    }

    /**
     * Reads an open file to its end, but never more than {@code maxBytes}, whatever its size says
     * (it may be growing).
     *
     * @param channel the file, open for reading at position 0
     * @param maxBytes the most a record may hold
     * @return the content, or empty when the file holds more than {@code maxBytes}
     * @throws IOException if reading fails
     */
    public static Optional<byte[]> readBounded(FileChannel channel, int maxBytes) throws IOException {
        Objects.requireNonNull(channel, "channel");
        if (maxBytes < 0 || maxBytes == Integer.MAX_VALUE) {
            throw new IllegalArgumentException("record cap out of range: " + maxBytes);
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(channel.size(), maxBytes) + 1);
        while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
            // keep reading: a read may return fewer bytes than asked
        }
        if (buffer.position() > maxBytes) {
            return Optional.empty();
        }
        byte[] content = new byte[buffer.position()];
        buffer.flip().get(content);
        return Optional.of(content);
    }

    /**
     * Writes {@code content} to {@code temporary} (which must not exist; links are not followed),
     * syncs it, renames it over {@code target} and syncs the directory, so the new record survives
     * a crash once this returns. The temporary file is removed if any step fails.
     *
     * @param temporary a fresh sibling of {@code target}, named so that a cleanup recognises it; an
     *     existing file of that name is refused ({@link java.nio.file.FileAlreadyExistsException})
     *     and left as it is
     * @param target the record's real name
     * @param content the new record
     * @throws IOException if a step fails
     */
    public static void replace(Path temporary, Path target, byte[] content) throws IOException {
        Objects.requireNonNull(temporary, "temporary");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(content, "content");
        FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
        // From here the temporary file is ours, and removed if anything fails (a file that was
        // there before is never touched: CREATE_NEW refused it above).
        try {
            try (channel) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            moveIntoPlace(temporary, target);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * Renames a written and synced file over {@code target} in one step and syncs the directory,
     * so the rename survives a crash.
     *
     * @param source the file to move, in the same directory as {@code target}
     * @param target the name it gets (an existing file there is replaced)
     * @throws IOException if the rename or the sync fails
     */
    public static void moveIntoPlace(Path source, Path target) throws IOException {
        Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(target.toAbsolutePath().getParent());
    }

    /**
     * Syncs a directory, making the renames and deletions in it durable.
     *
     * @param directory the directory
     * @throws IOException if it cannot be opened or synced
     */
    public static void syncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
