package dev.diskimage.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real {@code bin/diskimage} launcher for info, measure, convert (plain and encrypted, read
 * back by luks-dump) and resize, and kills a converting
 * JVM with SIGKILL: no target may appear, no qemu-img may outlive the JVM, and the next
 * conversion into the directory removes the stale partial sibling.
 */
class ConvertEndToEndIT {
    private static final Path ROOT = Path.of(System.getProperty("diskimage.root", "..")).toAbsolutePath().normalize();
    private static final Path DISKIMAGE = ROOT.resolve("bin/diskimage");
    private static final long MIB = 1 << 20;
    private static final String PARTIAL = ".diskimage-partial-";

    @TempDir
    Path dir;

    private static ImageCheckEndToEndIT.Run diskimage(String... args) throws IOException, InterruptedException {
        return ImageCheckEndToEndIT.launch(DISKIMAGE, List.of(args), builder -> { });
    }

    private Path raw(String name, long size, long dataBytes) throws IOException {
        Path file = dir.resolve(name);
        Random random = new Random(size ^ dataBytes);
        byte[] block = new byte[1 << 16];
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
            for (long written = 0; written < dataBytes; written += block.length) {
                random.nextBytes(block);
                out.write(block);
            }
            out.setLength(size);
        }
        return file;
    }

    private static int qemuImgCompare(Path a, String formatA, Path b, String formatB)
            throws IOException, InterruptedException {
        Process process = new ProcessBuilder("qemu-img", "compare", "-f", formatA, "-F", formatB, a.toString(),
                b.toString()).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        return process.waitFor();
    }

    @Test
    void convertsThereAndBackWithTheSameContent() throws IOException, InterruptedException {
        Path source = raw("s.raw", 4 * MIB, 2 * MIB);
        Path qcow2 = dir.resolve("t.qcow2");
        Path back = dir.resolve("back.raw");

        ImageCheckEndToEndIT.Run there = diskimage("convert", "-f", "raw", "-O", "qcow2", "--compress",
                source.toString(), qcow2.toString());
        ImageCheckEndToEndIT.Run home = diskimage("convert", "--json", "-O", "raw", qcow2.toString(), back.toString());

        assertThat(there.exit()).as(there.err()).isZero();
        assertThat(home.exit()).as(home.err()).isZero();
        assertThat(home.out()).contains("\"target_format\":\"raw\"", "\"source_format\":\"qcow2\"");
        assertThat(qemuImgCompare(source, "raw", qcow2, "qcow2")).isZero();
        assertThat(Files.mismatch(source, back)).isEqualTo(-1);
    }

    @Test
    void infoMeasureAndAnEncryptedConvertReadBackByLuksDump() throws IOException, InterruptedException {
        Path source = raw("s.raw", 4 * MIB, MIB);
        Path passphrase = Files.writeString(dir.resolve("pass"), "correct horse");
        Path luks = dir.resolve("t.luks");

        ImageCheckEndToEndIT.Run info = diskimage("info", "--json", source.toString());
        ImageCheckEndToEndIT.Run measure = diskimage("measure", "--json", "-O", "qcow2", source.toString());
        ImageCheckEndToEndIT.Run encrypt = diskimage("convert", "-O", "luks", "--passphrase-file", passphrase.toString(),
                "--iter-time", "10", source.toString(), luks.toString());
        ImageCheckEndToEndIT.Run dump = diskimage("luks-dump", "--json", luks.toString());

        assertThat(info.exit()).as(info.err()).isZero();
        assertThat(info.out()).contains("\"format\":\"raw\"", "\"virtual_size\":" + 4 * MIB);
        assertThat(measure.exit()).as(measure.err()).isZero();
        assertThat(measure.out()).contains("\"target_format\":\"qcow2\"", "\"required\":");
        assertThat(encrypt.exit()).as(encrypt.err()).isZero();
        assertThat(dump.exit()).as(dump.err()).isZero();
        assertThat(dump.out()).contains("aes").doesNotContain("correct horse");
    }

    @Test
    void refusedSourceExitsOneAndBadOptionsExitTwo() throws IOException, InterruptedException {
        Path source = raw("s.raw", MIB, MIB);
        Path target = dir.resolve("t.raw");

        ImageCheckEndToEndIT.Run refused = diskimage("convert", "-f", "vmdk", "-O", "raw", source.toString(),
                target.toString());
        ImageCheckEndToEndIT.Run bad = diskimage("convert", "-O", "raw", "--cache", "maybe", source.toString(),
                target.toString());

        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err().strip()).doesNotContain("\n").contains("unacceptable");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--cache").doesNotContain("Exception");
        assertThat(target).doesNotExist();
    }

    @Test
    void drawsAProgressBarOnlyOnATerminalAndVerboseShowsTheSteps() throws IOException, InterruptedException {
        Path source = raw("p.raw", 4 * MIB, 2 * MIB);
        Path onTerminal = dir.resolve("tty.qcow2");
        // script(1) gives the launcher a pseudo-terminal for stdin, stdout and stderr.
        Process script = new ProcessBuilder("script", "-qfec", DISKIMAGE + " convert -O qcow2 " + source + " "
                + onTerminal, "/dev/null").redirectErrorStream(true).start();
        String terminal = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(script.waitFor()).as(terminal).isZero();

        ImageCheckEndToEndIT.Run piped = diskimage("convert", "-v", "-O", "qcow2", source.toString(),
                dir.resolve("pipe.qcow2").toString());
        ImageCheckEndToEndIT.Run quiet = diskimage("convert", "-q", "-O", "qcow2", source.toString(),
                dir.resolve("quiet.qcow2").toString());

        assertThat(terminal).contains("\r[", "] 100%", "converted " + source);
        assertThat(piped.exit()).as(piped.err()).isZero();
        assertThat(piped.err()).doesNotContain("\r[").contains("DEBUG", "accepted as raw", "qemu-img convert ended");
        assertThat(quiet.out() + quiet.err()).isEmpty();
    }

    @Test
    void resizesAndRefusesAnUnaskedShrink() throws IOException, InterruptedException {
        Path image = raw("r.raw", 2 * MIB, MIB);

        ImageCheckEndToEndIT.Run grow = diskimage("resize", "-f", "raw", image.toString(), "4M");
        ImageCheckEndToEndIT.Run shrink = diskimage("resize", image.toString(), "1M");

        assertThat(grow.exit()).as(grow.err()).isZero();
        assertThat(shrink.exit()).isEqualTo(2);
        assertThat(shrink.err()).contains("shrink");
        assertThat(Files.size(image)).isEqualTo(4 * MIB);
    }

    @Test
    void aJvmKilledMidConversionLeavesNoTargetNoQemuImgAndItsSiblingIsCleanedUpNext()
            throws IOException, InterruptedException {
        // 32 MiB of data at 2 MiB/s: about 16 s of work, killed within the first seconds.
        Path source = raw("big.raw", 64 * MIB, 32 * MIB);
        Path target = dir.resolve("killed.qcow2");
        Process jvm = new ProcessBuilder(DISKIMAGE.toString(), "convert", "-q", "-O", "qcow2", "--rate-limit", "2M",
                source.toString(), target.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("killed.log").toFile()).start();
        try {
            long qemu = awaitQemuImgMentioning("killed.qcow2", 60);
            // Killed once qemu-img has created its sibling and written into it.
            long created = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (named(PARTIAL).stream().noneMatch(ConvertEndToEndIT::hasData) && System.nanoTime() < created) {
                Thread.sleep(50);
            }
            ProcessHandle parent = ProcessHandle.of(qemu).flatMap(ProcessHandle::parent).orElseThrow();
            assertThat(parent.info().command().orElse("")).endsWith("java");

            // SIGKILL: no shutdown hook runs; only the kernel's parent-death signal can stop qemu-img.
            parent.destroyForcibly();
            assertThat(parent.onExit().completeOnTimeout(null, 20, TimeUnit.SECONDS).join()).isNotNull();

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!qemuImgsMentioning("killed.qcow2").isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(qemuImgsMentioning("killed.qcow2")).as("orphaned qemu-img").isEmpty();
            assertThat(target).doesNotExist();
            List<Path> stale = named(PARTIAL);
            assertThat(stale).as("the killed JVM's sibling").hasSize(1);

            ImageCheckEndToEndIT.Run next = diskimage("convert", "-O", "raw", raw("small.raw", MIB, MIB).toString(),
                    dir.resolve("next.raw").toString());

            assertThat(next.exit()).as(next.err()).isZero();
            assertThat(named(PARTIAL)).isEmpty();
            assertThat(target).doesNotExist();
        } finally {
            jvm.destroyForcibly();
        }
    }

    @Test
    void aJvmKilledMidEncryptionLeavesItsSecretOnlyUntilTheNextSecretIsWrittenBesideIt()
            throws IOException, InterruptedException {
        Path source = raw("secret-src.raw", 64 * MIB, 32 * MIB);
        Path key = Files.writeString(dir.resolve("pass.key"), "kill -9 passphrase");
        Path target = dir.resolve("killed.luks");
        Process jvm = new ProcessBuilder(DISKIMAGE.toString(), "convert", "-q", "-O", "luks", "--passphrase-file",
                key.toString(), "--iter-time", "10", "--rate-limit", "2M", source.toString(), target.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("killed-luks.log").toFile()).start();
        try {
            long qemu = awaitQemuImgMentioning("killed.luks", 60);
            ProcessHandle parent = ProcessHandle.of(qemu).flatMap(ProcessHandle::parent).orElseThrow();
            assertThat(named("diskimage-secret-" + parent.pid() + "-")).as("the converting JVM's secret").hasSize(1);

            parent.destroyForcibly();
            assertThat(parent.onExit().completeOnTimeout(null, 20, TimeUnit.SECONDS).join()).isNotNull();
            assertThat(named("diskimage-secret-")).as("a SIGKILL runs no cleanup").hasSize(1);

            ImageCheckEndToEndIT.Run next = diskimage("convert", "-q", "-O", "luks", "--passphrase-file",
                    key.toString(), "--iter-time", "10", raw("next-src.raw", MIB, MIB).toString(),
                    dir.resolve("next.luks").toString());

            assertThat(next.exit()).as(next.err()).isZero();
            assertThat(named("diskimage-secret-")).as("the dead JVM's secret, removed by the next one").isEmpty();
            assertThat(named(PARTIAL)).isEmpty();
            assertThat(target).doesNotExist();
        } finally {
            jvm.destroyForcibly();
        }
    }

    @Test
    void aJvmStoppedWithSigtermMidConversionRemovesItsSiblingAndStopsQemuImg()
            throws IOException, InterruptedException {
        Path source = raw("term.raw", 64 * MIB, 32 * MIB);
        Path target = dir.resolve("termed.qcow2");
        Process jvm = new ProcessBuilder(DISKIMAGE.toString(), "convert", "-q", "-O", "qcow2", "--rate-limit", "2M",
                source.toString(), target.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("termed.log").toFile()).start();
        try {
            long qemu = awaitQemuImgMentioning("termed.qcow2", 60);
            long created = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (named(PARTIAL).stream().noneMatch(ConvertEndToEndIT::hasData) && System.nanoTime() < created) {
                Thread.sleep(50);
            }
            ProcessHandle parent = ProcessHandle.of(qemu).flatMap(ProcessHandle::parent).orElseThrow();

            // SIGTERM: the JVM runs its shutdown hooks, and the converter's kills qemu-img and
            // deletes the sibling before the JVM exits.
            parent.destroy();
            assertThat(parent.onExit().completeOnTimeout(null, 20, TimeUnit.SECONDS).join()).isNotNull();

            assertThat(qemuImgsMentioning("termed.qcow2")).as("orphaned qemu-img").isEmpty();
            assertThat(named(PARTIAL)).isEmpty();
            assertThat(target).doesNotExist();
        } finally {
            jvm.destroyForcibly();
        }
    }

    private static boolean hasData(Path file) {
        try {
            return Files.size(file) > MIB;
        } catch (IOException e) {
            return false;
        }
    }

    private List<Path> named(String part) throws IOException {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                if (entry.getFileName().toString().contains(part)) {
                    found.add(entry);
                }
            }
        }
        return found;
    }

    private static long awaitQemuImgMentioning(String text, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            Optional<Long> found = qemuImgsMentioning(text).stream().findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no qemu-img converting " + text + " within " + seconds + " s");
    }

    /** Live qemu-img processes whose command line names {@code text}, from /proc. */
    private static List<Long> qemuImgsMentioning(String text) {
        List<Long> pids = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(process -> {
            try {
                String cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()),
                        "cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                if (cmdline.contains("qemu-img") && cmdline.contains(text) && !cmdline.contains("java")) {
                    pids.add(process.pid());
                }
            } catch (IOException | RuntimeException e) {
                // ended while we looked
            }
        });
        return pids;
    }
}
