package dev.diskimage.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.conversion.vhd.VhdChain;
import dev.diskimage.conversion.vhd.VhdFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills {@code bin/diskimage vhd coalesce} with SIGKILL while it writes the merged base: the
 * chain must read back as before (the base untouched, only a dot-sibling left), and a second
 * coalesce finishes the job and removes the sibling.
 */
class VhdCoalesceKillIT {
    private static final Path ROOT = Path.of(System.getProperty("diskimage.root", "..")).toAbsolutePath().normalize();
    private static final Path DISKIMAGE = ROOT.resolve("bin/diskimage");
    private static final int MIB = 1 << 20;
    private static final int SIZE = 128 * MIB;

    @TempDir
    Path dir;

    @Test
    void aCoalesceKilledMidRunLeavesTheChainAsItWasAndTheNextRunFinishes() throws Exception {
        Path base = dir.resolve("base.vhd");
        run("qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=dynamic,force_size=on", base.toString(),
                Integer.toString(SIZE));
        byte[] expected = new byte[SIZE];
        Random random = new Random(7);
        try (VhdFile vhd = VhdFile.openForWriting(base)) {
            write(vhd, 0, 96 * MIB, random, expected);
        }
        Path top = dir.resolve("top.vhd");
        try (VhdChain chain = VhdChain.open(base); VhdFile child = VhdFile.createDifferencing(top, chain.top())) {
            write(child, 32 * MIB + 1000, 80 * MIB, random, expected);
        }
        byte[] baseBefore = Files.readAllBytes(base);

        Process jvm = new ProcessBuilder(DISKIMAGE.toString(), "vhd", "coalesce", "-q", top.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("coalesce.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (partials().stream().noneMatch(VhdCoalesceKillIT::hasData) && jvm.isAlive()
                    && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            jvm.toHandle().destroyForcibly();
            assertThat(jvm.waitFor(20, TimeUnit.SECONDS)).isTrue();
        } finally {
            jvm.destroyForcibly();
        }

        // The kill landed while the merged base was being written (128 MiB take far longer than
        // the 5 ms between looks): only the sibling holds the partial work, the base is as it was.
        assertThat(partials()).as("the killed run's partial base").hasSize(1);
        assertThat(Files.readAllBytes(base)).as("the base, untouched").isEqualTo(baseBefore);
        try (VhdChain chain = VhdChain.open(top)) {
            assertThat(read(chain.top())).as("the chain reads as before").isEqualTo(expected);
        }

        ImageCheckEndToEndIT.Run again = ImageCheckEndToEndIT.launch(DISKIMAGE,
                List.of("vhd", "coalesce", top.toString()), builder -> { });
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(partials()).as("the killed run's sibling is cleaned up by the next").isEmpty();
        Path raw = dir.resolve("base.raw");
        run("qemu-img", "convert", "-f", "vpc", "-O", "raw", base.toString(), raw.toString());
        assertThat(Files.mismatch(raw, writeExpected(expected))).isEqualTo(-1);
    }

    private Path writeExpected(byte[] expected) throws IOException {
        return Files.write(dir.resolve("expected.raw"), expected);
    }

    private static void write(VhdFile vhd, int offset, int length, Random random, byte[] expected) {
        byte[] chunk = new byte[4 * MIB];
        for (int at = offset; at < offset + length; at += chunk.length) {
            int n = Math.min(chunk.length, offset + length - at);
            random.nextBytes(chunk);
            vhd.write(at, ByteBuffer.wrap(chunk, 0, n));
            System.arraycopy(chunk, 0, expected, at, n);
        }
    }

    private static byte[] read(VhdFile vhd) {
        ByteBuffer all = ByteBuffer.allocate((int) vhd.virtualSize());
        vhd.read(0, all);
        return all.array();
    }

    private List<Path> partials() throws IOException {
        try (Stream<Path> listed = Files.list(dir)) {
            return listed.filter(p -> p.getFileName().toString().contains(".vhd-partial-")).toList();
        }
    }

    private static boolean hasData(Path file) {
        try {
            return Files.size(file) > 16L * MIB;
        } catch (IOException e) {
            return false;
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
    }
}
