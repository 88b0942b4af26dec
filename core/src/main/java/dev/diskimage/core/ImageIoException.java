package dev.diskimage.core;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An I/O operation on a file this project manages failed: creating or deleting a temporary
 * file, asking a file system for its free space. Names the file and says in plain words what
 * went wrong ({@link IoErrorText#describe(IOException)}); the {@link IOException} is the cause.
 */
public class ImageIoException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;

    /**
     * Creates the error.
     *
     * @param action what was being done, as the start of a sentence naming the place, e.g.
     *     {@code "could not create a temporary file in"}
     * @param path the file or directory concerned
     * @param cause the underlying error
     */
    public ImageIoException(String action, Path path, IOException cause) {
        super(Objects.requireNonNull(action, "action") + " " + Objects.requireNonNull(path, "path") + ": "
                + IoErrorText.describe(Objects.requireNonNull(cause, "cause")), cause);
        this.path = path;
    }

    /**
     * The file or directory concerned.
     *
     * @return the path as given to the constructor; null after deserialization (the path is
     *     not serialized)
     */
    public Path path() {
        return path;
    }

    /** The underlying I/O error. */
    @Override
    public synchronized IOException getCause() {
        return (IOException) super.getCause();
    }
}
