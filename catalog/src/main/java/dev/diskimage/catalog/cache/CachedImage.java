package dev.diskimage.catalog.cache;

import dev.diskimage.core.DiskFormat;
import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A complete, verified, admitted cache entry, held in use until {@link #close()}: while it is
 * open no prune in any process removes it. Keep it open for as long as the file is read, or record
 * a lasting user with {@link ImageCache#addReferrer(CachedImage, Path)} (an overlay whose backing
 * file it is) before closing.
 */
public final class CachedImage implements AutoCloseable {
    private final Path path;
    private final URI url;
    private final long size;
    private final Checksum checksum;
    private final DiskFormat format;
    private final boolean downloaded;
    private final EntryLocks.Hold hold;

    CachedImage(Path path, URI url, long size, Checksum checksum, DiskFormat format, boolean downloaded,
            EntryLocks.Hold hold) {
        this.path = Objects.requireNonNull(path, "path");
        this.url = Objects.requireNonNull(url, "url");
        this.size = size;
        this.checksum = Objects.requireNonNull(checksum, "checksum");
        this.format = Objects.requireNonNull(format, "format");
        this.downloaded = downloaded;
        this.hold = Objects.requireNonNull(hold, "hold");
    }

    /**
     * The cached file; read-only, never rewritten in place.
     *
     * @return its absolute path
     */
    public Path path() {
        return path;
    }

    /**
     * The URL the entry is for.
     *
     * @return the URL
     */
    public URI url() {
        return url;
    }

    /**
     * The file's size.
     *
     * @return bytes
     */
    public long size() {
        return size;
    }

    /**
     * The digest of the file, as verified (the caller's) or computed (SHA-256) when stored.
     *
     * @return the checksum; always present for an entry of this cache
     */
    public Optional<Checksum> checksum() {
        return Optional.of(checksum);
    }

    /**
     * The format the gate admitted.
     *
     * @return the format
     */
    public DiskFormat format() {
        return format;
    }

    /**
     * Whether this fetch downloaded the file (false: it was in the cache already).
     *
     * @return true for a fresh download
     */
    public boolean downloaded() {
        return downloaded;
    }

    /** Releases the in-use hold; calling it again does nothing. */
    @Override
    public void close() {
        hold.release();
    }

    @Override
    public String toString() {
        return "CachedImage[" + url + " at " + path + ", " + format.qemuName() + ", " + size + " bytes]";
    }
}
