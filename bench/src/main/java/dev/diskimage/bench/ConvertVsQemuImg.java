package dev.diskimage.bench;

import dev.diskimage.conversion.ConversionResult;
import dev.diskimage.conversion.ConvertRequest;
import dev.diskimage.conversion.ImageConverter;
import dev.diskimage.conversion.TargetCache;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 *       a ratio of at most 1.03; and the same conversion through the library
 *       ({@code ImageConverter.convertNow} in this warm JVM, as a storage service calls it) against
 *       the same bare command.</li>
 *   <li><b>chosen flags vs Cinder's</b>, qcow2 to a fresh raw target that reads as zeros, as a
 *       new volume does (as root a loop block device over a new sparse file, otherwise the
 *       file): {@code -n --target-is-zero -W -t none} against Cinder's {@code -O raw -t none}
 *       (block device) or {@code -O raw} (file, which qemu-img recreates).</li>
 * </ol>
 *
 * <p>The source is {@code sizeGiB} of real data, not zeros: per MiB, three quarters random bytes
 * and one quarter zeros, stored as qcow2. Usage:
 * {@code ConvertVsQemuImg <diskimage launcher or -> <work dir> [sizeGiB] [rounds]}.
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
            Bench.run(List.of("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.toString(), source.toString()));
            Files.delete(raw);
        }
        String src = source.toString();
        Path wrapped = dir.resolve("wrapped.raw");
        Path bare = dir.resolve("bare.raw");
        List<String> wrapper = List.of(launcher.toString(), "convert", "-q", "--cache", "none", "-f", "qcow2", "-O",
                "raw", src, wrapped.toString());
        List<String> qemu = List.of("qemu-img", "convert", "-p", "-t", "none", "-f", "qcow2", "-O", "raw", src,
                bare.toString());
        // "-" as the launcher skips the whole-process comparison (no distribution built).
        if (!args[0].equals("-")) {
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
        }

        // The library as a storage service uses it: ImageConverter in this (warm) JVM, so the
        // JVM start the whole-process figure pays is not counted; the same qemu-img flags.
        ImageConverter converter = ImageConverter.using(QemuImg.system(), ImageValidator.of(ImagePolicy.defaults()));
        // The library passes -p for its progress and log line, as the launcher does.
        List<String> bareSame = List.of("qemu-img", "convert", "-p", "-t", "none", "-f", "qcow2", "-O", "raw", src,
                bare.toString());
        time(bareSame, bare);
        System.out.println("library runs: " + String.join(" ", converter.convertNow(ConvertRequest.builder(source,
                wrapped, DiskFormat.RAW).sourceFormat(DiskFormat.QCOW2).cache(TargetCache.NONE).build()).command()));
        Files.delete(wrapped);
        double[] library = new double[rounds];
        double[] bareAgain = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            if (i % 2 == 0) {
                library[i] = timeLibrary(converter, source, wrapped);
                bareAgain[i] = time(bareSame, bare);
            } else {
                bareAgain[i] = time(bareSame, bare);
                library[i] = timeLibrary(converter, source, wrapped);
            }
        }
        print("ImageConverter.convertNow (library, warm JVM)", "bare qemu-img convert, same flags", library,
                bareAgain);

        // A fresh volume: a block device that reads as zeros. As root, a loop device over a new
        // sparse file (Cinder passes -t none to block devices after its O_DIRECT probe, and
        // recreates nothing); otherwise a new sparse file, into which Cinder's qemu-img call
        // recreates the file (qemu's default cache, no -t: Cinder sets -t none for block devices only).
        Path fresh = dir.resolve("fresh.raw");
        long virtual = (long) sizeGiB << 30;
        boolean loop = "root".equals(System.getProperty("user.name")) && loopDevicesWork(dir);
        List<String> chosenFlags = List.of("-p", "-n", "--target-is-zero", "-W", "-t", "none", "-f", "qcow2", "-O",
                "raw");
        List<String> cinderFlags = loop ? List.of("-O", "raw", "-t", "none", "-f", "qcow2")
                : List.of("-O", "raw", "-f", "qcow2");
        double[] ourFlags = new double[rounds];
        double[] theirs = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            if (i % 2 == 0) {
                ourFlags[i] = timeIntoFresh(chosenFlags, src, fresh, virtual, loop);
                theirs[i] = timeIntoFresh(cinderFlags, src, fresh, virtual, loop);
            } else {
                theirs[i] = timeIntoFresh(cinderFlags, src, fresh, virtual, loop);
                ourFlags[i] = timeIntoFresh(chosenFlags, src, fresh, virtual, loop);
            }
        }
        System.out.println("fresh raw target: " + (loop ? "loop block device over a new sparse file" : "new sparse file"));
        print("chosen " + String.join(" ", chosenFlags.subList(1, 6)), "Cinder's " + String.join(" ", cinderFlags),
                ourFlags, theirs);
        Files.deleteIfExists(fresh);
    }

    private static boolean loopDevicesWork(Path dir) {
        try {
            Path probe = dir.resolve("loop-probe.raw");
            try (RandomAccessFile file = new RandomAccessFile(probe.toFile(), "rw")) {
                file.setLength(MIB);
            }
            String device = output(List.of("losetup", "-f", "--show", probe.toString())).strip();
            Bench.run(List.of("losetup", "-d", device));
            Files.delete(probe);
            return device.startsWith("/dev/loop");
        } catch (Exception e) {
            return false;
        }
    }

    private static void print(String oursName, String baselineName, double[] ours, double[] baseline) {
        double a = Bench.median(ours);
        double b = Bench.median(baseline);
        System.out.printf(Locale.ROOT, "%-48s median %7.2f s  runs %s%n", oursName, a, round(ours));
        System.out.printf(Locale.ROOT, "%-48s median %7.2f s  runs %s%n", baselineName, b,
                round(baseline));
        System.out.printf(Locale.ROOT, "%-48s %7.3f%n%n", "ratio (first / second)", a / b);
    }

    /** One conversion into a fresh target reading as zeros; a loop device over it when {@code loop}. */
    private static double timeIntoFresh(List<String> flags, String source, Path file, long size, boolean loop)
            throws Exception {
        Files.deleteIfExists(file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        String target = loop ? output(List.of("losetup", "-f", "--show", file.toString())).strip() : file.toString();
        try {
            List<String> command = new ArrayList<>(List.of("qemu-img", "convert"));
            command.addAll(flags);
            command.addAll(List.of(source, target));
            long start = System.nanoTime();
            Bench.run(command);
            Bench.run(List.of("sync", target));
            return (System.nanoTime() - start) / 1e9;
        } finally {
            if (loop) {
                Bench.run(List.of("losetup", "-d", target));
            }
        }
    }

    private static String output(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed");
        }
        return out;
    }

    /**
     * One library conversion (validation of the source, measure, qemu-img into a sibling,
     * validation of the output, fsync, rename) plus the same sync as the baseline.
     */
    private static double timeLibrary(ImageConverter converter, Path source, Path target) throws Exception {
        Files.deleteIfExists(target);
        long start = System.nanoTime();
        ConversionResult result = converter.convertNow(ConvertRequest.builder(source, target, DiskFormat.RAW)
                .sourceFormat(DiskFormat.QCOW2).cache(TargetCache.NONE).build());
        Bench.run(List.of("sync", target.toString()));
        double seconds = (System.nanoTime() - start) / 1e9;
        if (!result.target().equals(target)) {
            throw new IllegalStateException("converted to " + result.target());
        }
        Files.deleteIfExists(target);
        return seconds;
    }

    /** One run, the target removed first; includes a sync of the target so page-cache writes count. */
    private static double time(List<String> command, Path target) throws Exception {
        Files.deleteIfExists(target);
        long start = System.nanoTime();
        Bench.run(command);
        Bench.run(List.of("sync", target.toString()));
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

    private static List<String> round(double[] values) {
        List<String> text = new ArrayList<>();
        for (double value : values) {
            text.add(String.format(Locale.ROOT, "%.2f", value));
        }
        return text;
    }

}
