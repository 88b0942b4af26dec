package dev.diskimage.bench;

import dev.diskimage.core.service.HashAlgorithm;
import dev.diskimage.core.service.ImageDigests;
import dev.diskimage.core.service.ImageHasher;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * What the whole-process benchmarks share: the median of rounds, running a baseline program,
 * and an image of random bytes with its Glance digests.
 */
final class Bench {

    private Bench() {
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Runs a program to its end, discarding its output; a non-zero exit is an error. */
    static void run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        int exit = process.waitFor();
        if (exit != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited " + exit);
        }
    }

    /** Writes {@code sizeMiB} MiB of seeded random bytes to {@code file}; returns their md5 and sha512. */
    static ImageDigests writeRandom(Path file, int sizeMiB) throws IOException {
        Random random = new Random(16);
        byte[] chunk = new byte[1 << 20];
        ImageHasher hasher = ImageHasher.of(HashAlgorithm.SHA512);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < sizeMiB; i++) {
                random.nextBytes(chunk);
                hasher.update(chunk, 0, chunk.length);
                out.write(chunk);
            }
        }
        return hasher.digests();
    }
}
