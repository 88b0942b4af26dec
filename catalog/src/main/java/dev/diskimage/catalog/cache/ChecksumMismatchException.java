package dev.diskimage.catalog.cache;

import dev.diskimage.core.service.ImageIntegrityException;
import java.net.URI;
import java.util.Objects;

/**
 * The bytes downloaded for a cache entry do not have the expected digest. Nothing was stored:
 * the partial file is deleted before this is thrown.
 */
public class ChecksumMismatchException extends ImageIntegrityException {
    private static final long serialVersionUID = 1L;

    private final URI url;
    private final Checksum expected;
    private final Checksum actual;

    /**
     * Creates the error; the message names the URL and both digests.
     *
     * @param url the image's URL
     * @param expected the digest asked for
     * @param actual the digest of what arrived
     */
    public ChecksumMismatchException(URI url, Checksum expected, Checksum actual) {
        super("the image downloaded from " + url + " has " + actual + ", but " + expected
                + " was expected; it was not stored");
        this.url = Objects.requireNonNull(url, "url");
        this.expected = expected;
        this.actual = actual;
    }

    /**
     * The image's URL.
     *
     * @return the URL
     */
    public URI url() {
        return url;
    }

    /**
     * The digest asked for.
     *
     * @return the expected checksum
     */
    public Checksum expected() {
        return expected;
    }

    /**
     * The digest of the bytes that arrived.
     *
     * @return the actual checksum
     */
    public Checksum actual() {
        return actual;
    }
}
