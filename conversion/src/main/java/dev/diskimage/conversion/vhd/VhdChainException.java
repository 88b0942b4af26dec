package dev.diskimage.conversion.vhd;

import java.nio.file.Path;

/**
 * A chain of VHD files cannot be followed or changed as asked: the parent is missing, lies outside
 * the child's directory, is not the disk the child names, the chain loops or is too deep, or a
 * new parent's path does not fit the space the child reserved for it. {@link #reason()} says which;
 * nothing was changed on disk when this is thrown.
 */
public final class VhdChainException extends VhdException {
    private static final long serialVersionUID = 1L;

    /** What is wrong with the chain. */
    public enum Reason {
        /** No locator of the child names a file that exists. */
        MISSING_PARENT,
        /** Every usable locator is absolute, climbs out of the child's directory or is a link leaving it. */
        OUTSIDE_DIRECTORY,
        /** The file a locator names has another unique id than the one the child records. */
        UUID_MISMATCH,
        /** A disk would be its own ancestor. */
        LOOP,
        /** The chain is deeper than the limit. */
        TOO_DEEP,
        /** The new parent's path or name does not fit the child's reserved space. */
        LOCATOR_TOO_LONG,
        /** The files do not form a chain this operation accepts (not differencing, empty, bad name). */
        NOT_A_CHAIN
    }

    private final Reason reason;

    /**
     * Creates the error.
     *
     * @param path the file concerned (the child, for parent problems)
     * @param reason what kind of problem
     * @param message what is wrong, as the rest of a sentence after the file name
     */
    public VhdChainException(Path path, Reason reason, String message) {
        super(path, message, null);
        this.reason = reason;
    }

    /**
     * What kind of problem it is.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }
}
