package dev.diskimage.crypto;

import dev.diskimage.core.ImageException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A LUKS header cannot be read or used: the file is not LUKS, ends early, breaks a rule of the
 * LUKS1 or LUKS2 specification, or asks for more work or memory than this project allows.
 * Names the file, the reason and, where one field is to blame, its offset. Never carries a
 * passphrase or key material.
 */
public class LuksHeaderException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    /** What is wrong, without the file name. */
    private final String reason;
    /** The offset of the field to blame, or -1. */
    private final long offset;

    /**
     * Creates the error.
     *
     * @param file the LUKS file
     * @param offset the offset of the offending field, or -1 when no single field is to blame
     * @param reason what is wrong
     * @param cause the underlying error, may be null
     */
    LuksHeaderException(Path file, long offset, String reason, Throwable cause) {
        super(Objects.requireNonNull(file, "file") + ": " + reason + (offset >= 0 ? " (at offset " + offset + ")" : ""),
                cause);
        this.file = file;
        this.reason = reason;
        this.offset = offset;
    }

    LuksHeaderException(Path file, long offset, String reason) {
        this(file, offset, reason, null);
    }

    /**
     * The LUKS file.
     *
     * @return the path as given to {@link LuksHeader#read}; null after deserialization
     */
    public Path file() {
        return file;
    }

    /**
     * What is wrong, without the file name.
     *
     * @return the reason
     */
    public String reason() {
        return reason;
    }

    /**
     * The offset of the field to blame, when one is.
     *
     * @return the byte offset in the file, or empty
     */
    public OptionalLong offset() {
        return offset >= 0 ? OptionalLong.of(offset) : OptionalLong.empty();
    }
}
