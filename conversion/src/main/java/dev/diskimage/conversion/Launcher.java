package dev.diskimage.conversion;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The programs qemu-img convert is started through; each execs the next in place, so the pid the
 * converter holds (to cancel, to move into a cgroup) is qemu-img's.
 *
 * <p>{@code setpriv --pdeathsig KILL --} (util-linux) asks the kernel to kill qemu-img when its
 * parent dies. The parent is the <em>thread</em> that started it (PR_SET_PDEATHSIG fires when
 * that thread exits, not only the process), and Java starts a process on the thread calling
 * {@code ProcessBuilder.start}: here the conversion's own thread, which then waits for qemu-img
 * to exit, so the signal fires only when the whole JVM dies (SIGKILL included). Without setpriv
 * on the PATH the conversion still runs, and a JVM killed with SIGKILL can leave qemu-img
 * running to its end.
 */
final class Launcher {
    private static final Logger LOG = LoggerFactory.getLogger(Launcher.class);
    private static final Optional<Path> SETPRIV = onPath("setpriv");
    private static final Optional<Path> NICE = onPath("nice");
    private static final Optional<Path> IONICE = onPath("ionice");
    // Background priority: a low CPU priority, and the lowest best-effort I/O priority (not the
    // idle class, which can starve the conversion on a busy host forever).
    static final String NICE_LEVEL = "10";
    static final String IONICE_CLASS = "2";
    static final String IONICE_LEVEL = "7";

    private Launcher() {
    }

    static List<String> forConversion(boolean background) {
        List<String> launcher = new ArrayList<>();
        if (SETPRIV.isPresent()) {
            launcher.addAll(List.of(SETPRIV.get().toString(), "--pdeathsig", "KILL", "--"));
        } else {
            LOG.warn("setpriv is not on the PATH: qemu-img will not be stopped if this JVM is killed");
        }
        if (background) {
            NICE.ifPresent(nice -> launcher.addAll(List.of(nice.toString(), "-n", NICE_LEVEL)));
            IONICE.ifPresent(ionice -> launcher.addAll(List.of(ionice.toString(), "-c", IONICE_CLASS, "-n",
                    IONICE_LEVEL)));
        }
        return launcher;
    }

    private static Optional<Path> onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, program);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }
}
