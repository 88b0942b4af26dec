package dev.diskimage.conversion.vhd;

import dev.diskimage.core.ImageException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A VHD file cannot be used as asked. Names the file and the reason; subtypes say which kind of
 * problem it is: {@link VhdCorruptException} (the file breaks the format) and
 * {@link VhdParentException} (a differencing disk and its parent do not fit together).
 */
public class VhdException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;

    /**
     * Creates the error.
     *
     * @param path the VHD file concerned
     * @param reason what is wrong, as the rest of a sentence after the file name
     * @param cause the error that led to this one; may be null
     */
    public VhdException(Path path, String reason, Throwable cause) {
        super("VHD " + Objects.requireNonNull(path, "path") + ": " + reason, cause);
        this.path = path;
    }

    /**
     * The VHD file concerned.
     *
     * @return the path; null after deserialization (the path is not serialized)
     */
    public Path path() {
        return path;
    }
}
