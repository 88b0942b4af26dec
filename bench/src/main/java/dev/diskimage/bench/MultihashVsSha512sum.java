package dev.diskimage.bench;

import dev.diskimage.core.service.HashAlgorithm;
import dev.diskimage.core.service.ImageHasher;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The download pass's hashing against {@code sha512sum} of the same file, in the same run,
 * rounds alternated: {@link ImageHasher} (Glance's md5 checksum and sha512 multihash together,
 * read in 1 MiB chunks as a download arrives) against {@code sha512sum} alone, both reading a
 * file the page cache holds. Goal (issue 16): throughput at least that of sha512sum, i.e. a
 * time ratio of at most 1.0. Usage: {@code MultihashVsSha512sum <work dir> [sizeMiB] [rounds]}.
 */
public final class MultihashVsSha512sum {
    private static final int MIB = 1 << 20;

    private MultihashVsSha512sum() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: MultihashVsSha512sum <work dir> [sizeMiB] [rounds]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int sizeMiB = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Files.createDirectories(dir);
        Path file = dir.resolve("data.bin");
        writeRandom(file, sizeMiB);
        List<String> sha512sum = List.of("sha512sum", file.toString());
        // Warm the page cache and the JIT once each.
        timeHasher(file);
        timeProcess(sha512sum);
        double[] ours = new double[rounds];
        double[] baseline = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            if (i % 2 == 0) {
                ours[i] = timeHasher(file);
                baseline[i] = timeProcess(sha512sum);
            } else {
                baseline[i] = timeProcess(sha512sum);
                ours[i] = timeHasher(file);
            }
        }
        double a = Bench.median(ours);
        double b = Bench.median(baseline);
        System.out.printf(Locale.ROOT, "%-48s median %7.3f s (%5.0f MiB/s)  runs %s%n",
                "ImageHasher md5 + sha512 (" + sizeMiB + " MiB)", a, sizeMiB / a, Arrays.toString(ours));
        System.out.printf(Locale.ROOT, "%-48s median %7.3f s (%5.0f MiB/s)  runs %s%n", "sha512sum", b, sizeMiB / b,
                Arrays.toString(baseline));
        System.out.printf(Locale.ROOT, "%-48s %7.3f (goal <= 1.0)%n", "ratio (ImageHasher / sha512sum)", a / b);
    }

    private static void writeRandom(Path file, int sizeMiB) throws IOException {
        Random random = new Random(16);
        byte[] chunk = new byte[MIB];
        try (var out = Files.newOutputStream(file)) {
            for (int i = 0; i < sizeMiB; i++) {
                random.nextBytes(chunk);
                out.write(chunk);
            }
        }
    }

    private static double timeHasher(Path file) throws IOException {
        long start = System.nanoTime();
        ImageHasher hasher = ImageHasher.of(HashAlgorithm.SHA512);
        byte[] buffer = new byte[MIB];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.readNBytes(buffer, 0, buffer.length)) > 0) {
                hasher.update(buffer, 0, n);
            }
        }
        hasher.digests();
        return (System.nanoTime() - start) / 1e9;
    }

    private static double timeProcess(List<String> command) throws Exception {
        long start = System.nanoTime();
        Bench.run(command);
        return (System.nanoTime() - start) / 1e9;
    }
}
