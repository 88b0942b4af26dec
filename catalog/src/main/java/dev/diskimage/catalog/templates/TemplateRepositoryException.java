package dev.diskimage.catalog.templates;

import dev.diskimage.core.ImageException;
import dev.diskimage.core.UntrustedText;
import java.util.Objects;

/**
 * A template repository document could not be read or breaks its schema: malformed JSON, a
 * missing or mistyped field, a name that cannot be a store file name, a source of an unknown
 * type. Names the repository (its path or URL) and the field, so the user knows which file to
 * fix and where.
 */
public class TemplateRepositoryException extends ImageException {
    private static final long serialVersionUID = 1L;
    private final String repository;
    private final String field;

    /**
     * Creates the error.
     *
     * @param repository the repository's path or URL as given by the caller
     * @param field the JSON path of the offending field, e.g. {@code templates.el7.versions.v1.timestamp};
     *     empty for the document as a whole
     * @param reason what is wrong
     */
    public TemplateRepositoryException(String repository, String field, String reason) {
        this(repository, field, reason, null);
    }

    /**
     * Creates the error with its cause.
     *
     * @param repository the repository's path or URL as given by the caller
     * @param field the JSON path of the offending field; empty for the document as a whole
     * @param reason what is wrong
     * @param cause the parser's or the transport's error; may be null
     */
    public TemplateRepositoryException(String repository, String field, String reason, Throwable cause) {
        super("template repository " + UntrustedText.sanitize(Objects.requireNonNull(repository, "repository"), 300)
                + (Objects.requireNonNull(field, "field").isEmpty() ? ""
                        : ", field " + UntrustedText.sanitize(field, 300))
                + ": " + reason, cause);
        this.repository = repository;
        this.field = field;
    }

    /**
     * The repository concerned.
     *
     * @return its path or URL as the caller gave it
     */
    public String repository() {
        return repository;
    }

    /**
     * The field that is wrong.
     *
     * @return a dotted JSON path, or empty when the document as a whole is at fault
     */
    public String field() {
        return field;
    }
}
