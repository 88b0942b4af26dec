package dev.diskimage.catalog.cache;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What {@link ImageCache#prune(PrunePolicy)} removes: entries not used for longer than
 * {@code maxAge}, then least recently used entries until the cache holds at most
 * {@code maxBytes}. Entries in use are never removed.
 *
 * @param maxBytes the most the cache's entries may hold together, if limited
 * @param maxAge the longest an entry may stay unused, if limited
 */
public record PrunePolicy(OptionalLong maxBytes, Optional<Duration> maxAge) {

    /**
     * Checks the limits.
     *
     * @throws IllegalArgumentException if a limit is negative
     */
    public PrunePolicy {
        Objects.requireNonNull(maxBytes, "maxBytes");
        Objects.requireNonNull(maxAge, "maxAge");
        if (maxBytes.isPresent() && maxBytes.getAsLong() < 0) {
            throw new IllegalArgumentException("negative maximum size " + maxBytes.getAsLong());
        }
        if (maxAge.isPresent() && maxAge.get().isNegative()) {
            throw new IllegalArgumentException("negative maximum age " + maxAge.get());
        }
    }

    /**
     * A size limit alone.
     *
     * @param bytes the most the entries may hold
     * @return the policy
     */
    public static PrunePolicy maxBytes(long bytes) {
        return new PrunePolicy(OptionalLong.of(bytes), Optional.empty());
    }

    /**
     * An age limit alone.
     *
     * @param age the longest an entry may stay unused
     * @return the policy
     */
    public static PrunePolicy maxAge(Duration age) {
        return new PrunePolicy(OptionalLong.empty(), Optional.of(age));
    }
}
