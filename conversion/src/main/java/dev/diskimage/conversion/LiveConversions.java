package dev.diskimage.conversion;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The conversions running in this JVM, so that a JVM shutdown (SIGTERM, {@code System.exit})
 * stops their qemu-img and removes their partial siblings and secret files. One shutdown hook, registered with
 * the first conversion. (After SIGKILL no hook runs: then the kernel kills qemu-img through its
 * parent-death signal, and {@link PartialTarget#removeStale} cleans the sibling up later.)
 */
final class LiveConversions {
    /** One running conversion: its process once started, its sibling if it writes one. */
    static final class Entry {
        final AtomicReference<ProcessHandle> process = new AtomicReference<>();
        final Optional<PartialTarget> partial;
        // The conversion's secret files, deleted at shutdown too (a passphrase must not outlive the JVM).
        final AtomicReference<Encryption.Secrets> secrets = new AtomicReference<>();

        Entry(Optional<PartialTarget> partial) {
            this.partial = partial;
        }
    }

    private static final Map<Entry, Boolean> LIVE = new ConcurrentHashMap<>();
    private static final AtomicBoolean HOOKED = new AtomicBoolean();
    private static final long STOP_WAIT_MILLIS = 2000;

    private LiveConversions() {
    }

    static Entry register(Optional<PartialTarget> partial) {
        // The hook runs only when the JVM exits, which no unit test can observe (stopAll itself is tested).
        if (HOOKED.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(LiveConversions::stopAll, "diskimage-convert-shutdown"));
        }
        Entry entry = new Entry(partial);
        LIVE.put(entry, Boolean.TRUE);
        return entry;
    }

    static void unregister(Entry entry) {
        LIVE.remove(entry);
    }

    /** How many conversions are registered (for tests: an ended conversion must not stay). */
    static int size() {
        return LIVE.size();
    }

    /** The hook: kill every qemu-img, wait for it, remove the siblings. */
    static void stopAll() {
        for (Entry entry : LIVE.keySet()) {
            ProcessHandle process = entry.process.get();
            if (process != null) {
                process.destroyForcibly();
                try {
                    process.onExit().get(STOP_WAIT_MILLIS, TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    // Best effort at shutdown: the parent-death signal still covers qemu-img.
                }
            }
            entry.partial.ifPresent(PartialTarget::discard);
            Encryption.Secrets secrets = entry.secrets.get();
            if (secrets != null) {
                secrets.close();
            }
        }
    }
}
