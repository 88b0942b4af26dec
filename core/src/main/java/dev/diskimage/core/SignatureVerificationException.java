package dev.diskimage.core;

/** The image's signature is missing, malformed, or does not match its bytes. */
public class SignatureVerificationException extends ImageException {
    private static final long serialVersionUID = 1L;

    /** Creates the error with a message naming the image and the reason. */
    public SignatureVerificationException(String message) {
        super(message);
    }

    /** Creates the error with a message naming the image and the reason, and its cause. */
    public SignatureVerificationException(String message, Throwable cause) {
        super(message, cause);
    }
}
