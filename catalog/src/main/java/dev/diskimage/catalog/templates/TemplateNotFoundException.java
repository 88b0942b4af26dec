package dev.diskimage.catalog.templates;

import dev.diskimage.core.ImageNotFoundException;

/**
 * A template repository, a template, a version, or a file a version names (the image, its
 * {@code .hash}, its {@code .metadata}) does not exist. The message names the repository and
 * what is missing, and for a template or version lists what there is.
 */
public class TemplateNotFoundException extends ImageNotFoundException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param message names the repository and what is missing
     */
    public TemplateNotFoundException(String message) {
        super(message);
    }

    /**
     * Creates the error with its cause.
     *
     * @param message names the repository and what is missing
     * @param cause the error that showed it missing (a 404, a {@code NoSuchFileException}); may be null
     */
    public TemplateNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
