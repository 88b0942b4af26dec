package dev.diskimage.catalog.testing;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Waits for a count a server writes to its log after it answered (nginx's and Glance's access
 * logs lag the response by a little).
 */
final class Counts {
    private Counts() {
    }

    /**
     * Reads {@code count} until it reaches {@code expected} or 5 s passed.
     *
     * @return the last count read: {@code expected} or more, unless the time ran out
     */
    static long await(LongSupplier count, long expected) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long seen = count.getAsLong();
        while (seen < expected && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return count.getAsLong();
            }
            seen = count.getAsLong();
        }
        return seen;
    }
}
