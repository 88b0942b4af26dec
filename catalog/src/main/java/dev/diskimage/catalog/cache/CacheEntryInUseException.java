package dev.diskimage.catalog.cache;

import dev.diskimage.core.ImageException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A cache entry would have to be replaced by other bytes while it is in use (a {@link CachedImage}
 * is open, or an overlay refers to it): the mirror now serves another image at the same URL, or the
 * entry's record is unreadable. Replacing it would change the backing file under its users, so the
 * entry is left as it is; close its users (or remove the overlays) and fetch again.
 */
public class CacheEntryInUseException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final URI url;
    private final transient Path path;

    /**
     * Creates the error; the message names the URL, the cached file and the reason.
     *
     * @param url the entry's URL
     * @param path the cached file
     * @param reason why it would have to be replaced
     */
    public CacheEntryInUseException(URI url, Path path, String reason) {
        super("the cached image " + Objects.requireNonNull(path, "path") + " for "
                + Objects.requireNonNull(url, "url") + " is in use and cannot be replaced: " + reason);
        this.url = url;
        this.path = path;
    }

    /**
     * The entry's URL.
     *
     * @return the URL
     */
    public URI url() {
        return url;
    }

    /**
     * The cached file.
     *
     * @return its path; null after deserialization
     */
    public Path path() {
        return path;
    }
}
