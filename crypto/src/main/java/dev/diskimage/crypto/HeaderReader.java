package dev.diskimage.crypto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;

/**
 * Reads exact regions of a LUKS file by offset, each checked against the file size before a
 * buffer is allocated; a region that does not fit is a {@link LuksHeaderException} naming it.
 * Short reads are retried until the region is full.
 */
final class HeaderReader {
    private final Path file;
    private final SeekableByteChannel channel;
    private final long size;

    HeaderReader(Path file, SeekableByteChannel channel) throws IOException {
        this.file = file;
        this.channel = channel;
        this.size = channel.size();
    }

    Path file() {
        return file;
    }

    long size() {
        return size;
    }

    /** Exactly {@code length} bytes at {@code offset}, big-endian, position 0. */
    ByteBuffer read(long offset, int length, String what) throws IOException {
        // An offset past the end is refused by the last test: length >= 0 > size - offset.
        if (offset < 0 || length < 0 || length > size - offset) {
            throw truncated(offset, length, what);
        }
        ByteBuffer buffer = ByteBuffer.allocate(length);
        channel.position(offset);
        while (buffer.hasRemaining()) {
            // The end of the file, or a channel that makes no progress: never spin waiting for more.
            if (channel.read(buffer) <= 0) {
                throw truncated(offset, length, what);
            }
        }
        return buffer.flip();
    }

    private LuksHeaderException truncated(long offset, int length, String what) {
        return new LuksHeaderException(file, Math.max(offset, 0), "the file of " + size + " bytes ends before the "
                + what + " (" + length + " bytes at offset " + offset + ")");
    }
}
