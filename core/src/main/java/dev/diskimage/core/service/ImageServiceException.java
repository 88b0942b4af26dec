package dev.diskimage.core.service;

import dev.diskimage.core.ImageException;
import java.util.OptionalInt;

/**
 * An image service refused or failed a call. Subtypes name the cases a caller acts on; the
 * message names the service, the call and the image, never a credential.
 */
public class ImageServiceException extends ImageException {
    private static final long serialVersionUID = 1L;

    /** The HTTP status, when the service answered with one; -1 when it did not. */
    private final int httpStatus;

    /**
     * Creates the error.
     *
     * @param message names the service, the call, the image and the reason
     * @param httpStatus the HTTP status the service answered with, or -1 for none
     * @param cause the underlying error; may be null
     */
    public ImageServiceException(String message, int httpStatus, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
    }

    /**
     * Creates the error for a failure that came with no HTTP status.
     *
     * @param message names the service, the call, the image and the reason
     */
    public ImageServiceException(String message) {
        this(message, -1, null);
    }

    /**
     * The HTTP status the service answered with.
     *
     * @return the status, empty when there was no answer (connection failure) or no HTTP
     */
    public OptionalInt httpStatus() {
        return httpStatus < 0 ? OptionalInt.empty() : OptionalInt.of(httpStatus);
    }
}
