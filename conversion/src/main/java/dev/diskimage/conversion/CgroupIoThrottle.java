package dev.diskimage.conversion;

import dev.diskimage.conversion.ConversionRefusedException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A child cgroup (cgroup v2) with an {@code io.max} limit on one block device, for the lifetime
 * of one qemu-img run: created beside this JVM's own cgroup, the limit written, qemu-img's pid
 * moved into it as soon as it started, removed after qemu-img ended.
 *
 * <p>This is Cinder's blkio throttling ({@code cgcreate}/{@code cgset}/{@code cgexec} on the
 * cgroup v1 {@code blkio} controller) for the unified hierarchy, without the libcgroup tools:
 * cgroup v2 is a file system, so creating a group is a {@code mkdir} and joining it is writing a
 * pid to {@code cgroup.procs}. It needs a cgroup v2 mount, write access to the parent group and
 * the {@code io} controller enabled in the parent's {@code cgroup.subtree_control}; when any is
 * missing the conversion is refused ({@link Reason#THROTTLE_UNAVAILABLE}) rather than run
 * unthrottled. The pid is moved right after the process started, so the few microseconds
 * between exec and the move are unthrottled: qemu-img has not opened the images by then.
 */
final class CgroupIoThrottle implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CgroupIoThrottle.class);
    static final Path PROC_MOUNTS = Path.of("/proc/self/mounts");
    static final Path PROC_CGROUP = Path.of("/proc/self/cgroup");

    private final Path group;

    private CgroupIoThrottle(Path group) {
        this.group = group;
    }

    /**
     * The io.max line limiting one device; 0 means no limit in that direction ({@code max}).
     * cgroup v2 documentation: {@code MAJ:MIN rbps=N wbps=N}.
     */
    static String ioMaxLine(long major, long minor, long readBps, long writeBps) {
        return String.format(Locale.ROOT, "%d:%d rbps=%s wbps=%s", major, minor,
                readBps == 0 ? "max" : Long.toString(readBps), writeBps == 0 ? "max" : Long.toString(writeBps));
    }

    /** Where cgroup v2 is mounted, from the lines of {@code /proc/self/mounts}. */
    static Optional<Path> cgroup2Mount(List<String> mounts) {
        for (String line : mounts) {
            String[] fields = line.split(" ");
            if (fields.length >= 3 && fields[2].equals("cgroup2")) {
                return Optional.of(Path.of(fields[1].replace("\\040", " ")));
            }
        }
        return Optional.empty();
    }

    /** This process's cgroup v2 path (the {@code 0::/path} line of {@code /proc/self/cgroup}). */
    static Optional<String> ownGroup(List<String> cgroupLines) {
        return cgroupLines.stream().filter(line -> line.startsWith("0::")).map(line -> line.substring(3)).findFirst();
    }

    /** The parent group for the child: this process's own v2 group under the mount. */
    static Path parentGroup() {
        try {
            Path mount = cgroup2Mount(Files.readAllLines(PROC_MOUNTS)).orElseThrow(
                    () -> unavailable("no cgroup v2 hierarchy is mounted (cgroup v1 only)"));
            String own = ownGroup(Files.readAllLines(PROC_CGROUP)).orElseThrow(
                    () -> unavailable("this process is in no cgroup v2 group"));
            return mount.resolve(own.replaceFirst("^/+", ""));
        } catch (IOException e) {
            throw unavailable("cannot read " + PROC_MOUNTS + " or " + PROC_CGROUP + ": " + e.getMessage());
        }
    }

    /**
     * Creates a child of {@code parent} limiting {@code device}.
     *
     * @throws ConversionRefusedException when the parent is not writable or has no io controller
     */
    static CgroupIoThrottle create(Path parent, BlockDevice device, long readBps, long writeBps) {
        Path subtree = parent.resolve("cgroup.subtree_control");
        List<String> controllers;
        try {
            controllers = Arrays.asList(Files.readString(subtree, StandardCharsets.US_ASCII).trim().split("\\s+"));
        } catch (IOException e) {
            throw unavailable(parent + " is not a cgroup v2 group (" + subtree + " cannot be read)");
        }
        if (!controllers.contains("io")) {
            throw unavailable("the io controller is not enabled for the children of " + parent
                    + " (add +io to its cgroup.subtree_control)");
        }
        if (!Files.isWritable(parent)) {
            throw unavailable("this process may not create cgroups in " + parent);
        }
        Path group = parent.resolve("diskimage-convert-" + ProcessHandle.current().pid() + "-"
                + java.util.HexFormat.of().formatHex(PartialTarget.randomBytes(8)));
        try {
            Files.createDirectory(group);
        } catch (IOException e) {
            throw unavailable("cannot create the cgroup " + group + ": " + e.getMessage());
        }
        CgroupIoThrottle throttle = new CgroupIoThrottle(group);
        try {
            Files.writeString(group.resolve("io.max"), ioMaxLine(device.major(), device.minor(), readBps, writeBps),
                    StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throttle.close();
            throw unavailable("cannot write io.max in " + group + ": " + e.getMessage());
        }
        return throttle;
    }

    /** Moves a started process into the group. */
    void attach(long pid) {
        try {
            Files.writeString(group.resolve("cgroup.procs"), Long.toString(pid), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw unavailable("cannot move qemu-img into " + group + ": " + e.getMessage());
        }
    }

    Path group() {
        return group;
    }

    /** Removes the group; qemu-img has ended, so it is empty. */
    @Override
    public void close() {
        try {
            Files.deleteIfExists(group);
        } catch (IOException e) {
            LOG.warn("could not remove the cgroup {}: {}", group, e.getMessage());
        }
    }

    private static ConversionRefusedException unavailable(String why) {
        return new ConversionRefusedException(Reason.THROTTLE_UNAVAILABLE,
                "cannot throttle the conversion with a cgroup: " + why + "; use a qemu-img rate limit instead");
    }
}
