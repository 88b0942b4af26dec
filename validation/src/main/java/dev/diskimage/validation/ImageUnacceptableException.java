package dev.diskimage.validation;

import dev.diskimage.core.ImageException;
import java.util.List;

/**
 * The image was inspected and refused: it is not what it claims to be, references something
 * outside itself, or breaks the policy. The findings say why, each with a stable code.
 */
public class ImageUnacceptableException extends ImageException {
    private static final long serialVersionUID = 1L;

    /** The image that was refused: a path or an image id. */
    private final String image;
    private final transient List<Finding> findings;

    /**
     * Creates a rejection of {@code image} (a path or an image id) with its reasons.
     *
     * @param image the refused image as the report names it: a path or an image id
     * @param findings the rejecting findings; copied, and each one's code and message are
     *     quoted in the exception message
     * @throws NullPointerException if {@code findings} or one of its elements is null
     */
    public ImageUnacceptableException(String image, List<Finding> findings) {
        super(describe(image, findings));
        this.image = image;
        this.findings = List.copyOf(findings);
    }

    /**
     * The image that was refused: a path or an image id.
     *
     * @return the image as named to the constructor
     */
    public String image() {
        return image;
    }

    /**
     * Why the image was refused; never empty.
     *
     * @return the rejecting findings, unmodifiable; null after deserialization (findings are
     *     not serialized)
     */
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
