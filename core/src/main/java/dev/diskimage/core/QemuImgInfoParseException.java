package dev.diskimage.core;

/**
 * The answer of {@code qemu-img info} could not be turned into a {@link QemuImgInfo}: malformed
 * or oversized JSON, a required field ({@code filename}, {@code format}, {@code virtual-size})
 * missing, or a field of the wrong type or out of range. The message names the field and where
 * it is ({@code $.format-specific.data.refcount-bits}).
 */
public class QemuImgInfoParseException extends ImageException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error with a message naming the field and the problem.
     *
     * @param message the detail message, naming the field by its JSON path and the problem
     */
    public QemuImgInfoParseException(String message) {
        super(message);
    }

    /**
     * Creates the error with a message and the parser's cause.
     *
     * @param message the detail message, naming the field or the position and the problem
     * @param cause the JSON parser's error; may be null
     */
    public QemuImgInfoParseException(String message, Throwable cause) {
        super(message, cause);
    }
}
