package dev.diskimage.catalog.distro;

import dev.diskimage.core.ImageNotFoundException;
import java.net.URI;
import java.util.Objects;

/**
 * A distro mirror has no image for the request: no version, build or file in a listing matches
 * (the message names the listing URL, the pattern and what the listing had), or a listing itself
 * is missing (404).
 */
public class DistroImageNotFoundException extends ImageNotFoundException {
    private static final long serialVersionUID = 1L;

    private final URI listing;

    /**
     * Creates the error.
     *
     * @param listing the listing (or file) URL that did not have what was asked for
     * @param message the detail message: the URL, what was looked for and what was found
     */
    public DistroImageNotFoundException(URI listing, String message) {
        super(message);
        this.listing = Objects.requireNonNull(listing, "listing");
    }

    /**
     * The listing that did not have the image.
     *
     * @return the URL
     */
    public URI listing() {
        return listing;
    }
}
