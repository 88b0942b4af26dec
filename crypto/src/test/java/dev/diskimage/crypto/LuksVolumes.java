package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.testing.RealQemuImg;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Real LUKS volumes for tests, made by the real programs: qemu-img (LUKS1, as qemu 7.2 writes it)
 * and cryptsetup (LUKS1, LUKS2 with Argon2id or PBKDF2) on plain sparse files, with small KDF
 * costs so that tests stay fast. cryptsetup's answers (luksDump, open --test-passphrase) are the
 * oracle: both work on a plain file without device-mapper.
 */
final class LuksVolumes {
    static final String PASSPHRASE = "correct horse battery";
    static final String WRONG = "correct horse battery!";
    /** Debian installs cryptsetup in /usr/sbin, which a non-root PATH may lack. */
    private static final String CRYPTSETUP = Files.isExecutable(Path.of("/usr/sbin/cryptsetup"))
            ? "/usr/sbin/cryptsetup" : "cryptsetup";

    private LuksVolumes() {
    }

    static Path keyFile(Path dir, String name, String passphrase) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, passphrase, StandardCharsets.UTF_8);
        return file;
    }

    /** LUKS1 by qemu-img. */
    static Path qemuImgLuks(Path dir, String name, String... options) throws Exception {
        Path file = dir.resolve(name);
        Path key = keyFile(dir, name + ".key", PASSPHRASE);
        RealQemuImg.run("create", "-q", "-f", "luks", "--object", "secret,id=s0,file=" + key, "-o",
                "key-secret=s0,iter-time=10" + String.join("", options), file.toString(), "4M");
        return file;
    }

    static boolean cryptsetupAvailable() {
        try {
            return run(List.of(CRYPTSETUP, "--version")).exit == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** {@code cryptsetup luksFormat} on a new sparse file of {@code mib} MiB, with PASSPHRASE. */
    static Path cryptsetupLuks(Path dir, String name, int mib, String... options) throws Exception {
        assertThat(cryptsetupAvailable()).as("cryptsetup is installed (run scripts/ensure-tools.sh)").isTrue();
        Path file = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength((long) mib << 20);
        }
        Path key = keyFile(dir, name + ".key", PASSPHRASE);
        List<String> command = new ArrayList<>(List.of(CRYPTSETUP, "luksFormat", "--batch-mode", "--key-file",
                key.toString()));
        command.addAll(List.of(options));
        command.add(file.toString());
        Result result = run(command);
        if (result.exit != 0) {
            throw new IllegalStateException(command + " failed: " + result.output);
        }
        return file;
    }

    /** {@code cryptsetup open --test-passphrase}: true when cryptsetup opens a slot with the passphrase. */
    static boolean cryptsetupOpens(Path volume, Path keyFile) throws Exception {
        Result result = run(List.of(CRYPTSETUP, "open", "--test-passphrase", "--key-file", keyFile.toString(),
                volume.toString()));
        if (result.exit != 0 && result.exit != 2) {
            throw new IllegalStateException("cryptsetup open --test-passphrase exited " + result.exit + ": "
                    + result.output);
        }
        return result.exit == 0;
    }

    /** Runs cryptsetup with {@code args}; fails the test when it fails. */
    static void cryptsetup(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(CRYPTSETUP));
        command.addAll(List.of(args));
        Result result = run(command);
        if (result.exit != 0) {
            throw new IllegalStateException(command + " failed: " + result.output);
        }
    }

    static String luksDump(Path volume, String... options) throws Exception {
        List<String> command = new ArrayList<>(List.of(CRYPTSETUP, "luksDump"));
        command.addAll(List.of(options));
        command.add(volume.toString());
        Result result = run(command);
        if (result.exit != 0) {
            throw new IllegalStateException(command + " failed: " + result.output);
        }
        return result.output;
    }

    /** The value after {@code key:} on the first luksDump line that has it, trimmed. */
    static String dumpField(String dump, String key) {
        return dump.lines().map(String::strip).filter(line -> line.startsWith(key + ":"))
                .map(line -> line.substring(key.length() + 1).strip()).findFirst()
                .orElseThrow(() -> new AssertionError("no '" + key + "' in luksDump:\n" + dump));
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(process.waitFor(), output);
    }
}
