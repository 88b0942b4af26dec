package dev.diskimage.catalog.cache;

import dev.diskimage.core.ImageIoException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The locks of the cache's entry directories, for threads and processes alike. Each entry
 * directory has one lock file, {@code .lock}, with two one-byte regions:
 * <ul>
 *   <li>byte 0, the <em>change</em> lock, exclusive: held while an entry is checked, downloaded,
 *       renamed into place, has its record rewritten or is removed;</li>
 *   <li>byte 1, the <em>use</em> lock, shared: held while any {@link CachedImage} of the directory
 *       is open in a process. A pruner holding the change lock tries it exclusively: if that
 *       fails, another process uses the entry.</li>
 * </ul>
 * Holds are only taken under the change lock, and prune decides under it, so no hold can appear
 * between the pruner's test and its delete.
 *
 * <p>File locks belong to the process (POSIX {@code fcntl}): two threads of one JVM cannot both
 * lock a region ({@link java.nio.channels.OverlappingFileLockException}), and closing <em>any</em>
 * descriptor of the file drops all of the process's locks on it. So every JVM keeps one
 * {@link Slot} per directory, shared by all caches opened on it: an in-process mutex in front of
 * the change lock, a count of holds in front of the use lock, and one channel, open while either
 * is held and never opened twice.
 */
final class EntryLocks {

    /** Offset of the change lock's byte. */
    private static final long CHANGE_REGION = 0;
    /** Offset of the use lock's byte. */
    private static final long USE_REGION = 1;

    private static final ConcurrentMap<Path, Slot> SLOTS = new ConcurrentHashMap<>();

    private EntryLocks() {
    }

    /** The change lock of one directory, held; closing releases it. */
    interface Change extends AutoCloseable {
        /** Takes a use hold on the directory; released by the returned action. */
        Hold hold();

        /**
         * Whether the directory's entries are used by a {@link CachedImage} open in this or another
         * process.
         */
        boolean heldAnywhere();

        @Override
        void close();
    }

    /** One use hold; releasing twice is harmless. */
    interface Hold {
        void release();
    }

    /**
     * Takes the change lock of {@code directory} (which must exist), waiting for other threads and
     * processes.
     */
    static Change change(Path directory) {
        Slot slot = slot(directory);
        slot.mutex.lock();
        return slot.lockChange(true);
    }

    /** Takes the change lock if it is free now; null when another thread or process holds it. */
    static Change tryChange(Path directory) {
        Slot slot = slot(directory);
        if (!slot.mutex.tryLock()) {
            return null;
        }
        return slot.lockChange(false);
    }

    /**
     * Whether a {@link CachedImage} of the directory is open in this or another process, asked
     * without the change lock (a listing): the answer may be stale a moment later.
     */
    static boolean inUse(Path directory) {
        return slot(directory).heldAnywhere();
    }

    private static Slot slot(Path directory) {
        return SLOTS.computeIfAbsent(directory.toAbsolutePath().normalize(), Slot::new);
    }

    /** One directory's locks in this JVM. */
    private static final class Slot {
        private final Path lockFile;
        private final ReentrantLock mutex = new ReentrantLock();
        /* Guarded by this. */
        private FileChannel channel;
        private int channelUsers;
        private int holds;
        private FileLock useLock;

        Slot(Path directory) {
            this.lockFile = directory.resolve(".lock");
        }

        /** With the mutex held: the file lock, or null (mutex released) if busy and not waiting. */
        Change lockChange(boolean wait) {
            FileLock lock;
            try {
                FileChannel open = acquireChannel();
                try {
                    lock = wait ? open.lock(CHANGE_REGION, 1, false) : open.tryLock(CHANGE_REGION, 1, false);
                } catch (IOException | RuntimeException e) {
                    releaseChannel();
                    throw e;
                }
                if (lock == null) {
                    releaseChannel();
                    mutex.unlock();
                    return null;
                }
            } catch (IOException e) {
                mutex.unlock();
                throw new ImageIoException("cannot lock the cache entry", lockFile, e);
            } catch (RuntimeException e) {
                mutex.unlock();
                throw e;
            }
            FileLock held = lock;
            return new Change() {
                private boolean closed;

                @Override
                public Hold hold() {
                    return Slot.this.hold();
                }

                @Override
                public boolean heldAnywhere() {
                    return Slot.this.heldAnywhere();
                }

                @Override
                public void close() {
                    if (closed) {
                        return;
                    }
                    closed = true;
                    try {
                        held.release();
                    } catch (IOException e) {
                        // The channel closes below when nothing else uses it, which releases it too.
                    } finally {
                        releaseChannel();
                        mutex.unlock();
                    }
                }
            };
        }

        synchronized FileChannel acquireChannel() throws IOException {
            if (channel == null || !channel.isOpen()) {
                channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            }
            channelUsers++;
            return channel;
        }

        synchronized void releaseChannel() {
            channelUsers--;
            if (channelUsers == 0 && channel != null) {
                try {
                    channel.close();
                } catch (IOException e) {
                    // nothing is lost: closing drops the locks, which are all released already
                }
                channel = null;
            }
        }

        synchronized Hold hold() {
            if (holds == 0) {
                try {
                    FileChannel open = acquireChannel();
                    try {
                        useLock = open.lock(USE_REGION, 1, true);
                    } catch (IOException | RuntimeException e) {
                        releaseChannel();
                        throw e;
                    }
                } catch (IOException e) {
                    throw new ImageIoException("cannot mark the cache entry in use with", lockFile, e);
                }
            }
            holds++;
            return new Hold() {
                private boolean released;

                @Override
                public void release() {
                    synchronized (Slot.this) {
                        if (released) {
                            return;
                        }
                        released = true;
                        holds--;
                        if (holds == 0) {
                            try {
                                useLock.release();
                            } catch (IOException e) {
                                // closing the channel below releases it as well
                            }
                            useLock = null;
                            releaseChannel();
                        }
                    }
                }
            };
        }

        synchronized boolean heldAnywhere() {
            if (holds > 0) {
                return true;
            }
            try {
                FileChannel open = acquireChannel();
                try {
                    FileLock probe = open.tryLock(USE_REGION, 1, false);
                    if (probe == null) {
                        return true;
                    }
                    probe.release();
                    return false;
                } finally {
                    releaseChannel();
                }
            } catch (IOException e) {
                throw new ImageIoException("cannot tell whether the cache entry is in use from", lockFile, e);
            }
        }
    }
}
