package dev.diskimage.cli;

import dev.diskimage.core.ImageException;
import java.nio.file.Path;

/**
 * A policy file that cannot be used: unreadable, not JSON, an unknown key, a value of the wrong
 * type or a policy that contradicts itself. The message names the file and, where there is
 * one, the key, in the file's own vocabulary.
 */
final class PolicyFileException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    PolicyFileException(Path file, String reason, Throwable cause) {
        super("policy file " + file + ": " + reason, cause);
        this.file = file;
    }

    /** The policy file concerned. */
    Path file() {
        return file;
    }
}
