package dev.diskimage.catalog.templates;

import dev.diskimage.core.ImageIoException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The exclusive lock of one store name, across threads and processes: an in-JVM lock first
 * (a {@link FileLock} belongs to the whole process, and a second one on the same file in the
 * same JVM throws {@code OverlappingFileLockException}), then an exclusive lock on the
 * {@code repo:template:version.lock} file (lago's lock file name), which the OS releases when a
 * process dies, so a killed holder never leaves a lock behind.
 */
final class StoreLock implements AutoCloseable {
    /** One in-JVM lock per lock file; a store has few names, so entries are kept. */
    private static final ConcurrentMap<Path, ReentrantLock> IN_JVM = new ConcurrentHashMap<>();

    private final ReentrantLock jvmLock;
    private final FileChannel channel;
    private final FileLock fileLock;

    private StoreLock(ReentrantLock jvmLock, FileChannel channel, FileLock fileLock) {
        this.jvmLock = jvmLock;
        this.channel = channel;
        this.fileLock = fileLock;
    }

    /**
     * Waits for and takes the lock.
     *
     * @param lockFile the lock file; created if missing, never deleted (deleting it would let
     *     two processes lock two different files of the same name)
     * @return the held lock
     * @throws ImageIoException if the file cannot be opened or locked
     */
    static StoreLock acquire(Path lockFile) {
        Path key = lockFile.toAbsolutePath().normalize();
        ReentrantLock jvmLock = IN_JVM.computeIfAbsent(key, k -> new ReentrantLock());
        jvmLock.lock();
        FileChannel channel = null;
        try {
            channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock fileLock = channel.lock();
            return new StoreLock(jvmLock, channel, fileLock);
        } catch (IOException e) {
            closeQuietly(channel);
            jvmLock.unlock();
            throw new ImageIoException("could not lock", key, e);
        } catch (RuntimeException | Error e) {
            closeQuietly(channel);
            jvmLock.unlock();
            throw e;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // releasing: the OS drops the lock with the descriptor
            }
        }
    }

    /** Releases the file lock, then the in-JVM lock. */
    @Override
    public void close() {
        try {
            fileLock.release();
        } catch (IOException ignored) {
            // closing the channel below releases it too
        } finally {
            closeQuietly(channel);
            jvmLock.unlock();
        }
    }
}
