package dev.diskimage.core.service;

/** The call conflicts with the image's state (409): data uploaded twice, a change to a protected or deleted image. */
public class ImageConflictException extends ImageServiceException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param message names the service, the call, the image and the reason
     * @param httpStatus the HTTP status the service answered with, or -1 for none
     * @param cause the underlying error; may be null
     */
    public ImageConflictException(String message, int httpStatus, Throwable cause) {
        super(message, httpStatus, cause);
    }
}
