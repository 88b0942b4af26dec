package dev.diskimage.conversion.vhd;

import java.nio.file.Path;

/**
 * A differencing disk and its parent do not fit together: the parent is missing where its data is
 * needed, or it is not the disk the child names (another unique id).
 */
public final class VhdParentException extends VhdException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param child the differencing disk
     * @param reason what is wrong
     */
    public VhdParentException(Path child, String reason) {
        super(child, reason, null);
    }
}
