package dev.diskimage.conversion;

import dev.diskimage.core.ImageException;
import dev.diskimage.core.QemuImgException;
import java.nio.file.Path;

/**
 * qemu-img failed while converting (it exited with an error or was killed from outside). Its
 * failure, with the command line, exit code and stderr tail, is the {@link #getCause() cause};
 * no partial file remains at (or beside) a file target.
 */
public class ConversionFailedException extends ImageException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param target the target the conversion was writing
     * @param cause qemu-img's failure
     */
    public ConversionFailedException(Path target, QemuImgException cause) {
        super("qemu-img could not convert to " + target + " (exit code " + cause.exitCode() + ")"
                + (cause.stderrTail().isBlank() ? "" : ": " + lastLine(cause.stderrTail()))
                + "; no partial target was left", cause);
    }

    /**
     * qemu-img's failure.
     *
     * @return the cause, with command line, exit code and stderr tail
     */
    public QemuImgException qemuImgFailure() {
        return (QemuImgException) getCause();
    }

    private static String lastLine(String text) {
        String stripped = text.strip();
        int newline = stripped.lastIndexOf('\n');
        // newline is never 0 in stripped text: "< 0" and "<= 0" are equivalent.
        return newline < 0 ? stripped : stripped.substring(newline + 1);
    }
}
