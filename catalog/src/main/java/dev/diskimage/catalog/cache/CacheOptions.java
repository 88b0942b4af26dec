package dev.diskimage.catalog.cache;

import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link ImageCache} downloads.
 *
 * @param connectTimeout the longest wait for a connection
 * @param idleTimeout the longest wait for the response headers and, during the body, for the
 *     next bytes (a stalled server ends the download with {@link DownloadFailedException})
 * @param reserveBytes bytes that must stay free on the cache's file system besides a download
 *     of known length
 */
public record CacheOptions(Duration connectTimeout, Duration idleTimeout, long reserveBytes) {

    /**
     * Checks the values.
     *
     * @throws IllegalArgumentException if a timeout is not positive or the reserve is negative
     */
    public CacheOptions {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (connectTimeout.isNegative() || connectTimeout.isZero() || idleTimeout.isNegative()
                || idleTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive: " + connectTimeout + ", " + idleTimeout);
        }
        if (reserveBytes < 0) {
            throw new IllegalArgumentException("negative reserve " + reserveBytes);
        }
    }

    /**
     * 30 s to connect, 60 s without data, 64 MiB kept free.
     *
     * @return the defaults
     */
    public static CacheOptions defaults() {
        return new CacheOptions(Duration.ofSeconds(30), Duration.ofSeconds(60), 64L << 20);
    }

    /**
     * These options with another idle timeout.
     *
     * @param value the idle timeout
     * @return the options
     */
    public CacheOptions withIdleTimeout(Duration value) {
        return new CacheOptions(connectTimeout, value, reserveBytes);
    }
}
