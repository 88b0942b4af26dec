package dev.diskimage.validation;

import dev.diskimage.core.ImageException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The file behind a validated path is no longer the file that was validated: it was modified,
 * replaced or removed since. Whatever is at the path now has not been inspected and must not be
 * handed to qemu-img; validate it again.
 */
public class ImageChangedException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final transient Path image;

    /**
     * Creates the error for {@code image}.
     *
     * @param image  the path that was validated
     * @param change what happened to the file, in words ("was replaced by another file")
     */
    public ImageChangedException(Path image, String change) {
        super("image " + Objects.requireNonNull(image, "image") + " " + Objects.requireNonNull(change, "change")
                + " since it was validated");
        this.image = image;
    }

    /**
     * The path that was validated.
     *
     * @return the path; null after deserialization (the path is not serialized)
     */
    public Path image() {
        return image;
    }
}
