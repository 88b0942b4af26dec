package dev.diskimage.core.testing;

import dev.diskimage.core.QemuImg;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the real {@code qemu-img} for a test that builds an image with it, and fails loudly when
 * qemu-img fails. qemu's LUKS key setup benchmarks PBKDF and, on a busy machine, sometimes
 * measures no CPU time and gives up ("Unable to get accurate CPU usage"): that flake is retried,
 * as the library's own {@code QemuImg#create} does, so that tests fail only for real reasons.
 */
public final class RealQemuImg {
    /** What qemu prints when its PBKDF benchmark measured no CPU time. */
    public static final String PBKDF_BENCHMARK_FLAKE = "Unable to get accurate CPU usage";

    private RealQemuImg() {
    }

    /**
     * Runs {@code qemu-img ARGS...}.
     *
     * @return what qemu-img printed (standard output and error together)
     * @throws IllegalStateException naming the command and its output when qemu-img fails
     */
    public static String run(String... args) {
        return run(List.of(args));
    }

    /**
     * Runs {@code qemu-img} with {@code args} (without the program name).
     *
     * @return what qemu-img printed (standard output and error together)
     * @throws IllegalStateException naming the command and its output when qemu-img fails
     */
    public static String run(List<String> args) {
        List<String> command = new ArrayList<>(List.of("qemu-img"));
        command.addAll(args);
        for (int attempt = 1; ; attempt++) {
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
                String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (process.waitFor() == 0) {
                    return output;
                }
                if (attempt >= QemuImg.PBKDF_BENCHMARK_ATTEMPTS || !output.contains(PBKDF_BENCHMARK_FLAKE)) {
                    throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + command, e);
            }
        }
    }
}
