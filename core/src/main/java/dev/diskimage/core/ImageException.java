package dev.diskimage.core;

/**
 * Root of every error this project raises about an image or the tools that handle it.
 * Unchecked, so that callers catch the subtypes they can act on and let the rest travel.
 */
public class ImageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an error with a message that names the image and the reason.
     *
     * @param message the detail message, naming the image and the reason
     */
    public ImageException(String message) {
        super(message);
    }

    /**
     * Creates an error with a message that names the image and the reason, and its cause.
     *
     * @param message the detail message, naming the image and the reason
     * @param cause the error that led to this one; may be null
     */
    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
