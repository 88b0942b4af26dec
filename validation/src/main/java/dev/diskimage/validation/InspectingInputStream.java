package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.Optional;

/**
 * Validates an image while it streams past, for example during a download, so that the verdict
 * is ready at end of stream without reading the file a second time. The same inspectors as for
 * files run over the regions this stream keeps; bytes pass through unchanged.
 *
 * <p>Regions an inspector needs are kept as they pass: the head, the regions headers point to
 * (tables, descriptors), and a tail window for footer formats. A region that a header points to
 * behind the current position can no longer be had; that rejects the image with
 * {@code STREAM_REGION_UNAVAILABLE} rather than guessing.
 *
 * <p>Not thread-safe, like any stream.
 */
public final class InspectingInputStream extends FilterInputStream {
    /** Upper bound on inspector re-runs per stream, so a hostile header cannot make us spin. */
    private static final int MAX_DISCOVERY_RUNS = 256;

    private final ImageValidator validator;
    private final String name;
    private final Optional<DiskFormat> declared;
    private final StreamImageBytes bytes;
    private int discoveryRuns;
    private ValidationReport report;

    /**
     * Created through {@link ImageValidator#inspecting}.
     *
     * @param in        the image bytes; closed when this stream is closed
     * @param validator the validator whose policy and inspectors apply
     * @param name      how reports name the image (a URL, an image id)
     * @param declared  the format the image claims to be, if it claims one
     */
    InspectingInputStream(InputStream in, ImageValidator validator, String name, Optional<DiskFormat> declared) {
        super(Objects.requireNonNull(in, "in"));
        this.validator = Objects.requireNonNull(validator, "validator");
        this.name = Objects.requireNonNull(name, "name");
        this.declared = Objects.requireNonNull(declared, "declared");
        this.bytes = new StreamImageBytes(validator.policy().readBudget());
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        // A stalling stream may return 0 bytes from a read: that is neither a byte nor the end, so
        // read again, as read() blocks until there is one (returning 0 here would invent a byte).
        while (true) {
            int n = read(one, 0, 1);
            if (n > 0) {
                return one[0] & 0xff;
            }
            if (n < 0) {
                return -1;
            }
        }
    }

    @Override
    public int read(byte[] buffer, int off, int len) throws IOException {
        int n = in.read(buffer, off, len);
        if (n < 0) {
            finish();
            return n;
        }
        feed(buffer, off, n);
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] scratch = new byte[(int) Math.min(n, 64 * 1024)];
        long skipped = 0;
        while (skipped < n) {
            int got = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
            if (got < 0) {
                break;
            }
            skipped += got;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {
        // Marking would replay bytes the inspectors have already seen; unsupported by contract.
    }

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }

    /**
     * Whether the stream has ended and {@link #report()} is available.
     *
     * @return true once a read has met the end of the underlying stream
     */
    public boolean isComplete() {
        return report != null;
    }

    /**
     * The verdict on the image, available once the stream has been read to its end.
     *
     * @return the report on every byte that passed, naming the image as given to
     *     {@link ImageValidator#inspecting}
     * @throws IllegalStateException before end of stream
     */
    public ValidationReport report() {
        if (report == null) {
            throw new IllegalStateException("the stream of " + name + " has not been read to its end yet");
        }
        return report;
    }

    /**
     * Reads what is left of the stream (discarding it) and returns the verdict: for callers that
     * only want the verdict.
     *
     * @return the report, as {@link #report()}
     * @throws IOException if reading the underlying stream fails
     */
    public ValidationReport drainAndReport() throws IOException {
        byte[] scratch = new byte[64 * 1024];
        while (read(scratch, 0, scratch.length) >= 0) {
            // Draining: the bytes only pass through the inspectors.
        }
        return report();
    }

    /**
     * Feeds a chunk in slices that end where a wanted region ends, re-running the inspectors at
     * each such end so that regions they discover later in this same chunk are still captured.
     */
    private void feed(byte[] buffer, int off, int len) {
        int done = 0;
        while (done < len) {
            long regionEnd = bytes.nextRegionEnd();
            // regionEnd lies beyond the position (NONE_PENDING beyond any chunk): the slice ends at it or at the chunk's end.
            int slice = (int) Math.min(len - done, regionEnd - bytes.position());
            bytes.accept(buffer, off + done, slice);
            done += slice;
            if (bytes.position() == regionEnd && discoveryRuns < MAX_DISCOVERY_RUNS) {
                discoveryRuns++;
                validator.discover(bytes);
            }
        }
    }

    private void finish() {
        if (report == null) {
            bytes.end();
            report = validator.validate(name, bytes, declared);
        }
    }
}
