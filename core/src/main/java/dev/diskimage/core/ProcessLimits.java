package dev.diskimage.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Resource limits for one external program, applied with util-linux {@code prlimit}, which sets
 * the limits and then execs the program in place (same pid, so the timeout watchdog still kills
 * the right process). This is Cinder's {@code prlimit} guard for {@code qemu-img info}: a crafted
 * image must not make qemu-img spin or allocate without bound.
 *
 * @param cpuSeconds CPU time after which the kernel sends SIGXCPU (then SIGKILL), at least 1
 * @param addressSpaceBytes maximum virtual address space of the process, at least 1
 */
public record ProcessLimits(long cpuSeconds, long addressSpaceBytes) {

    /** The program that applies the limits; it must be on the PATH. */
    static final String PRLIMIT = "prlimit";

    /**
     * Checks that both limits are positive.
     *
     * @param cpuSeconds CPU time in seconds after which the kernel sends SIGXCPU, at least 1
     * @param addressSpaceBytes maximum virtual address space in bytes, at least 1
     * @throws IllegalArgumentException if a limit is not positive
     */
    public ProcessLimits {
        if (cpuSeconds < 1) {
            throw new IllegalArgumentException("cpuSeconds must be at least 1: " + cpuSeconds);
        }
        if (addressSpaceBytes < 1) {
            throw new IllegalArgumentException("addressSpaceBytes must be at least 1: " + addressSpaceBytes);
        }
    }

    /** The command line that runs {@code command} under these limits. */
    List<String> wrap(List<String> command) {
        List<String> wrapped = new ArrayList<>(command.size() + 4);
        wrapped.add(PRLIMIT);
        wrapped.add("--cpu=" + cpuSeconds);
        wrapped.add("--as=" + addressSpaceBytes);
        // "--" ends prlimit's options, so a program name starting with '-' is never an option.
        wrapped.add("--");
        wrapped.addAll(command);
        return wrapped;
    }
}
