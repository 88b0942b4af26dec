package dev.diskimage.catalog.cache;

import dev.diskimage.core.ImageException;
import dev.diskimage.core.ImageIoException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *
 * <p>A {@link FileChannel} is closed by the JDK when a thread that is interrupted uses it, which
 * would drop every lock of the JVM on the file. So locks are never waited for inside the channel
 * ({@code lock()} blocks interruptibly): they are polled with {@code tryLock()} with the caller's
 * interrupt status cleared around each call (and restored after), and a channel found closed
 * anyway is reopened with the use lock taken again.
 */
final class EntryLocks {
    private static final Logger LOG = LoggerFactory.getLogger(EntryLocks.class);

    /** Offset of the change lock's byte. */
    private static final long CHANGE_REGION = 0;
    /** Offset of the use lock's byte. */
    private static final long USE_REGION = 1;
    /** First and longest pause between two attempts at a busy file lock. */
    private static final long FIRST_PAUSE_MILLIS = 1;
    private static final long LONGEST_PAUSE_MILLIS = 50;

    private static final ConcurrentMap<Path, Slot> SLOTS = new ConcurrentHashMap<>();

    private EntryLocks() {
    }

    /** The change lock of one directory, held; closing releases it. */
    interface Change extends AutoCloseable {
        /** Takes a use hold on the directory, released by {@link Hold#release()}. */
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
     *
     * @throws ImageException if the thread is interrupted while it waits (its interrupt status is kept)
     */
    static Change change(Path directory) {
        Slot slot = slot(directory);
        try {
            // Another thread of this JVM downloading the entry holds the mutex: wait interruptibly.
            slot.mutex.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageException("interrupted while waiting for the cache entry lock " + slot.lockFile, e);
        }
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

    /** A channel operation that may fail. */
    @FunctionalInterface
    private interface LockCall {
        FileLock call(FileChannel channel) throws IOException;
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
                lock = poll(wait, open -> open.tryLock(CHANGE_REGION, 1, false));
            } catch (RuntimeException e) {
                mutex.unlock();
                throw e;
            }
            if (lock == null) {
                mutex.unlock();
                return null;
            }
            return new HeldChange(lock);
        }

        /**
         * Polls {@code call} until it returns a lock (or once, when not waiting); counts as a user
         * of the channel while a lock is returned.
         */
        private FileLock poll(boolean wait, LockCall call) {
            long pause = FIRST_PAUSE_MILLIS;
            while (true) {
                synchronized (this) {
                    FileLock lock = attempt(call);
                    if (lock != null) {
                        return lock;
                    }
                }
                if (!wait) {
                    return null;
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(pause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ImageException("interrupted while waiting for the cache entry lock " + lockFile, e);
                }
                pause = Math.min(LONGEST_PAUSE_MILLIS, pause * 2);
            }
        }

        /** One try, with the lock held on this slot; the channel gains a user if a lock is returned. */
        private FileLock attempt(LockCall call) {
            boolean interrupted = Thread.interrupted();
            try {
                FileChannel open = openChannel();
                FileLock lock;
                try {
                    lock = call.call(open);
                } catch (ClosedChannelException e) {
                    // Closed under us (an interrupt elsewhere): reopen, restoring the use lock, and retry once.
                    channel = null;
                    lock = call.call(openChannel());
                }
                if (lock != null) {
                    channelUsers++;
                }
                return lock;
            } catch (IOException e) {
                throw new ImageIoException("cannot lock the cache entry", lockFile, e);
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                closeIfUnused();
            }
        }

        /** The channel, reopened (and the use lock retaken for open holds) if it was closed. */
        private FileChannel openChannel() throws IOException {
            if (channel != null && channel.isOpen()) {
                return channel;
            }
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            if (holds > 0) {
                LOG.warn("the lock file {} was closed while entries were in use; taking the use lock again", lockFile);
                useLock = channel.lock(USE_REGION, 1, true);
            }
            return channel;
        }

        private void closeIfUnused() {
            if (channelUsers == 0 && holds == 0 && channel != null) {
                try {
                    channel.close();
                } catch (IOException e) {
                    // nothing is lost: closing drops the locks, which are all released already
                }
                channel = null;
            }
        }

        private synchronized void releaseUser(FileLock lock) {
            boolean interrupted = Thread.interrupted();
            try {
                if (lock.isValid()) {
                    lock.release();
                }
            } catch (IOException e) {
                // closing the channel (below, when nobody else uses it) releases it too
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                channelUsers--;
                closeIfUnused();
            }
        }

        /** A use hold; called with the change lock held (so no pruner holds the use region exclusively). */
        Hold hold() {
            synchronized (this) {
                if (holds == 0) {
                    useLock = poll(true, open -> open.tryLock(USE_REGION, 1, true));
                    // The hold keeps the channel open by itself (holds > 0), not as a user.
                    channelUsers--;
                }
                holds++;
            }
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
                            FileLock lock = useLock;
                            useLock = null;
                            channelUsers++;
                            releaseUser(lock);
                        }
                    }
                }
            };
        }

        /** Whether a use hold exists here or in another process (the use region cannot be locked exclusively). */
        synchronized boolean heldAnywhere() {
            if (holds > 0) {
                return true;
            }
            FileLock probe = attempt(open -> open.tryLock(USE_REGION, 1, false));
            if (probe == null) {
                return true;
            }
            releaseUser(probe);
            return false;
        }

        /** The change lock, held until closed. */
        private final class HeldChange implements Change {
            private final FileLock lock;
            private boolean closed;

            HeldChange(FileLock lock) {
                this.lock = lock;
            }

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
                    releaseUser(lock);
                } finally {
                    mutex.unlock();
                }
            }
        }
    }
}
