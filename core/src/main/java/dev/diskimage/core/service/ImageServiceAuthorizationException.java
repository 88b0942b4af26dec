package dev.diskimage.core.service;

/** The image service refused the caller's credentials (401) or the call (403). */
public class ImageServiceAuthorizationException extends ImageServiceException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param message names the service, the call, the image and the reason
     * @param httpStatus the HTTP status the service answered with, or -1 for none
     * @param cause the underlying error; may be null
     */
    public ImageServiceAuthorizationException(String message, int httpStatus, Throwable cause) {
        super(message, httpStatus, cause);
    }
}
