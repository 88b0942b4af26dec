package dev.diskimage.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Whole-process benchmarks of {@code diskimage convert}, each against a baseline measured in the
 * same run on the same files, runs alternated so that load from elsewhere hits both alike:
 *
 * <ol>
 *   <li><b>wrapper vs bare qemu-img</b>: {@code bin/diskimage convert} (JVM start, validation of
 *       the source, {@code qemu-img measure}, the conversion into a sibling, validation of the
 *       output, fsync, rename) against {@code qemu-img convert} with the same flags
 *       ({@code -p -t none -f qcow2 -O raw}), both from a qcow2 image to a new raw file. Goal:
 *       a ratio of at most 1.03.</li>
 *   <li><b>chosen flags vs Cinder's</b>, qcow2 to a fresh raw target (an existing file that
 *       reads as zeros, as a new volume does): {@code -n --target-is-zero -W -t none} against
 *       Cinder's {@code -t none -O raw} (which recreates the target).</li>
 * </ol>
 *
 * <p>The source is {@code sizeGiB} of real data, not zeros: per MiB, three quarters random bytes
 * and one quarter zeros, stored as qcow2. Usage:
 * {@code ConvertVsQemuImg <diskimage launcher> <work dir> [sizeGiB] [rounds]}.
 */
public final class ConvertVsQemuImg {
    private static final int MIB = 1 << 20;

    private ConvertVsQemuImg() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ConvertVsQemuImg <diskimage launcher> <work dir> [sizeGiB] [rounds]");
            System.exit(2);
        }
        Path launcher = Path.of(args[0]);
        Path dir = Path.of(args[1]);
        int sizeGiB = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        Files.createDirectories(dir);
        Path source = dir.resolve("source-" + sizeGiB + "g.qcow2");
        if (!Files.exists(source)) {
            Path raw = dir.resolve("source.raw");
            writeData(raw, (long) sizeGiB << 30);
            run(List.of("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.toString(), source.toString()));
            Files.delete(raw);
        }
        String src = source.toString();
        Path wrapped = dir.resolve("wrapped.raw");
        Path bare = dir.resolve("bare.raw");
        List<String> wrapper = List.of(launcher.toString(), "convert", "-q", "--cache", "none", "-f", "qcow2", "-O",
                "raw", src, wrapped.toString());
        List<String> qemu = List.of("qemu-img", "convert", "-p", "-t", "none", "-f", "qcow2", "-O", "raw", src,
                bare.toString());
        // Warm the page cache (source) and the launcher's class-data archive.
        time(qemu, bare);
        time(wrapper, wrapped);
        double[] ours = new double[rounds];
        double[] baseline = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            if (i % 2 == 0) {
                ours[i] = time(wrapper, wrapped);
                baseline[i] = time(qemu, bare);
            } else {
                baseline[i] = time(qemu, bare);
                ours[i] = time(wrapper, wrapped);
            }
        }
        print("diskimage convert (whole process)", "bare qemu-img convert, same flags", ours, baseline);

        Path fresh = dir.resolve("fresh.raw");
        List<String> chosen = List.of("qemu-img", "convert", "-p", "-n", "--target-is-zero", "-W", "-t", "none", "-f",
                "qcow2", "-O", "raw", src, fresh.toString());
        List<String> cinder = List.of("qemu-img", "convert", "-O", "raw", "-t", "none", "-f", "qcow2", src,
                fresh.toString());
        long virtual = (long) sizeGiB << 30;
        double[] ourFlags = new double[rounds];
        double[] cinderFlags = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            if (i % 2 == 0) {
                ourFlags[i] = timeIntoFresh(chosen, fresh, virtual);
                cinderFlags[i] = timeIntoFresh(cinder, fresh, virtual);
            } else {
                cinderFlags[i] = timeIntoFresh(cinder, fresh, virtual);
                ourFlags[i] = timeIntoFresh(chosen, fresh, virtual);
            }
        }
        print("chosen flags (-n --target-is-zero -W -t none)", "Cinder's flags (-t none)", ourFlags, cinderFlags);
        Files.deleteIfExists(fresh);
    }

    private static void print(String oursName, String baselineName, double[] ours, double[] baseline) {
        double a = median(ours);
        double b = median(baseline);
        System.out.printf(Locale.ROOT, "%-48s median %7.2f s  runs %s%n", oursName, a, round(ours));
        System.out.printf(Locale.ROOT, "%-48s median %7.2f s  runs %s%n", baselineName, b,
                round(baseline));
        System.out.printf(Locale.ROOT, "%-48s %7.3f%n%n", "ratio (first / second)", a / b);
    }

    /** A fresh target as a new volume is: an existing file of the virtual size reading as zeros. */
    private static double timeIntoFresh(List<String> command, Path target, long size) throws Exception {
        Files.deleteIfExists(target);
        try (RandomAccessFile file = new RandomAccessFile(target.toFile(), "rw")) {
            file.setLength(size);
        }
        long start = System.nanoTime();
        run(command);
        run(List.of("sync", target.toString()));
        return (System.nanoTime() - start) / 1e9;
    }

    /** One run, the target removed first; includes a sync of the target so page-cache writes count. */
    private static double time(List<String> command, Path target) throws Exception {
        Files.deleteIfExists(target);
        long start = System.nanoTime();
        run(command);
        run(List.of("sync", target.toString()));
        double seconds = (System.nanoTime() - start) / 1e9;
        Files.deleteIfExists(target);
        return seconds;
    }

    private static void writeData(Path raw, long size) throws IOException {
        Random random = new Random(42);
        byte[] block = new byte[MIB];
        byte[] zeros = new byte[MIB / 4];
        try (RandomAccessFile file = new RandomAccessFile(raw.toFile(), "rw")) {
            for (long offset = 0; offset < size; offset += MIB) {
                random.nextBytes(block);
                file.write(block, 0, MIB - zeros.length);
                file.write(zeros);
            }
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static List<String> round(double[] values) {
        List<String> text = new ArrayList<>();
        for (double value : values) {
            text.add(String.format(Locale.ROOT, "%.2f", value));
        }
        return text;
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        int exit = process.waitFor();
        if (exit != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited " + exit);
        }
    }
}
