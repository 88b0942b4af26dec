package dev.diskimage.core;

/**
 * An on-disk structure breaks a rule of its format specification, or points (partly) outside the
 * file. The root of the format parsers' errors ({@code core.luks}, {@code core.vhd}): each carries
 * the offset in the file of the offending field and the reason, so that a validator can turn it
 * into a finding and a reader can name the file; the message is the reason alone.
 */
public abstract class ImageFormatException extends ImageException {
    private static final long serialVersionUID = 1L;

    /** Where the offending field sits in the file. */
    private final long offset;

    /**
     * Creates the error.
     *
     * @param offset the offset in the file of the field that broke the rule (0 or more)
     * @param reason what is wrong, naming the field and its value
     */
    protected ImageFormatException(long offset, String reason) {
        super(reason);
        this.offset = offset;
    }

    /**
     * Where the offending field sits in the file.
     *
     * @return a byte offset, 0 or more
     */
    public long offset() {
        return offset;
    }

    /**
     * What is wrong (the same text as {@link #getMessage()}).
     *
     * @return the reason, naming the field and its value
     */
    public String reason() {
        return getMessage();
    }
}
