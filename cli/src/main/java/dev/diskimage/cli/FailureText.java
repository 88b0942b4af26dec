package dev.diskimage.cli;

import dev.diskimage.core.ImageException;
import dev.diskimage.core.IoErrorText;
import java.io.UncheckedIOException;

/**
 * A one-line reason for a failure: our own errors say what went wrong in the user's terms;
 * anything else is a bug whose message would only name Java internals, so it points to the
 * debug log instead. Shared by every command so that none of them ever prints a stack trace.
 */
final class FailureText {
    private FailureText() {
    }

    static String describe(Throwable failure) {
        if (failure instanceof ImageException || failure instanceof IllegalArgumentException) {
            return failure.getMessage();
        }
        if (failure instanceof UncheckedIOException io) {
            return "cannot read: " + IoErrorText.describe(io.getCause());
        }
        return "internal error (run with --verbose for the details)";
    }
}
