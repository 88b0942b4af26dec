package dev.diskimage.core;

/** The image service or the file system has no image by that id or path. */
public class ImageNotFoundException extends ImageException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error with a message naming the image that is missing.
     *
     * @param message the detail message, naming the missing image id or path
     */
    public ImageNotFoundException(String message) {
        super(message);
    }

    /**
     * Creates the error with a message naming the image that is missing, and its cause.
     *
     * @param message the detail message, naming the missing image id or path
     * @param cause the error that showed the image is missing, e.g. a
     *     {@link java.nio.file.NoSuchFileException}; may be null
     */
    public ImageNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
