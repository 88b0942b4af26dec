package dev.diskimage.conversion;

/**
 * How qemu-img writes the target: through the host page cache or around it. The default,
 * {@link #AUTO}, bypasses the cache (O_DIRECT, {@code -t none}) where the destination allows it
 * and falls back to {@code writeback} where it does not.
 */
public enum TargetCache {
    /**
     * {@code -t none} first; when qemu-img cannot open the target with O_DIRECT (NFSv3, ZFS, some
     * tmpfs refuse it), the conversion is run again with {@code -t writeback}. The result says
     * which mode was used.
     */
    AUTO,
    /** {@code -t none} only: a destination that refuses O_DIRECT fails the conversion. */
    NONE,
    /** {@code -t writeback}: through the host page cache. */
    WRITEBACK
}
