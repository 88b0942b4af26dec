package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.ImageIoException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fuzz seeds are real headers: the LUKS2 ones were made by cryptsetup 2.6
 * ({@code luksFormat --type luks2 --cipher aes-cbc-essiv:sha256 --key-size 256 --pbkdf pbkdf2
 * --pbkdf-force-iterations 1000}, passphrase {@code secret pw}) with the data segment moved to
 * just after the key slot area so that the file stays small; one has its KDF replaced by a tiny
 * Argon2id. They prove unlocking without cryptsetup installed.
 */
class LuksHeaderSeedsTest {
    private static final String CORPUS = "LuksHeaderFuzzTestInputs/read/";
    private static final byte[] PASSPHRASE = "secret pw".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private Path seed(String name) throws Exception {
        try (InputStream in = LuksHeaderSeedsTest.class.getResourceAsStream(CORPUS + name)) {
            return Files.write(dir.resolve(name), in.readAllBytes());
        }
    }

    @Test
    void unlocksCryptsetupLuks2WithCbcEssivAndPbkdf2() throws Exception {
        LuksHeader header = LuksHeader.read(seed("luks2-pbkdf2-essiv.luks"));
        assertThat(header.version()).isEqualTo(2);
        assertThat(header.cipher()).isEqualTo("aes-cbc-essiv:sha256");
        assertThat(header.keySizeBits()).isEqualTo(256);
        assertThat(header.activeKeySlots()).singleElement().satisfies(slot -> {
            assertThat(slot.kdf()).isEqualTo(new LuksHeader.Kdf(LuksHeader.KdfType.PBKDF2, "sha256", 1000, 0, 0, 0));
            assertThat(slot.areaOffset()).isEqualTo(32768);
            assertThat(slot.areaLength()).isEqualTo(32 * 4000);
        });
        assertThat(header.unlocks(PASSPHRASE)).isTrue();
        assertThat(header.unlockingSlot(PASSPHRASE)).hasValue(0);
        assertThat(header.unlocks("secret pw\n".getBytes(StandardCharsets.UTF_8))).isFalse();
    }

    @Test
    void aSlotWhoseKdfWasSwappedNoLongerOpens() throws Exception {
        LuksHeader header = LuksHeader.read(seed("luks2-argon2id.luks"));
        assertThat(header.activeKeySlots().get(0).kdf())
                .isEqualTo(new LuksHeader.Kdf(LuksHeader.KdfType.ARGON2ID, "", 0, 4, 32, 1));
        assertThat(header.unlocks(PASSPHRASE)).isFalse();
    }

    @Test
    void brokenSeedsAreRefused() throws Exception {
        assertThat(LuksHeader.read(seed("luks1-no-slots.luks")).activeKeySlots()).isEmpty();
        assertThatThrownBy(() -> LuksHeader.read(seed("luks1-header-only.luks")))
                .isInstanceOf(LuksHeaderException.class).hasMessageContaining("payload offset");
        assertThatThrownBy(() -> LuksHeader.read(seed("luks2-bad-checksum.luks")))
                .isInstanceOf(LuksHeaderException.class).hasMessageContaining("checksum does not match");
    }

    @Test
    void leavesTheCallersPassphraseUnchanged() throws Exception {
        LuksHeader header = LuksHeader.read(seed("luks2-pbkdf2-essiv.luks"));
        byte[] bytes = PASSPHRASE.clone();
        char[] chars = "secret pw".toCharArray();
        assertThat(header.unlocks(bytes)).isTrue();
        assertThat(header.unlocks(chars)).isTrue();
        assertThat(bytes).isEqualTo(PASSPHRASE);
        assertThat(chars).containsExactly("secret pw".toCharArray());
    }

    @Test
    void passphraseFilesAreReadWholeWithACapAndNeverQuoted() throws Exception {
        LuksHeader header = LuksHeader.read(seed("luks2-pbkdf2-essiv.luks"));
        assertThat(header.unlocksWithFile(Files.write(dir.resolve("right"), PASSPHRASE))).isTrue();
        assertThat(header.unlocksWithFile(Files.writeString(dir.resolve("newline"), "secret pw\n"))).isFalse();
        Path missing = dir.resolve("missing-key");
        assertThatThrownBy(() -> header.unlocksWithFile(missing)).isInstanceOf(ImageIoException.class)
                .hasMessageContaining("missing-key").hasMessageContaining("could not read the passphrase file");
        Path empty = Files.write(dir.resolve("empty-key"), new byte[0]);
        assertThatThrownBy(() -> header.unlocksWithFile(empty)).isInstanceOf(ImageIoException.class)
                .hasMessageContaining("empty-key").hasMessageContaining("empty");
        Path huge = dir.resolve("huge-key");
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
            file.setLength(LuksHeader.MAX_PASSPHRASE_FILE + 1);
        }
        assertThatThrownBy(() -> header.unlocksWithFile(huge)).isInstanceOf(ImageIoException.class)
                .hasMessageContaining("larger than " + LuksHeader.MAX_PASSPHRASE_FILE);
        assertThat(header.unlocks(Passphrase.of(PASSPHRASE))).isTrue();
        assertThat(header.unlocks(Passphrase.fromFile(dir.resolve("newline")))).isFalse();
    }

    @Test
    void toStringShowsTheHeaderButNoSecrets() throws Exception {
        LuksHeader header = LuksHeader.read(seed("luks2-pbkdf2-essiv.luks"));
        assertThat(header.toString()).contains("version=2", "aes-cbc-essiv:sha256", "activeKeySlots=[0]")
                .doesNotContain("secret pw").doesNotContain("salt");
    }
}
