package dev.diskimage.core;

/** The image's virtual size does not fit the volume or the policy's maximum. */
public class ImageTooBigException extends ImageException {
    private static final long serialVersionUID = 1L;

    /** Creates the error with a message naming the image and both sizes. */
    public ImageTooBigException(String message) {
        super(message);
    }
}
