package dev.diskimage.catalog.cache;

import dev.diskimage.core.ImageIoException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Downloading a cache entry failed on the way: the connection was refused, reset or stalled
 * (no bytes for the idle timeout), the server answered with an error status, or the body was
 * shorter than announced. Nothing was stored; the message names the URL and the reason.
 */
public class DownloadFailedException extends ImageIoException {
    private static final long serialVersionUID = 1L;

    private final URI url;

    /**
     * Creates the error.
     *
     * @param url the URL being downloaded
     * @param target the file the entry would have been
     * @param cause what went wrong, in its message
     */
    public DownloadFailedException(URI url, Path target, IOException cause) {
        super("could not download " + Objects.requireNonNull(url, "url") + " to", target, cause);
        this.url = url;
    }

    /**
     * The URL being downloaded.
     *
     * @return the URL
     */
    public URI url() {
        return url;
    }
}
