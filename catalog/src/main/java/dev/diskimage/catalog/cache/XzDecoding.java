package dev.diskimage.catalog.cache;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.tukaani.xz.XZInputStream;

/**
 * Decompresses an image published xz-compressed (a template's {@code <handle>.xz}, FreeBSD's
 * {@code .qcow2.xz}), in Java (org.tukaani:xz), with two bounds: the decoder's memory (a stream made with a huge dictionary is refused rather than
 * allowed to exhaust the heap) and the decompressed size (a small file that expands to more
 * than the store accepts is cut off with an error instead of filling the disk).
 */
final class XzDecoding {
    /** Most memory the decoder may use, in KiB: xz -9 needs 65 MiB, so this leaves room. */
    static final int MEMORY_LIMIT_KIB = 256 * 1024;

    private XzDecoding() {
    }

    /**
     * Wraps a compressed stream.
     *
     * @param compressed the .xz bytes
     * @param maxBytes the most decompressed bytes allowed
     * @return the decompressed bytes; reading past {@code maxBytes} throws an {@link IOException}
     * @throws IOException if the header is not xz's or needs more memory than allowed
     */
    static InputStream decode(InputStream compressed, long maxBytes) throws IOException {
        return capped(drainedAtEnd(new XZInputStream(compressed, MEMORY_LIMIT_KIB), compressed), maxBytes);
    }

    /**
     * {@code decoded}, which reads {@code compressed} to its end once the decoded data has
     * ended: a stream under the decoder that checks a digest at its end (the published checksum
     * of a compressed download) then sees every byte before the image is reported whole.
     */
    private static InputStream drainedAtEnd(InputStream decoded, InputStream compressed) {
        return new FilterInputStream(decoded) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b < 0) {
                    drain();
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n < 0) {
                    drain();
                }
                return n;
            }

            private void drain() throws IOException {
                byte[] buffer = new byte[8192];
                while (compressed.read(buffer, 0, buffer.length) >= 0) {
                    // Read only to reach the end; the bytes past the xz data are not the image's.
                }
            }
        };
    }

    /**
     * Lets at most {@code maxBytes} through.
     *
     * @param in the stream
     * @param maxBytes the most bytes allowed
     * @return a stream that throws an {@link IOException} naming the limit once more would be read
     */
    static InputStream capped(InputStream in, long maxBytes) {
        return new FilterInputStream(in) {
            private long count;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    count += n;
                    if (count > maxBytes) {
                        throw new IOException("the image is larger than the " + maxBytes + " bytes accepted");
                    }
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                // Skipped bytes are read, so they count against the limit too.
                byte[] buffer = new byte[8192];
                long skipped = 0;
                while (skipped < n) {
                    int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
                    if (r < 0) {
                        break;
                    }
                    skipped += r;
                }
                return skipped;
            }
        };
    }
}
