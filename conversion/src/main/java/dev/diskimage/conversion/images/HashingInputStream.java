package dev.diskimage.conversion.images;

import dev.diskimage.core.service.ImageHasher;
import dev.diskimage.core.service.ImageMeta;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.OptionalLong;

/**
 * Hashes the bytes an upload reads, so the upload's own read is the hashing pass, and reports
 * how far it has come.
 */
final class HashingInputStream extends FilterInputStream {
    private final ImageHasher hasher;
    private final ImageMeta meta;
    private final TransferProgress progress;
    private final OptionalLong total;

    HashingInputStream(InputStream in, ImageHasher hasher, ImageMeta meta, TransferProgress progress, OptionalLong total) {
        super(in);
        this.hasher = hasher;
        this.meta = meta;
        this.progress = progress;
        this.total = total;
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
            hasher.update(new byte[] {(byte) b}, 0, 1);
            progress.transferred(meta, hasher.size(), total);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int off, int len) throws IOException {
        int n = in.read(buffer, off, len);
        if (n > 0) {
            hasher.update(buffer, off, n);
            progress.transferred(meta, hasher.size(), total);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        throw new IOException("skipping would send bytes unhashed");
    }

    @Override
    public boolean markSupported() {
        return false;
    }
}
