package dev.diskimage.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Startup benchmark of the installed distribution: the wall time of one {@code image-check FILE}
 * call, as a pipeline step makes it, through the distribution's launcher with its defaults
 * (class-data-sharing archive, C1 only, serial GC) and with parts of them turned off through
 * {@code DISKIMAGE_JAVA_OPTS}; the JVM floor ({@code java -version}) and {@code qemu-img info} on
 * the same file are the baselines. Variants run interleaved, round after round, so that load from
 * elsewhere on the machine spreads over all of them alike; medians are reported.
 *
 * <p>Usage: {@code LauncherStartup <distribution home> <work dir> [runs [reference launcher]]}. A
 * reference launcher is the {@code bin/image-check} of an older build of this repository
 * ({@code BENCH_REFERENCE=<commit> bench/run.sh} builds one), timed in the same rounds: the code
 * as it was, launched as it was.
 */
public final class LauncherStartup {
    private static final String REFERENCE = "reference build (older commit)";

    private LauncherStartup() {
    }

    /** Creates the sample, warms every variant once, times {@code runs} rounds and prints the table. */
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: LauncherStartup <distribution home> <work dir> [runs [reference launcher]]");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Path dir = Files.createDirectories(Path.of(args[1]));
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        Path image = dir.resolve("startup.qcow2");
        Files.deleteIfExists(image);
        exec(List.of("qemu-img", "create", "-q", "-f", "qcow2", image.toString(), "64M"), Map.of());
        String launcher = home.resolve("bin/image-check").toString();
        Map<String, String> cache = Map.of("XDG_CACHE_HOME", dir.resolve("cache").toString());
        // The first default run writes the archive; every variant below that uses it finds it.
        exec(List.of(launcher, image.toString()), cache);
        String archive = archive(dir.resolve("cache/diskimage"));

        Map<String, Variant> variants = new LinkedHashMap<>();
        variants.put("java -version (JVM floor)", new Variant(List.of("java", "-version"), Map.of()));
        variants.put("qemu-img info", new Variant(List.of("qemu-img", "info", image.toString()), Map.of()));
        variants.put("this code, SerialGC only (old flags)", launcherWith(launcher, image, "-XX:+UseSerialGC"));
        variants.put("plain JVM, no options", launcherWith(launcher, image, ""));
        variants.put("C1 + SerialGC, no CDS", launcherWith(launcher, image, "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"));
        variants.put("CDS + SerialGC", launcherWith(launcher, image,
                "-XX:SharedArchiveFile=" + archive + " -Xshare:auto -XX:+UseSerialGC"));
        variants.put("CDS + C1 + SerialGC + small heap/stack", launcherWith(launcher, image,
                "-XX:SharedArchiveFile=" + archive + " -Xshare:auto -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
                        + " -Xss256k -Xms8m -Xmx256m"));
        variants.put("launcher default (CDS + C1 + SerialGC)", new Variant(List.of(launcher, image.toString()), cache));
        if (args.length > 3) {
            variants.put(REFERENCE, new Variant(List.of(args[3], image.toString()), Map.of()));
        }

        Map<String, List<Double>> times = new LinkedHashMap<>();
        variants.keySet().forEach(name -> times.put(name, new ArrayList<>()));
        for (Variant variant : variants.values()) {
            variant.time();
        }
        for (int round = 0; round < runs; round++) {
            for (Map.Entry<String, Variant> variant : variants.entrySet()) {
                times.get(variant.getKey()).add(variant.getValue().time());
            }
        }

        // The baseline: the older build as it was launched when there is one, else this code
        // launched with the old launcher's only flag.
        String baseline = times.containsKey(REFERENCE) ? REFERENCE : "this code, SerialGC only (old flags)";
        double before = median(times.get(baseline));
        System.out.printf(Locale.ROOT, "one image-check FILE call, %d runs each, median (min-max), ratio to '%s'%n", runs,
                baseline);
        for (Map.Entry<String, List<Double>> entry : times.entrySet()) {
            List<Double> values = entry.getValue();
            System.out.printf(Locale.ROOT, "%-42s %6.3f s (%.3f-%.3f)  %5.2fx%n", entry.getKey(), median(values),
                    values.stream().mapToDouble(Double::doubleValue).min().orElse(0),
                    values.stream().mapToDouble(Double::doubleValue).max().orElse(0), median(values) / before);
        }
    }

    private static Variant launcherWith(String launcher, Path image, String javaOpts) {
        return new Variant(List.of(launcher, image.toString()), Map.of("DISKIMAGE_JAVA_OPTS", javaOpts));
    }

    private static String archive(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(file -> file.toString().endsWith(".jsa")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("the launcher wrote no archive in " + dir))
                    .toString();
        }
    }

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /** One command line and the environment it runs with. */
    private record Variant(List<String> command, Map<String, String> env) {
        double time() throws IOException, InterruptedException {
            long start = System.nanoTime();
            exec(command, env);
            return (System.nanoTime() - start) / 1e9;
        }
    }

    private static void exec(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().remove("DISKIMAGE_JAVA_OPTS");
        builder.environment().remove("IMAGE_CHECK_JAVA_OPTS");
        builder.environment().putAll(env);
        int exit = builder.start().waitFor();
        if (exit != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited " + exit + " with "
                    + Arrays.toString(env.entrySet().toArray()));
        }
    }
}
