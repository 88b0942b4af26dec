package dev.diskimage.catalog.distro;

import dev.diskimage.core.ImageException;
import java.net.URI;
import java.util.Objects;

/**
 * A distro mirror could not be read: the connection failed, the server answered with an error
 * status other than 404, or a listing or checksum file was too large. The message names the URL
 * and the reason.
 */
public class MirrorException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final URI url;

    /**
     * Creates the error.
     *
     * @param url the URL that could not be read
     * @param reason why, in words
     * @param cause the underlying error; may be null
     */
    public MirrorException(URI url, String reason, Throwable cause) {
        super("cannot read " + Objects.requireNonNull(url, "url") + ": " + reason, cause);
        this.url = url;
    }

    /**
     * The URL that could not be read.
     *
     * @return the URL
     */
    public URI url() {
        return url;
    }
}
