package dev.diskimage.catalog.templates;

import dev.diskimage.core.ImageException;

/**
 * A file that belongs to a template version (its {@code .hash}, its {@code .metadata}, the
 * image itself, or the store's copy of one of them) could not be read or written, or is
 * malformed. The message names the file or URL and the reason.
 */
public class TemplateFileException extends ImageException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param message names the file or URL and the reason
     * @param cause the underlying error; may be null
     */
    public TemplateFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
