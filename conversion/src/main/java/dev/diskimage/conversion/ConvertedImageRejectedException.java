package dev.diskimage.conversion;

import dev.diskimage.validation.Finding;
import dev.diskimage.validation.ImageUnacceptableException;
import java.util.List;

/**
 * qemu-img finished, but its output was refused by the validator: it is not of the requested
 * format, or breaks the policy (Glance re-inspects its converted images for the same reason: a
 * conversion must not launder a hostile image). The output was deleted.
 */
public class ConvertedImageRejectedException extends ImageUnacceptableException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param target the target the refused output was meant for
     * @param findings the validator's rejecting findings about the output
     */
    public ConvertedImageRejectedException(String target, List<Finding> findings) {
        super("converted output for " + target, findings);
    }
}
