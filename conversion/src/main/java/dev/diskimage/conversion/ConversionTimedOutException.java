package dev.diskimage.conversion;

import dev.diskimage.core.ImageException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The conversion took longer than the timeout its request set; qemu-img was killed and no partial
 * file remains at (or beside) the target.
 */
public class ConversionTimedOutException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final Duration timeout;

    /**
     * Creates the error.
     *
     * @param target the target the conversion was writing
     * @param timeout the timeout that expired
     * @param cause qemu-img's failure as the process runner reported it
     */
    public ConversionTimedOutException(Path target, Duration timeout, Throwable cause) {
        super("conversion to " + target + " did not finish within " + timeout.toMillis()
                + " ms and was stopped; no partial target was left", cause);
        this.timeout = timeout;
    }

    /**
     * The timeout that expired.
     *
     * @return the request's timeout
     */
    public Duration timeout() {
        return timeout;
    }
}
