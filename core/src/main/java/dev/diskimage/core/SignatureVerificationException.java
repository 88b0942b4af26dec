package dev.diskimage.core;

/** The image's signature is missing, malformed, or does not match its bytes. */
public class SignatureVerificationException extends ImageException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error with a message naming the image and the reason.
     *
     * @param message the detail message, naming the image and why its signature was rejected
     */
    public SignatureVerificationException(String message) {
        super(message);
    }

    /**
     * Creates the error with a message naming the image and the reason, and its cause.
     *
     * @param message the detail message, naming the image and why its signature was rejected
     * @param cause the error that made verification fail, e.g. from the crypto provider; may be
     *     null
     */
    public SignatureVerificationException(String message, Throwable cause) {
        super(message, cause);
    }
}
