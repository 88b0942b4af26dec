package dev.diskimage.core.service;

/** The image service could not be reached, timed out or failed (5xx), after the retries made for idempotent calls. Worth retrying later. */
public class ImageServiceUnavailableException extends ImageServiceException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param message names the service, the call, the image and the reason
     * @param httpStatus the HTTP status the service answered with, or -1 for none
     * @param cause the underlying error; may be null
     */
    public ImageServiceUnavailableException(String message, int httpStatus, Throwable cause) {
        super(message, httpStatus, cause);
    }
}
