package dev.diskimage.conversion.images;

import dev.diskimage.core.service.ImageHasher;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Hashes the bytes an upload reads, so the upload's own read is the hashing pass. */
final class HashingInputStream extends FilterInputStream {
    private final ImageHasher hasher;

    HashingInputStream(InputStream in, ImageHasher hasher) {
        super(in);
        this.hasher = hasher;
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
            hasher.update(new byte[] {(byte) b}, 0, 1);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int off, int len) throws IOException {
        int n = in.read(buffer, off, len);
        if (n > 0) {
            hasher.update(buffer, off, n);
        }
        return n;
    }

    @Override
    public long skip(long n) {
        // Skipped bytes would be sent unhashed.
        return 0;
    }

    @Override
    public boolean markSupported() {
        return false;
    }
}
