package dev.diskimage.bench;

import dev.diskimage.conversion.vhd.VhdChain;
import dev.diskimage.conversion.vhd.VhdFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Coalescing a two-level VHD chain against copying the same amount of data, in the same run on
 * the same files, rounds alternated: {@link VhdChain#coalesceInto} of a chain whose child holds
 * {@code sizeMiB} of allocated random data over a dynamic base (written to a new file, synced)
 * against {@code cp} of the child file followed by {@code sync} of the copy. Goal: a ratio of at
 * most 1.25 (issue 15). Usage: {@code CoalesceVsCp <work dir> [sizeMiB] [rounds]}; the issue's
 * figure is at 1024 MiB.
 */
public final class CoalesceVsCp {
    private static final int MIB = 1 << 20;

    private CoalesceVsCp() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: CoalesceVsCp <work dir> [sizeMiB] [rounds]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int sizeMiB = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Files.createDirectories(dir);
        Path base = dir.resolve("base.vhd");
        Path top = dir.resolve("top.vhd");
        Files.deleteIfExists(base);
        Files.deleteIfExists(top);
        Bench.run(List.of("qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=dynamic,force_size=on",
                base.toString(), Long.toString((long) sizeMiB * MIB)));
        try (VhdChain chain = VhdChain.open(base); VhdFile child = VhdFile.createDifferencing(top, chain.top())) {
            Random random = new Random(15);
            byte[] chunk = new byte[4 * MIB];
            for (long at = 0; at < (long) sizeMiB * MIB; at += chunk.length) {
                random.nextBytes(chunk);
                child.write(at, ByteBuffer.wrap(chunk));
            }
        }
        Path merged = dir.resolve("merged.vhd");
        Path copy = dir.resolve("copy.vhd");
        List<String> cp = List.of("cp", top.toString(), copy.toString());
        // Warm the page cache and the JIT once each.
        timeCoalesce(top, merged);
        timeCopy(cp, copy);
        double[] ours = new double[rounds];
        double[] baseline = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            if (i % 2 == 0) {
                ours[i] = timeCoalesce(top, merged);
                baseline[i] = timeCopy(cp, copy);
            } else {
                baseline[i] = timeCopy(cp, copy);
                ours[i] = timeCoalesce(top, merged);
            }
        }
        double a = Bench.median(ours);
        double b = Bench.median(baseline);
        System.out.printf(Locale.ROOT, "%-48s median %7.3f s  runs %s%n", "VhdChain.coalesceInto (" + sizeMiB
                + " MiB in the child)", a, Arrays.toString(ours));
        System.out.printf(Locale.ROOT, "%-48s median %7.3f s  runs %s%n", "cp of the child + sync", b,
                Arrays.toString(baseline));
        System.out.printf(Locale.ROOT, "%-48s %7.3f (goal <= 1.25)%n", "ratio (coalesce / cp)", a / b);
    }

    private static double timeCoalesce(Path top, Path merged) throws IOException {
        Files.deleteIfExists(merged);
        long start = System.nanoTime();
        VhdChain.coalesceInto(top, merged);
        return (System.nanoTime() - start) / 1e9;
    }

    private static double timeCopy(List<String> cp, Path copy) throws Exception {
        Files.deleteIfExists(copy);
        long start = System.nanoTime();
        Bench.run(cp);
        Bench.run(List.of("sync", copy.toString()));
        return (System.nanoTime() - start) / 1e9;
    }

}
