package dev.diskimage.core;

/**
 * The host cache modes qemu accepts for an image it opens ({@code qemu-img convert -t} for the
 * target, {@code -T} for the source). A closed set, so a typo is a compile error instead of a
 * qemu-img failure minutes into a job.
 */
public enum CacheMode {
    /** {@code none}: O_DIRECT, bypassing the host page cache; use only after an O_DIRECT probe. */
    NONE("none"),
    /** {@code writeback}: the host page cache is used, flushes are honoured. */
    WRITEBACK("writeback"),
    /** {@code writethrough}: every write is flushed to the disk before it completes. */
    WRITETHROUGH("writethrough"),
    /** {@code directsync}: O_DIRECT and every write flushed. */
    DIRECTSYNC("directsync"),
    /** {@code unsafe}: like writeback, but flushes are ignored; fast, loses data on a crash. */
    UNSAFE("unsafe");

    private final String qemuName;

    CacheMode(String qemuName) {
        this.qemuName = qemuName;
    }

    /**
     * The name qemu expects on its command line, e.g. {@code writeback}.
     *
     * @return the lower-case mode name for {@code -t} or {@code -T}
     */
    public String qemuName() {
        return qemuName;
    }
}
