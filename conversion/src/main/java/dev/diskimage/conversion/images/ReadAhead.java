package dev.diskimage.conversion.images;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads a stream ahead on a thread of its own, whole buffers at a time, so that the network (and
 * the validator's inspecting stream, which runs on the reading side) overlaps the hashing and the
 * writing of the chunks before. At most {@link #BUFFERS} buffers exist; the caller hands each
 * back with {@link #recycle} once it is done with it.
 */
final class ReadAhead implements AutoCloseable {
    /** Buffers in circulation: one being read, one being hashed and written, one spare. */
    static final int BUFFERS = 3;
    private static final long JOIN_MILLIS = 5_000;

    /** A filled buffer, the end of the stream ({@code length < 0}), or the read's error. */
    record Chunk(byte[] bytes, int length, IOException error) {
    }

    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BUFFERS);
    private final BlockingQueue<Chunk> filled = new ArrayBlockingQueue<>(BUFFERS + 1);
    private final Thread reader;

    ReadAhead(InputStream in, int bufferSize, String name) {
        for (int i = 0; i < BUFFERS; i++) {
            free.add(new byte[bufferSize]);
        }
        reader = new Thread(() -> readAll(in), "diskimage-read-ahead " + name);
        reader.setDaemon(true);
        reader.start();
    }

    private void readAll(InputStream in) {
        try {
            while (true) {
                byte[] buffer = free.take();
                Chunk chunk;
                try {
                    int n = fill(in, buffer);
                    chunk = new Chunk(buffer, n, null);
                } catch (IOException e) {
                    chunk = new Chunk(buffer, -1, e);
                }
                filled.put(chunk);
                if (chunk.length() < 0) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            // close(): the caller stopped reading.
        } catch (RuntimeException e) {
            // A typed error from the service's stream (a read timeout): the caller gets it as the read's error.
            filled.offer(new Chunk(new byte[0], -1, new IOException(e.getMessage(), e)));
        }
    }

    /** Fills the buffer, or reads to the end; -1 when the stream had ended already. */
    private static int fill(InputStream in, byte[] buffer) throws IOException {
        int filledBytes = 0;
        while (filledBytes < buffer.length) {
            int n = in.read(buffer, filledBytes, buffer.length - filledBytes);
            if (n < 0) {
                return filledBytes == 0 ? -1 : filledBytes;
            }
            filledBytes += n;
        }
        return filledBytes;
    }

    /**
     * The next chunk, in stream order.
     *
     * @throws IOException the read's error, as the reading thread met it
     */
    Chunk next() throws IOException {
        Chunk chunk;
        try {
            chunk = filled.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the next bytes", e);
        }
        if (chunk.error() != null) {
            IOException error = chunk.error();
            if (error.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw error;
        }
        return chunk;
    }

    /** Hands a buffer back for the next read. */
    void recycle(byte[] buffer) {
        free.offer(buffer);
    }

    /** Stops the reading thread (the caller closes the stream) and waits briefly for it. */
    @Override
    public void close() {
        reader.interrupt();
        try {
            reader.join(JOIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
