package dev.diskimage.conversion.vhd;

import java.nio.file.Path;

/**
 * A VHD resize was refused before anything was changed (a shrink that was not allowed or would
 * cut allocated data, a size beyond the format's limit, a layout this code does not move), or a
 * resize journal cannot be used. The file is unchanged when this is thrown.
 */
public final class VhdResizeException extends VhdException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param path the VHD file (or the journal) concerned
     * @param reason why the resize was refused, as the rest of a sentence after the file name
     */
    public VhdResizeException(Path path, String reason) {
        super(path, reason, null);
    }
}
