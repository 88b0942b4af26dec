package dev.diskimage.catalog.cache;

import dev.diskimage.core.DiskFormat;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One complete entry of the cache, as {@link ImageCache#list()} sees it.
 *
 * @param url the URL that names the entry
 * @param path the cached file
 * @param size its size in bytes
 * @param lastUsed when it was last fetched or looked up
 * @param inUse whether a {@link CachedImage} holds it (in any process) or a referrer still exists
 * @param checksum the digest recorded when it was stored
 * @param format the format the gate admitted
 * @param downloaded when it was stored
 * @param referrers the files recorded as referring to it (e.g. overlays) that still exist
 */
public record CacheEntry(URI url, Path path, long size, Instant lastUsed, boolean inUse, Checksum checksum,
        DiskFormat format, Instant downloaded, List<Path> referrers) {

    /** Checks the values; copies the list. */
    public CacheEntry {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(lastUsed, "lastUsed");
        Objects.requireNonNull(checksum, "checksum");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(downloaded, "downloaded");
        referrers = List.copyOf(referrers);
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size);
        }
    }
}
