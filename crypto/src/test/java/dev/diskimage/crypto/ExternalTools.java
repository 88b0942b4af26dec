package dev.diskimage.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the external tools the interoperability tests compare with (openssl, python3), briefly. */
final class ExternalTools {
    private ExternalTools() {
    }

    /** What a tool printed and how it exited. */
    record Result(int exitCode, String output) {
    }

    static Result run(Path directory, List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(command + " did not finish");
        }
        return new Result(process.exitValue(), output);
    }

    /** Whether {@code command} runs and exits 0, e.g. to skip a test when a tool is missing. */
    static boolean available(Path directory, List<String> command) {
        try {
            return run(directory, command).exitCode() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
