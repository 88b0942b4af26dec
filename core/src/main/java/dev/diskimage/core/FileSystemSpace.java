package dev.diskimage.core;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Asks the file system holding an existing path where it is mounted and how many bytes this
 * process may still write to it. The seam {@link SpaceCheck} asks through, so that its decisions
 * can be tested with exact numbers a real disk never has.
 */
@FunctionalInterface
interface FileSystemSpace {

    /** The real file systems, through {@link FileStore}. */
    FileSystemSpace SYSTEM = FileSystemSpace::ofFileStore;

    /**
     * The file system holding {@code existing}.
     *
     * @throws IOException if the file system cannot be asked
     */
    Usage usageOf(Path existing) throws IOException;

    /**
     * One file system's answer.
     *
     * @param mountPoint where it is mounted
     * @param usableBytes bytes an unprivileged writer may still use (reserved blocks excluded)
     */
    record Usage(Path mountPoint, long usableBytes) {
    }

    private static Usage ofFileStore(Path existing) throws IOException {
        Path real = existing.toRealPath();
        FileStore store = Files.getFileStore(real);
        // FileStore names the device, not the mount point: the highest ancestor still on the
        // same store is where it is mounted.
        Path mountPoint = real;
        for (Path parent = real.getParent(); parent != null && Files.getFileStore(parent).equals(store);
                parent = parent.getParent()) {
            mountPoint = parent;
        }
        return new Usage(mountPoint, store.getUsableSpace());
    }
}
