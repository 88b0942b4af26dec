package dev.diskimage.core;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Says what went wrong with a file in words a user acts on ("permission denied", "no such
 * file") rather than Java exception names; the caller names the file.
 */
public final class IoErrorText {
    private IoErrorText() {
    }

    /**
     * A short lower-case reason for {@code error}, without the file name.
     *
     * @param error the failed operation's exception; not null
     * @return a fixed phrase for a missing file, a denied permission, a non-directory path
     *     component or an interrupted thread; otherwise the file system's reason or the exception message, sanitized
     *     and cut to 300 characters, or {@code "input/output error"} when there is no message
     */
    public static String describe(IOException error) {
        if (error instanceof NoSuchFileException) {
            return "no such file";
        }
        if (error instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (error instanceof NotDirectoryException) {
            return "a component of the path is not a directory";
        }
        if (error instanceof ClosedByInterruptException) {
            // The JDK closes a file channel that an interrupted thread uses, with no message.
            return "the thread was interrupted";
        }
        if (error instanceof FileSystemException fileSystem && fileSystem.getReason() != null) {
            return UntrustedText.sanitize(fileSystem.getReason(), 300);
        }
        String message = error.getMessage();
        return message == null || message.isBlank() ? "input/output error" : UntrustedText.sanitize(message, 300);
    }
}
