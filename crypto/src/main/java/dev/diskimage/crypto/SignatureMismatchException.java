package dev.diskimage.crypto;

import dev.diskimage.core.SignatureVerificationException;

/**
 * The image data does not match its signature: the bytes were changed, the signature was made
 * over other data, with another key or hash, or is not a well-formed signature for the key.
 * The certificate and properties were fine ({@link ImageSignatureVerifier#prepare} accepted
 * them), so this is the answer "these are not the bytes that were signed".
 */
public final class SignatureMismatchException extends SignatureVerificationException {
    private static final long serialVersionUID = 1L;

    SignatureMismatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
