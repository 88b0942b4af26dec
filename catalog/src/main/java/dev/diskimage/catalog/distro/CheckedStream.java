package dev.diskimage.catalog.distro;

import dev.diskimage.catalog.cache.Checksum;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Checks the digest of the bytes that pass, at their end: for files whose published checksum
 * is of the compressed download (FreeBSD's {@code .qcow2.xz}) while the cache checks what it
 * stores. The end of the stream is reported only after the digest matched; a mismatch is an
 * {@link IOException} there, so the download fails before the decompressed image can be stored.
 */
final class CheckedStream extends FilterInputStream {
    /** The bytes did not have the expected digest. */
    static final class MismatchException extends IOException {
        private static final long serialVersionUID = 1L;

        private final transient Checksum actual;

        MismatchException(Checksum expected, Checksum actual) {
            super("the download's " + expected.algorithm().label() + " is " + actual.hex() + ", expected "
                    + expected.hex());
            this.actual = actual;
        }

        Checksum actual() {
            return actual;
        }
    }

    private final Checksum expected;
    private final MessageDigest digest;
    private boolean checked;

    private CheckedStream(InputStream in, Checksum expected) {
        super(in);
        this.expected = expected;
        this.digest = expected.algorithm().newDigest();
    }

    /**
     * The stream, checked when there is a checksum.
     *
     * @param in the downloaded bytes
     * @param expected their digest, if known
     * @return a checking stream, or {@code in} itself without a checksum
     */
    static InputStream of(InputStream in, Optional<Checksum> expected) {
        return expected.<InputStream>map(c -> new CheckedStream(in, c)).orElse(in);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) {
            digest.update(buffer, offset, n);
        } else if (n < 0) {
            check();
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // Skipped bytes must be digested too.
        byte[] buffer = new byte[(int) Math.min(8192, Math.max(0, n))];
        int read = buffer.length == 0 ? 0 : read(buffer, 0, buffer.length);
        return Math.max(read, 0);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    private void check() throws IOException {
        if (checked) {
            return;
        }
        checked = true;
        Checksum actual = new Checksum(expected.algorithm(), HexFormat.of().formatHex(digest.digest()));
        if (!actual.equals(expected)) {
            throw new MismatchException(expected, actual);
        }
    }
}
