package dev.diskimage.catalog.cache;

import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * Turns successive byte counts of one download into a rate and an estimate of the time left, for
 * a {@link DownloadProgress} listener that shows them (the CLI's progress bar). The rate is an
 * exponentially weighted average over about the last few seconds, so a short stall shows without
 * throwing the estimate about. Not thread-safe: one meter per download.
 */
public final class TransferMeter {

    /** How much of the newest rate sample enters the average per second elapsed. */
    private static final double WEIGHT_PER_SECOND = 0.3;

    /** One reading of the meter. */
    public record Reading(long bytes, OptionalLong total, double bytesPerSecond, java.util.Optional<Duration> remaining) {
        /**
         * Checks the values.
         *
         * @throws IllegalArgumentException if bytes or the rate are negative
         */
        public Reading {
            Objects.requireNonNull(total, "total");
            Objects.requireNonNull(remaining, "remaining");
            if (bytes < 0 || bytesPerSecond < 0) {
                throw new IllegalArgumentException("negative bytes or rate");
            }
        }
    }

    private final LongSupplier nanoTime;
    private final long startNanos;
    private long lastNanos;
    private long lastBytes;
    private double rate = -1;

    /** A meter on the system's monotonic clock, started now. */
    public TransferMeter() {
        this(System::nanoTime);
    }

    TransferMeter(LongSupplier nanoTime) {
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.startNanos = nanoTime.getAsLong();
        this.lastNanos = startNanos;
    }

    /**
     * Records a new byte count and reads the meter.
     *
     * @param bytes bytes transferred so far (never fewer than last time)
     * @param total the download's length, if known
     * @return bytes, total, the rate in bytes per second, and the time left when both the total
     *     and a rate are known
     */
    public Reading update(long bytes, OptionalLong total) {
        long now = nanoTime.getAsLong();
        long elapsed = now - lastNanos;
        if (elapsed > 0 && bytes >= lastBytes) {
            double seconds = elapsed / 1e9;
            double sample = (bytes - lastBytes) / seconds;
            double weight = Math.min(1.0, WEIGHT_PER_SECOND * seconds);
            rate = rate < 0 ? sample : rate + weight * (sample - rate);
            lastNanos = now;
            lastBytes = bytes;
        }
        double shown = Math.max(0, rate);
        java.util.Optional<Duration> remaining = java.util.Optional.empty();
        if (total.isPresent() && shown > 0) {
            long left = Math.max(0, total.getAsLong() - bytes);
            remaining = java.util.Optional.of(Duration.ofMillis((long) Math.min(Long.MAX_VALUE / 2, left / shown * 1000)));
        }
        return new Reading(bytes, total, shown, remaining);
    }

    /**
     * The time since the meter started.
     *
     * @return the elapsed time
     */
    public Duration elapsed() {
        return Duration.ofNanos(nanoTime.getAsLong() - startNanos);
    }
}
