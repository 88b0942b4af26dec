package dev.diskimage.bench;

import dev.diskimage.crypto.LuksHeader;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Proving a passphrase before a long conversion: {@link LuksHeader#unlocks(byte[])} (pure Java,
 * Bouncy Castle, in the JVM that will run the conversion) against {@code cryptsetup open
 * --test-passphrase} (one process, the native baseline), on the same headers, in the same run.
 * Rounds interleave the contenders; medians are printed with the ratio ours / cryptsetup, for the
 * right and for a wrong passphrase (which must cost about one KDF run, not more).
 *
 * <p>Volumes (cryptsetup luksFormat on sparse files): LUKS2 Argon2id (64 MiB, 4 passes, 1 lane),
 * LUKS2 PBKDF2-SHA256 (200,000 iterations) and LUKS1 PBKDF2-SHA256 (200,000 iterations), all
 * aes-xts-plain64 with a 512-bit key.
 *
 * <p>Usage: {@code LuksUnlockVsCryptsetup <work dir> [rounds]}.
 */
public final class LuksUnlockVsCryptsetup {
    private static final String PASSPHRASE = "benchmark passphrase";

    private LuksUnlockVsCryptsetup() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: LuksUnlockVsCryptsetup <work dir> [rounds]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Files.createDirectories(dir);
        Path right = Files.writeString(dir.resolve("right.key"), PASSPHRASE);
        Path wrong = Files.writeString(dir.resolve("wrong.key"), PASSPHRASE + "!");
        String[][] volumes = {
            {"LUKS2 argon2id 64 MiB x4", "luks2-argon2id.img", "--type", "luks2", "--pbkdf", "argon2id",
                "--pbkdf-memory", "65536", "--pbkdf-force-iterations", "4", "--pbkdf-parallel", "1"},
            {"LUKS2 pbkdf2-sha256 200k", "luks2-pbkdf2.img", "--type", "luks2", "--pbkdf", "pbkdf2",
                "--pbkdf-force-iterations", "200000"},
            {"LUKS1 pbkdf2-sha256 200k", "luks1.img", "--type", "luks1", "--pbkdf-force-iterations", "200000"},
        };
        System.out.printf(Locale.ROOT, "%-26s %12s %12s %8s %12s %12s %8s%n", "volume", "ours right", "cs right",
                "ratio", "ours wrong", "cs wrong", "ratio");
        for (String[] volume : volumes) {
            Path file = dir.resolve(volume[1]);
            create(file, right, Arrays.copyOfRange(volume, 2, volume.length));
            byte[] rightBytes = PASSPHRASE.getBytes(StandardCharsets.UTF_8);
            byte[] wrongBytes = (PASSPHRASE + "!").getBytes(StandardCharsets.UTF_8);
            // Warm-up: class loading and JIT for ours, page cache for both.
            check(LuksHeader.read(file).unlocks(rightBytes), true);
            check(cryptsetupOpens(file, right), true);
            double[] oursRight = new double[rounds];
            double[] oursWrong = new double[rounds];
            double[] csRight = new double[rounds];
            double[] csWrong = new double[rounds];
            for (int round = 0; round < rounds; round++) {
                long start = System.nanoTime();
                check(LuksHeader.read(file).unlocks(rightBytes), true);
                oursRight[round] = (System.nanoTime() - start) / 1e9;
                start = System.nanoTime();
                check(cryptsetupOpens(file, right), true);
                csRight[round] = (System.nanoTime() - start) / 1e9;
                start = System.nanoTime();
                check(LuksHeader.read(file).unlocks(wrongBytes), false);
                oursWrong[round] = (System.nanoTime() - start) / 1e9;
                start = System.nanoTime();
                check(cryptsetupOpens(file, wrong), false);
                csWrong[round] = (System.nanoTime() - start) / 1e9;
            }
            System.out.printf(Locale.ROOT, "%-26s %10.3f s %10.3f s %7.2fx %10.3f s %10.3f s %7.2fx%n", volume[0],
                    Bench.median(oursRight), Bench.median(csRight), Bench.median(oursRight) / Bench.median(csRight), Bench.median(oursWrong),
                    Bench.median(csWrong), Bench.median(oursWrong) / Bench.median(csWrong));
        }
    }

    private static void check(boolean actual, boolean expected) {
        if (actual != expected) {
            throw new IllegalStateException("unlock answered " + actual + ", expected " + expected);
        }
    }

    private static void create(Path file, Path key, String... options) throws IOException, InterruptedException {
        Files.deleteIfExists(file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(32L << 20);
        }
        List<String> command = new ArrayList<>(List.of(cryptsetup(), "luksFormat", "--batch-mode", "--key-file",
                key.toString(), "--cipher", "aes-xts-plain64", "--key-size", "512"));
        command.addAll(List.of(options));
        command.add(file.toString());
        if (run(command) != 0) {
            throw new IllegalStateException(command + " failed");
        }
    }

    private static boolean cryptsetupOpens(Path file, Path key) throws IOException, InterruptedException {
        int exit = run(List.of(cryptsetup(), "open", "--test-passphrase", "--key-file", key.toString(), file.toString()));
        if (exit != 0 && exit != 2) {
            throw new IllegalStateException("cryptsetup open --test-passphrase exited " + exit);
        }
        return exit == 0;
    }

    private static String cryptsetup() {
        return Files.isExecutable(Path.of("/usr/sbin/cryptsetup")) ? "/usr/sbin/cryptsetup" : "cryptsetup";
    }

    private static int run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return process.waitFor();
    }
}
