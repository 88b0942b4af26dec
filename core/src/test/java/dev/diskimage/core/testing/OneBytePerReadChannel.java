package dev.diskimage.core.testing;

import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * A channel over a byte array that hands out at most one byte per read, to prove that parsers
 * cope with short reads (a network file system or a pipe may return fewer bytes than asked).
 */
public class OneBytePerReadChannel implements SeekableByteChannel {
    private final byte[] data;
    private long position;
    private boolean open = true;

    /** A channel over {@code data}, which is not copied. */
    public OneBytePerReadChannel(byte[] data) {
        this.data = data;
    }

    @Override
    public int read(ByteBuffer dst) {
        if (position >= data.length) {
            return -1;
        }
        if (!dst.hasRemaining()) {
            return 0;
        }
        dst.put(data[(int) position++]);
        return 1;
    }

    @Override
    public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) {
        position = newPosition;
        return this;
    }

    @Override
    public long size() {
        return data.length;
    }

    @Override
    public SeekableByteChannel truncate(long size) {
        throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }
}
