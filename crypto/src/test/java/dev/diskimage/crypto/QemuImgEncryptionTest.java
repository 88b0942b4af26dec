package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.testing.RealQemuImg;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The pieces a LUKS conversion combines, against the real qemu-img: {@link CipherSpec} options and
 * a {@link QemuSecret} create a LUKS volume whose header {@link LuksHeader} reads back with the
 * same cipher and key size, and which the passphrase unlocks.
 */
class QemuImgEncryptionTest {
    @TempDir
    Path dir;

    private static String options(Map<String, String> options) {
        List<String> pairs = new ArrayList<>();
        options.forEach((key, value) -> pairs.add(key + "=" + value));
        return String.join(",", pairs);
    }

    @ParameterizedTest
    @CsvSource({"aes-xts-plain64, 512", "aes-cbc-essiv:sha256, 256", "serpent-xts-plain64, 512",
        "twofish-cbc-plain64, 256"})
    void createsALuksVolumeThatReadsBackAndUnlocks(String spec, int bits) throws Exception {
        CipherSpec cipher = CipherSpec.decode(spec, bits);
        Path volume = dir.resolve("volume.luks");
        byte[] passphrase = "pass phrase".getBytes(StandardCharsets.UTF_8);
        try (QemuSecret secret = QemuSecret.write("sec0", passphrase, dir)) {
            Map<String, String> options = new LinkedHashMap<>();
            options.put("key-secret", secret.id());
            options.put("iter-time", "10");
            options.putAll(cipher.qemuOptions(""));
            RealQemuImg.run(List.of("create", "-q", "-f", "luks", "--object", secret.object().toArgument(), "-o",
                    options(options), volume.toString(), "1M"));
        }
        LuksHeader header = LuksHeader.read(volume);
        assertThat(header.cipher()).isEqualTo(cipher.dmCryptName());
        assertThat(header.keySizeBits()).isEqualTo(bits);
        assertThat(header.unlocks(passphrase)).isTrue();
        assertThat(header.unlocks("pass phrase ".getBytes(StandardCharsets.UTF_8))).isFalse();
    }

    @Test
    void qcow2TakesTheSameOptionsWithTheEncryptPrefix() throws Exception {
        CipherSpec cipher = CipherSpec.decode("aes-xts-plain64", 512);
        Path image = dir.resolve("encrypted.qcow2");
        try (QemuSecret secret = QemuSecret.write("sec0", "pw".getBytes(StandardCharsets.UTF_8), dir)) {
            Map<String, String> options = new LinkedHashMap<>();
            options.put("encrypt.format", "luks");
            options.put("encrypt.key-secret", secret.id());
            options.put("encrypt.iter-time", "10");
            options.putAll(cipher.qemuOptions("encrypt."));
            RealQemuImg.run(List.of("create", "-q", "-f", "qcow2", "--object", secret.object().toArgument(), "-o",
                    options(options), image.toString(), "1M"));
            Process info = new ProcessBuilder("qemu-img", "info", "--output=json", "-f", "qcow2", image.toString())
                    .redirectErrorStream(true).start();
            String json = new String(info.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(info.waitFor()).isZero();
            assertThat(json).contains("\"cipher-alg\": \"aes-256\"", "\"cipher-mode\": \"xts\"",
                    "\"ivgen-alg\": \"plain64\"");
        }
        assertThat(dir.toFile().list()).containsExactly("encrypted.qcow2");
    }
}
