package dev.diskimage.core.luks;

import dev.diskimage.core.ImageFormatException;

/**
 * A LUKS structure breaks a rule of its specification, or lies (partly) outside the file.
 * Carries the offset of the offending field in the file and the reason, so that a validator can
 * turn it into a finding and a reader can name the file; the message is the reason alone, and
 * never contains key material (this package sees none).
 */
public final class LuksFormatException extends ImageFormatException {
    private static final long serialVersionUID = 1L;

    /** What kind of rule the structure broke. */
    public enum Kind {
        /** A field holds a value the specification does not allow, or fields disagree. */
        MALFORMED,
        /** A region the structure points to lies outside the file. */
        TRUNCATED
    }

    /** What kind of rule the structure broke. */
    private final Kind kind;

    /**
     * Creates the error.
     *
     * @param kind what kind of rule was broken
     * @param offset the offset in the file of the field that broke it (0 or more)
     * @param reason what is wrong, naming the field and its value
     */
    public LuksFormatException(Kind kind, long offset, String reason) {
        super(offset, reason);
        this.kind = java.util.Objects.requireNonNull(kind, "kind");
    }

    static LuksFormatException malformed(long offset, String reason) {
        return new LuksFormatException(Kind.MALFORMED, offset, reason);
    }

    /**
     * What kind of rule the structure broke.
     *
     * @return {@link Kind#MALFORMED} or {@link Kind#TRUNCATED}
     */
    public Kind kind() {
        return kind;
    }
}
