package dev.diskimage.core.service;

/** The service refused the data as too large (413): a quota, the store's capacity or an image size cap. */
public class ImageQuotaExceededException extends ImageServiceException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param message names the service, the call, the image and the reason
     * @param httpStatus the HTTP status the service answered with, or -1 for none
     * @param cause the underlying error; may be null
     */
    public ImageQuotaExceededException(String message, int httpStatus, Throwable cause) {
        super(message, httpStatus, cause);
    }
}
