package dev.diskimage.core.vhd;

import dev.diskimage.core.ImageFormatException;
import java.util.Objects;

/**
 * A VHD structure breaks a rule of the specification, or points (partly) outside the file.
 * Carries the offset in the file of the offending field and the reason, so that a validator can
 * turn it into a finding and a reader can name the file; the message is the reason alone.
 */
public final class VhdFormatException extends ImageFormatException {
    private static final long serialVersionUID = 1L;

    /** What kind of rule the structure broke. */
    public enum Kind {
        /** A field holds a value the specification (or a sane limit) does not allow, or fields disagree. */
        MALFORMED,
        /** The file ends before a structure that must be there. */
        TRUNCATED,
        /** A footer or dynamic header checksum does not match its contents. */
        BAD_CHECKSUM,
        /** The block allocation table or a block it allocates lies outside the file or over metadata. */
        OUT_OF_BOUNDS
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
    public VhdFormatException(Kind kind, long offset, String reason) {
        super(offset, reason);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    static VhdFormatException malformed(long offset, String reason) {
        return new VhdFormatException(Kind.MALFORMED, offset, reason);
    }

    static VhdFormatException outOfBounds(long offset, String reason) {
        return new VhdFormatException(Kind.OUT_OF_BOUNDS, offset, reason);
    }

    /**
     * What kind of rule the structure broke.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }
}
