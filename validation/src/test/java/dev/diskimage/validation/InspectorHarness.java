package dev.diskimage.validation;

import dev.diskimage.core.testing.OneBytePerReadChannel;
import dev.diskimage.core.testing.RealQemuImg;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** Runs one inspector over files or byte arrays the way the validator does, for inspector tests. */
final class InspectorHarness {
    /** The default per-image budget the validator uses. */
    static final long BUDGET = 1 << 20;

    private InspectorHarness() {
    }

    static Inspection inspect(FormatInspector inspector, Path file) throws IOException {
        return inspect(inspector, file, BUDGET);
    }

    /** Inspects {@code file} with another read budget than the default. */
    static Inspection inspect(FormatInspector inspector, Path file, long budget) throws IOException {
        try (SeekableByteChannel channel = Files.newByteChannel(file, StandardOpenOption.READ)) {
            return inspector.run(new FileImageBytes(channel, channel.size(), budget));
        }
    }

    static Inspection inspect(FormatInspector inspector, byte[] image) {
        return inspector.run(new FileImageBytes(new OneBytePerReadChannel(image), image.length, BUDGET));
    }

    /** Inspects through a channel that returns one byte per read. */
    static Inspection inspectWithShortReads(FormatInspector inspector, Path file) throws IOException {
        return inspect(inspector, Files.readAllBytes(file));
    }

    /** Inspects every prefix of {@code image} ending at one of {@code boundaries} (exclusive). */
    static List<Inspection> inspectTruncatedAt(FormatInspector inspector, byte[] image, long... boundaries) {
        List<Inspection> results = new ArrayList<>();
        for (long boundary : boundaries) {
            byte[] prefix = java.util.Arrays.copyOf(image, (int) Math.min(boundary, image.length));
            results.add(inspect(inspector, prefix));
        }
        return results;
    }

    /**
     * Inspects a seed of a fuzz corpus (a resource path relative to this package) and tells how
     * it came out: MATCH, NONE, or MAGIC_ONLY for anything with a rejecting finding.
     */
    static MatchLevel seedLevel(FormatInspector inspector, String resource) throws IOException {
        try (var in = InspectorHarness.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no seed " + resource);
            }
            Inspection result = inspect(inspector, in.readAllBytes());
            return result.findings().stream().anyMatch(Finding::rejects)
                    ? MatchLevel.MAGIC_ONLY : result.level();
        }
    }

    /** The virtual size the real {@code qemu-img info -f format} reports for {@code image}. */
    static long qemuVirtualSize(Path image, String format) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("qemu-img", "info", "-f", format, "--output=json", image.toString())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("qemu-img info failed: " + output);
        }
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("\"virtual-size\":\\s*(\\d+)").matcher(output);
        if (!matcher.find()) {
            throw new IllegalStateException("no virtual-size in " + output);
        }
        return Long.parseLong(matcher.group(1));
    }

    /**
     * Creates an image with the real qemu-img ({@code {}} in {@code args} stands for the file);
     * fails the test if qemu-img fails ({@link RealQemuImg}, which repeats qemu's PBKDF benchmark
     * flake). An identical earlier call in this JVM is replayed from {@link QemuImgOutputCache}.
     */
    static Path qemuImg(Path dir, String name, String... args) throws IOException, InterruptedException {
        Path file = dir.resolve(name);
        List<String> command = new ArrayList<>(List.of(args));
        command.replaceAll(arg -> arg.equals("{}") ? file.toString() : arg);
        QemuImgOutputCache.run(dir, file, List.of(args), () -> RealQemuImg.run(command));
        return file;
    }
}
