package dev.diskimage.validation;

import dev.diskimage.core.UntrustedText;
import java.util.Objects;

/**
 * One thing an inspector or a policy noticed about an image: a stable code callers branch on,
 * a sentence a human understands, and where in the file it was found.
 *
 * @param code     stable identifier, part of the public contract
 * @param severity whether this finding rejects the image
 * @param message  human-readable explanation naming the offending value; control characters
 *                 are escaped and the length capped ({@link UntrustedText}), since messages quote
 *                 names read from images
 * @param offset   byte offset in the image where the evidence lies, or {@code -1} if none applies
 */
public record Finding(FindingCode code, Severity severity, String message, long offset) {

    /** Offset value for findings that concern the image as a whole. */
    public static final long NO_OFFSET = -1;

    /** Longest message kept, in characters; a message quotes at most a few capped names. */
    public static final int MAX_MESSAGE_CHARS = 4096;

    /**
     * Checks the components and sanitizes the message: control characters escaped and the
     * length capped at {@link #MAX_MESSAGE_CHARS}.
     *
     * @param code     stable identifier, part of the public contract
     * @param severity whether this finding rejects the image
     * @param message  human-readable explanation naming the offending value; control characters
     *                 are escaped and the length capped ({@link UntrustedText}), since messages quote
     *                 names read from images
     * @param offset   byte offset in the image where the evidence lies, or {@code -1} if none applies
     * @throws NullPointerException if the code, the severity or the message is null
     * @throws IllegalArgumentException if the offset is below {@link #NO_OFFSET}
     */
    public Finding {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(severity, "severity");
        message = UntrustedText.sanitize(Objects.requireNonNull(message, "message"), MAX_MESSAGE_CHARS);
        if (offset < NO_OFFSET) {
            throw new IllegalArgumentException("offset must be >= -1: " + offset);
        }
    }

    /**
     * A rejecting finding at {@code offset}.
     *
     * @param code stable identifier of what was found
     * @param offset byte offset in the image where the evidence lies, or {@link #NO_OFFSET}
     * @param message human-readable explanation naming the offending value; sanitized
     * @return a finding of severity {@link Severity#REJECT}
     */
    public static Finding reject(FindingCode code, long offset, String message) {
        return new Finding(code, Severity.REJECT, message, offset);
    }

    /**
     * A warning at {@code offset}.
     *
     * @param code stable identifier of what was found
     * @param offset byte offset in the image where the evidence lies, or {@link #NO_OFFSET}
     * @param message human-readable explanation naming the offending value; sanitized
     * @return a finding of severity {@link Severity#WARN}
     */
    public static Finding warn(FindingCode code, long offset, String message) {
        return new Finding(code, Severity.WARN, message, offset);
    }

    /**
     * Whether this finding rejects the image.
     *
     * @return true if the severity is {@link Severity#REJECT}
     */
    public boolean rejects() {
        return severity == Severity.REJECT;
    }
}
