package dev.diskimage.core;

import java.util.Locale;
import java.util.Objects;

/**
 * The image's virtual size does not fit the volume or the policy's maximum. Carries both sizes,
 * so a caller can report them without parsing the message, which names them too.
 */
public class ImageTooBigException extends ImageException {
    private static final long serialVersionUID = 1L;

    /** The image that is too big, as named in the message. */
    private final String image;
    /** The image's virtual size in bytes. */
    private final long virtualSize;
    /** The largest virtual size accepted, in bytes. */
    private final long limit;

    /**
     * Creates the error with a message naming the image and both sizes.
     *
     * @param image the image that is too big
     * @param virtualSize its virtual size in bytes
     * @param limit the largest virtual size accepted, in bytes
     */
    public ImageTooBigException(String image, long virtualSize, long limit) {
        this(image, virtualSize, limit, String.format(Locale.ROOT,
                "image %s has a virtual size of %d bytes, more than the %d bytes accepted", image, virtualSize, limit));
    }

    /** Creates the error with a message the caller composed; it must name the image and both sizes. */
    ImageTooBigException(String image, long virtualSize, long limit, String message) {
        super(message);
        this.image = Objects.requireNonNull(image, "image");
        this.virtualSize = virtualSize;
        this.limit = limit;
    }

    /**
     * The image that is too big.
     *
     * @return the image as named by the caller, e.g. its id
     */
    public String image() {
        return image;
    }

    /**
     * Its virtual size in bytes.
     *
     * @return the image's virtual (guest-visible) size in bytes
     */
    public long virtualSize() {
        return virtualSize;
    }

    /**
     * The largest virtual size accepted, in bytes (a volume's size: whole GiB).
     *
     * @return the limit in bytes
     */
    public long limit() {
        return limit;
    }
}
