package dev.diskimage.catalog.distro;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.tukaani.xz.XZInputStream;

/**
 * Decompresses an xz-compressed image download (FreeBSD's {@code .qcow2.xz}) for the cache.
 * When the decompressed data ends, the download is read to its end, so that a
 * {@link CheckedStream} under it checks every byte before the cache sees the end of the image.
 */
final class XzImages {
    /** xz's memory limit for one stream, in KiB: far above what image streams use (preset 9 uses 64 MiB). */
    static final int MEMORY_LIMIT_KIB = 256 * 1024;

    private XzImages() {
    }

    /**
     * The decompressed bytes.
     *
     * @param raw the downloaded bytes, possibly a {@link CheckedStream}
     * @return the image's bytes
     * @throws IOException if the xz header is bad
     */
    static InputStream decompress(InputStream raw) throws IOException {
        XZInputStream xz = new XZInputStream(raw, MEMORY_LIMIT_KIB);
        return new FilterInputStream(xz) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b < 0) {
                    drain(raw);
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = super.read(buffer, offset, length);
                if (n < 0) {
                    drain(raw);
                }
                return n;
            }
        };
    }

    private static void drain(InputStream raw) throws IOException {
        if (raw instanceof CheckedStream checked) {
            checked.finish();
        }
    }
}
