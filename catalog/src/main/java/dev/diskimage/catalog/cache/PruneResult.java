package dev.diskimage.catalog.cache;

import java.util.List;

/**
 * What {@link ImageCache#prune(PrunePolicy)} did.
 *
 * @param removed the entries removed, least recently used first
 * @param keptInUse the entries the policy would have removed but that were in use
 * @param bytesFreed the bytes the removed entries held
 */
public record PruneResult(List<CacheEntry> removed, List<CacheEntry> keptInUse, long bytesFreed) {

    /** Copies the lists. */
    public PruneResult {
        removed = List.copyOf(removed);
        keptInUse = List.copyOf(keptInUse);
    }
}
