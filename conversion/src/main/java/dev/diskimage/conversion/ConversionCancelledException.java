package dev.diskimage.conversion;

import dev.diskimage.core.ImageException;
import java.nio.file.Path;

/**
 * The conversion was cancelled through {@link Conversion#cancel()}, or stopped because the JVM is
 * shutting down. qemu-img was stopped and no partial file remains at (or beside) the target.
 */
public class ConversionCancelledException extends ImageException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param target the target the cancelled conversion was writing
     */
    public ConversionCancelledException(Path target) {
        super("conversion to " + target + " was cancelled; no partial target was left");
    }
}
