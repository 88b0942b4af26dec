package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import dev.diskimage.crypto.LuksHeader;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** diskimage convert and resize with passphrase files: LUKS targets, LUKS sources, --decrypt, bad input. */
class EncryptedCommandsTest {
    private static final long MIB = 1 << 20;
    private static final String FIRST = "first cli passphrase";
    private static final String SECOND = "second cli passphrase";

    @TempDir
    Path dir;

    private Path raw(String name) throws IOException {
        Path file = dir.resolve(name);
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] data = new byte[(int) (2 * MIB)];
            new Random(name.hashCode()).nextBytes(data);
            out.write(data);
            out.setLength(4 * MIB);
        }
        return file;
    }

    private Path key(String name, String passphrase) throws IOException {
        return Files.writeString(dir.resolve(name), passphrase, StandardCharsets.UTF_8);
    }

    private static ImageCheckTest.Run run(String... args) {
        return DiskimageTest.diskimage(args);
    }

    private static void oneLineError(ImageCheckTest.Run run, int exit, String mentions) {
        assertThat(run.exit()).as(run.err()).isEqualTo(exit);
        assertThat(run.err().strip()).doesNotContain("\n").contains(mentions)
                .doesNotContain("Exception", "dev.diskimage", "\tat ", FIRST, SECOND);
    }

    /** A LUKS volume made by diskimage convert, under {@code passphrase}. */
    private Path luks(Path source, String name, Path passphraseFile) {
        Path target = dir.resolve(name);
        ImageCheckTest.Run run = run("convert", "-q", "-O", "luks", "--passphrase-file", passphraseFile.toString(),
                "--iter-time", "10", source.toString(), target.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        return target;
    }

    @Test
    void convertEncryptsToLuksAndDecryptsOnlyWithDecrypt() throws IOException {
        Path source = raw("s.raw");
        Path firstKey = key("first.key", FIRST);
        Path volume = luks(source, "s.luks", firstKey);

        LuksHeader header = LuksHeader.read(volume);
        assertThat(header.cipher()).isEqualTo("aes-xts-plain64");
        assertThat(header.keySizeBits()).isEqualTo(512);
        assertThat(header.unlocksWithFile(firstKey)).isTrue();

        Path back = dir.resolve("back.raw");
        oneLineError(run("convert", "-O", "raw", "--source-passphrase-file", firstKey.toString(), volume.toString(),
                back.toString()), 2, "decrypt");
        assertThat(back).doesNotExist();

        ImageCheckTest.Run decrypt = run("convert", "-O", "raw", "--decrypt", "--source-passphrase-file",
                firstKey.toString(), volume.toString(), back.toString());
        assertThat(decrypt.exit()).as(decrypt.err()).isZero();
        assertThat(Files.mismatch(source, back)).isEqualTo(-1L);
    }

    @Test
    void convertReencryptsLuksIntoEncryptedQcow2UnderASecondPassphrase() throws IOException {
        Path source = raw("s.raw");
        Path firstKey = key("first.key", FIRST);
        Path secondKey = key("second.key", SECOND);
        Path volume = luks(source, "s.luks", firstKey);
        Path qcow2 = dir.resolve("s.qcow2");

        ImageCheckTest.Run run = run("convert", "--json", "-f", "luks", "-O", "qcow2", "--source-passphrase-file",
                firstKey.toString(), "--passphrase-file", secondKey.toString(), "--cipher", "aes-cbc-essiv:sha256",
                "--key-size", "256", "--iter-time", "10", volume.toString(), qcow2.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out().strip());
        assertThat(json.get("encrypted").asBoolean()).isTrue();
        assertThat(json.get("source_format").asText()).isEqualTo("luks");
        assertThat(json.get("target_format").asText()).isEqualTo("qcow2");
        Path back = dir.resolve("back.raw");
        ImageCheckTest.Run decrypt = run("convert", "-q", "-O", "raw", "--decrypt", "--source-passphrase-file",
                secondKey.toString(), qcow2.toString(), back.toString());
        assertThat(decrypt.exit()).as(decrypt.err()).isZero();
        assertThat(Files.mismatch(source, back)).isEqualTo(-1L);
        oneLineError(run("convert", "-O", "raw", "--decrypt", "--source-passphrase-file", firstKey.toString(),
                qcow2.toString(), dir.resolve("never.raw").toString()), 2, "does not unlock");
    }

    @Test
    void aWrongOrMissingPassphraseExitsTwoNamingTheImageOrTheFile() throws IOException {
        Path source = raw("s.raw");
        Path volume = luks(source, "s.luks", key("first.key", FIRST));
        Path target = dir.resolve("t.raw");
        Path missing = dir.resolve("missing.key");

        oneLineError(run("convert", "-O", "raw", "--decrypt", "--source-passphrase-file",
                key("second.key", SECOND).toString(), volume.toString(), target.toString()), 2,
                "the passphrase does not unlock " + volume);
        oneLineError(run("convert", "-O", "raw", "--decrypt", volume.toString(), target.toString()), 2,
                "passphrase is needed");
        oneLineError(run("convert", "-O", "raw", "--decrypt", "--source-passphrase-file", missing.toString(),
                volume.toString(), target.toString()), 2, missing.toString());
        oneLineError(run("convert", "-O", "luks", "--passphrase-file", missing.toString(), source.toString(),
                target.toString()), 2, missing.toString());
        assertThat(target).doesNotExist();
    }

    @Test
    void badEncryptionOptionsAreOneLineUsageErrors() throws IOException {
        Path source = raw("s.raw");
        Path key = key("first.key", FIRST);
        String target = dir.resolve("t").toString();

        oneLineError(run("convert", "-O", "luks", "--passphrase-file", key.toString(), "--cipher", "rot13-ecb-plain",
                source.toString(), target), 2, "rot13");
        oneLineError(run("convert", "-O", "luks", "--passphrase-file", key.toString(), "--key-size", "100",
                source.toString(), target), 2, "100");
        oneLineError(run("convert", "-O", "qcow2", "--cipher", "aes-xts-plain64", source.toString(), target), 2,
                "--cipher needs --passphrase-file");
        oneLineError(run("convert", "-O", "vmdk", "--passphrase-file", key.toString(), source.toString(), target), 2,
                "vmdk");
        oneLineError(run("convert", "-O", "luks", source.toString(), target), 2, "-O luks needs --passphrase-file");
        oneLineError(run("convert", "-O", "luks", "--passphrase-file", key.toString(), "--iter-time", "0",
                source.toString(), target), 2, "--iter-time");
        assertThat(Path.of(target)).doesNotExist();
    }

    @Test
    void theVerboseLogOfAnEncryptedRoundTripNeverShowsAPassphrase() throws Exception {
        Path source = raw("s.raw");
        Path firstKey = key("first.key", FIRST);
        Path secondKey = key("second.key", SECOND);
        // A JVM of its own: --verbose sets the log level before the first logger exists.
        String javaBinary = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        StringBuilder log = new StringBuilder();
        for (String[] args : new String[][] {
                {"convert", "--verbose", "-O", "luks", "--passphrase-file", firstKey.toString(), "--iter-time", "10",
                        source.toString(), dir.resolve("a.luks").toString()},
                {"convert", "--verbose", "-O", "qcow2", "--source-passphrase-file", firstKey.toString(),
                        "--passphrase-file", secondKey.toString(), "--iter-time", "10",
                        dir.resolve("a.luks").toString(), dir.resolve("b.qcow2").toString()},
                {"convert", "--verbose", "-O", "raw", "--decrypt", "--source-passphrase-file", firstKey.toString(),
                        dir.resolve("b.qcow2").toString(), dir.resolve("never.raw").toString()}}) {
            List<String> command = new ArrayList<>(List.of(javaBinary, "-cp",
                    System.getProperty("java.class.path"), Diskimage.class.getName()));
            command.addAll(List.of(args));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            log.append(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            process.waitFor();
        }

        assertThat(log).contains("DEBUG", "wrote qemu secret 'sec0'", "wrote qemu secret 'sec1'",
                "the passphrase does not unlock").doesNotContain(FIRST, SECOND);
        assertThat(dir.resolve("never.raw")).doesNotExist();
    }

    @Test
    void resizeGrowsALuksVolumeWithItsPassphraseFile() throws IOException {
        Path key = key("first.key", FIRST);
        Path volume = luks(raw("s.raw"), "s.luks", key);

        oneLineError(run("resize", volume.toString(), "8M"), 2, "passphrase");
        oneLineError(run("resize", "--passphrase-file", key("second.key", SECOND).toString(), volume.toString(), "8M"),
                2, "does not unlock");
        ImageCheckTest.Run run = run("resize", "--json", "-f", "luks", "--passphrase-file", key.toString(),
                volume.toString(), "8M");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(QemuImg.system().info(volume, DiskFormat.LUKS).virtualSize()).isEqualTo(8 * MIB);
        assertThat(LuksHeader.read(volume).unlocksWithFile(key)).isTrue();
    }
}
