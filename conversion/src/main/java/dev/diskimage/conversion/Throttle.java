package dev.diskimage.conversion;

/**
 * How a conversion's I/O is limited, one value per request: not at all, by qemu-img's own rate
 * limit ({@code -r}), or by a cgroup v2 {@code io.max} limit on the block device being read or
 * written (Cinder's blkio throttling, on the unified hierarchy).
 */
public sealed interface Throttle {

    /**
     * No throttle.
     *
     * @return the value meaning "no limit"
     */
    static Throttle none() {
        return None.INSTANCE;
    }

    /**
     * qemu-img's own rate limit ({@code -r}): works for any source and target, needs no privilege.
     *
     * @param bytesPerSecond the limit; positive
     * @return the throttle
     * @throws IllegalArgumentException if the limit is not positive
     */
    static Throttle rateLimit(long bytesPerSecond) {
        return new RateLimit(bytesPerSecond);
    }

    /**
     * A cgroup v2 {@code io.max} limit on the block device source or target: qemu-img runs in a
     * child cgroup created for the conversion and removed after it. Needs a cgroup v2 hierarchy
     * this process may write, with the {@code io} controller enabled; otherwise the conversion is
     * refused with {@link ConversionRefusedException.Reason#THROTTLE_UNAVAILABLE}.
     *
     * @param readBytesPerSecond read limit, 0 for none
     * @param writeBytesPerSecond write limit, 0 for none
     * @return the throttle
     * @throws IllegalArgumentException if a limit is negative or both are 0
     */
    static Throttle cgroupIoMax(long readBytesPerSecond, long writeBytesPerSecond) {
        return new CgroupIoMax(readBytesPerSecond, writeBytesPerSecond);
    }

    /** No throttle. */
    enum None implements Throttle {
        /** The one value. */
        INSTANCE
    }

    /**
     * qemu-img's {@code -r}.
     *
     * @param bytesPerSecond the limit; positive
     */
    record RateLimit(long bytesPerSecond) implements Throttle {
        /**
         * Checks the limit.
         *
         * @param bytesPerSecond the limit; positive
         * @throws IllegalArgumentException if the limit is not positive
         */
        public RateLimit {
            if (bytesPerSecond <= 0) {
                throw new IllegalArgumentException("rate limit must be positive: " + bytesPerSecond);
            }
        }
    }

    /**
     * A cgroup v2 {@code io.max} limit.
     *
     * @param readBytesPerSecond read limit, 0 for none
     * @param writeBytesPerSecond write limit, 0 for none
     */
    record CgroupIoMax(long readBytesPerSecond, long writeBytesPerSecond) implements Throttle {
        /**
         * Checks the limits.
         *
         * @param readBytesPerSecond read limit, 0 for none
         * @param writeBytesPerSecond write limit, 0 for none
         * @throws IllegalArgumentException if a limit is negative or both are 0
         */
        public CgroupIoMax {
            if (readBytesPerSecond < 0 || writeBytesPerSecond < 0
                    || (readBytesPerSecond == 0 && writeBytesPerSecond == 0)) {
                throw new IllegalArgumentException("io.max limits must not be negative and not both 0: "
                        + readBytesPerSecond + ", " + writeBytesPerSecond);
            }
        }
    }
}
