package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unlocking volumes cryptsetup made, in the fast suite: each path through the key slot code
 * (Argon2i and Argon2id at tiny memory, hashes whose digest is shorter or longer than the key so
 * that the anti-forensic diffusion ends on a partial block, key material that ends mid-sector, the
 * 32-bit {@code plain} IV) must open with the right passphrase and only with it, as cryptsetup's
 * own {@code open --test-passphrase} does. Each volume takes cryptsetup about 50 ms.
 */
class LuksHeaderUnlockTest {
    private static final byte[] RIGHT = LuksVolumes.PASSPHRASE.getBytes(StandardCharsets.UTF_8);
    private static final byte[] WRONG = LuksVolumes.WRONG.getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private LuksHeader luks2(String... options) throws Exception {
        String[] all = new String[options.length + 6];
        System.arraycopy(new String[] {"--type", "luks2", "--luks2-metadata-size", "16k", "--luks2-keyslots-size",
            "512k"}, 0, all, 0, 6);
        System.arraycopy(options, 0, all, 6, options.length);
        return LuksHeader.read(LuksVolumes.cryptsetupLuks(dir, "v.luks", 2, all));
    }

    private static void opensOnlyWithTheRightPassphrase(LuksHeader header) {
        assertThat(header.unlockingSlot(RIGHT)).hasValue(0);
        assertThat(header.unlocks(WRONG)).isFalse();
    }

    @Test
    void argon2i() throws Exception {
        LuksHeader header = luks2("--pbkdf", "argon2i", "--pbkdf-memory", "32", "--pbkdf-force-iterations", "4",
                "--pbkdf-parallel", "1");
        assertThat(header.activeKeySlots().get(0).kdf())
                .isEqualTo(new LuksHeader.Kdf(LuksHeader.KdfType.ARGON2I, "", 0, 4, 32, 1));
        opensOnlyWithTheRightPassphrase(header);
    }

    @Test
    void argon2idWithTwoLanes() throws Exception {
        LuksHeader header = luks2("--pbkdf", "argon2id", "--pbkdf-memory", "64", "--pbkdf-force-iterations", "4",
                "--pbkdf-parallel", "2");
        assertThat(header.activeKeySlots().get(0).kdf())
                .isEqualTo(new LuksHeader.Kdf(LuksHeader.KdfType.ARGON2ID, "", 0, 4, 64, 2));
        opensOnlyWithTheRightPassphrase(header);
    }

    @Test
    void sha1DiffusesA64ByteKeyInThreeWholeBlocksAndAPartialOne() throws Exception {
        LuksHeader header = luks2("--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", "--hash", "sha1");
        assertThat(header.keySizeBits()).isEqualTo(512);
        assertThat(header.activeKeySlots().get(0).afHash()).isEqualTo("sha1");
        opensOnlyWithTheRightPassphrase(header);
    }

    @Test
    void keyMaterialEndingMidSectorWithSha512Diffusion() throws Exception {
        // 24-byte key x 4000 stripes = 96,000 bytes: 187 sectors and a half.
        LuksHeader header = LuksHeader.read(LuksVolumes.cryptsetupLuks(dir, "v.luks", 4, "--type", "luks1",
                "--pbkdf-force-iterations", "1000", "--cipher", "aes-cbc-essiv:sha256", "--key-size", "192",
                "--hash", "sha512"));
        assertThat(header.activeKeySlots().get(0).areaLength()).isEqualTo(96_000);
        opensOnlyWithTheRightPassphrase(header);
    }

    @Test
    void cbcWithThe32BitPlainIv() throws Exception {
        LuksHeader header = LuksHeader.read(LuksVolumes.cryptsetupLuks(dir, "v.luks", 4, "--type", "luks1",
                "--pbkdf-force-iterations", "1000", "--cipher", "aes-cbc-plain", "--key-size", "128", "--hash",
                "sha1"));
        assertThat(header.cipher()).isEqualTo("aes-cbc-plain");
        opensOnlyWithTheRightPassphrase(header);
    }
}
