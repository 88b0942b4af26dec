package dev.diskimage.conversion.vhd;

import dev.diskimage.core.vhd.VhdFormatException;
import java.nio.file.Path;

/**
 * A VHD file breaks the format: a structure is damaged, cut short, or points outside the file or
 * over other structures. The {@link #formatError() cause} says which field, where, and why.
 */
public final class VhdCorruptException extends VhdException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param path the VHD file
     * @param cause the parser's reason, with the offset of the offending field
     */
    public VhdCorruptException(Path path, VhdFormatException cause) {
        super(path, cause.reason() + " (offset " + cause.offset() + ")", cause);
    }

    /**
     * The parser's reason.
     *
     * @return the format error, with its kind and offset
     */
    public VhdFormatException formatError() {
        return (VhdFormatException) getCause();
    }

    /**
     * What kind of rule the file broke.
     *
     * @return the kind of the format error
     */
    public VhdFormatException.Kind kind() {
        return formatError().kind();
    }

    /**
     * Where the offending field sits in the file.
     *
     * @return a byte offset
     */
    public long offset() {
        return formatError().offset();
    }
}
