package dev.diskimage.validation;

import dev.diskimage.core.ImageException;
import java.util.List;

/**
 * The image was inspected and refused: it is not what it claims to be, references something
 * outside itself, or breaks the policy. The findings say why, each with a stable code.
 */
public class ImageUnacceptableException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final String image;
    private final transient List<Finding> findings;

    /** Creates a rejection of {@code image} (a path or an image id) with its reasons. */
    public ImageUnacceptableException(String image, List<Finding> findings) {
        super(describe(image, findings));
        this.image = image;
        this.findings = List.copyOf(findings);
    }

    /** The image that was refused: a path or an image id. */
    public String image() {
        return image;
    }

    /** Why the image was refused; never empty. */
    public List<Finding> findings() {
        return findings;
    }

    private static String describe(String image, List<Finding> findings) {
        StringBuilder text = new StringBuilder("image ").append(image).append(" is unacceptable");
        String separator = ": ";
        for (Finding finding : findings) {
            text.append(separator).append(finding.code()).append(" (").append(finding.message()).append(')');
            separator = "; ";
        }
        return text.toString();
    }
}
