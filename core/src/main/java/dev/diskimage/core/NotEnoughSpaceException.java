package dev.diskimage.core;

/** The destination file system lacks the free space an image needs. */
public class NotEnoughSpaceException extends ImageException {
    private static final long serialVersionUID = 1L;

    /** Creates the error with a message naming the image, the place and both sizes. */
    public NotEnoughSpaceException(String message) {
        super(message);
    }
}
