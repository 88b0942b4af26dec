package dev.diskimage.catalog.cache;

import dev.diskimage.core.ImageException;
import java.net.URI;
import java.util.Objects;

/**
 * The gate refused an image downloaded into the cache; the file was deleted and nothing was
 * stored. The gate's own error (the validator's {@code ImageUnacceptableException} with its
 * findings) is the cause.
 */
public class ImageRefusedException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final URI url;

    /**
     * Creates the error; the message names the URL and the gate's reason.
     *
     * @param url the image's URL
     * @param cause the gate's error
     */
    public ImageRefusedException(URI url, ImageException cause) {
        super("the image downloaded from " + Objects.requireNonNull(url, "url") + " was refused and not stored: "
                + cause.getMessage(), cause);
        this.url = url;
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
     * The gate's error.
     *
     * @return the cause
     */
    @Override
    public synchronized ImageException getCause() {
        return (ImageException) super.getCause();
    }
}
