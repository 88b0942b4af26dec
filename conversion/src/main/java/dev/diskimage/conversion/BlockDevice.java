package dev.diskimage.conversion;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A block device node, with the major:minor numbers cgroup {@code io.max} lines name. Block
 * devices are written in place (volumes); files get a sibling and a rename.
 *
 * @param path the device node
 * @param major the device's major number
 * @param minor the device's minor number
 */
public record BlockDevice(Path path, long major, long minor) {
    // stat(2): file type bits of st_mode, and the block device type.
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;

    /**
     * The block device at {@code path} (links followed).
     *
     * @param path the path to look at
     * @return the device, or empty for anything else (a file, a missing path)
     */
    public static Optional<BlockDevice> at(Path path) {
        try {
            Map<String, Object> attributes = Files.readAttributes(path, "unix:mode,rdev");
            int mode = (Integer) attributes.get("mode");
            if ((mode & S_IFMT) != S_IFBLK) {
                return Optional.empty();
            }
            long rdev = (Long) attributes.get("rdev");
            return Optional.of(new BlockDevice(path, major(rdev), minor(rdev)));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    // glibc's gnu_dev_major/gnu_dev_minor: 12 bits of major and 20 of minor, split across dev_t.
    static long major(long rdev) {
        return ((rdev >>> 8) & 0xfffL) | ((rdev >>> 32) & 0xfffff000L);
    }

    static long minor(long rdev) {
        return (rdev & 0xffL) | ((rdev >>> 12) & 0xffffff00L);
    }
}
