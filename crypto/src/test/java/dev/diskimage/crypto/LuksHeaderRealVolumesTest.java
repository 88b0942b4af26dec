package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LuksHeader against volumes made by the real qemu-img and cryptsetup, with cryptsetup as the
 * oracle: {@code luksDump} for the fields, {@code open --test-passphrase} (works on a plain file,
 * no device-mapper needed) for right and wrong passphrases.
 */
class LuksHeaderRealVolumesTest {
    @TempDir
    static Path dir;
    private static Path qemuLuks1;
    private static Path right;
    private static Path wrong;

    @BeforeAll
    static void createVolumes() throws Exception {
        qemuLuks1 = LuksVolumes.qemuImgLuks(dir, "qemu.luks");
        right = LuksVolumes.keyFile(dir, "right.key", LuksVolumes.PASSPHRASE);
        wrong = LuksVolumes.keyFile(dir, "wrong.key", LuksVolumes.WRONG);
    }

    private static void assertUnlockAgreesWithCryptsetup(Path volume) throws Exception {
        LuksHeader header = LuksHeader.read(volume);
        assertThat(header.unlocksWithFile(right)).isTrue();
        assertThat(header.unlocksWithFile(wrong)).isFalse();
        assertThat(header.unlocks(LuksVolumes.PASSPHRASE.toCharArray())).isTrue();
        assertThat(header.unlocks(LuksVolumes.WRONG.getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(header.unlocks(new byte[0])).isFalse();
        assertThat(LuksVolumes.cryptsetupOpens(volume, right)).isTrue();
        assertThat(LuksVolumes.cryptsetupOpens(volume, wrong)).isFalse();
    }

    @Test
    void readsQemuImgLuks1LikeLuksDump() throws Exception {
        LuksHeader header = LuksHeader.read(qemuLuks1);
        assertThat(header.version()).isEqualTo(1);
        assertThat(header.cipher()).isEqualTo("aes-xts-plain64");
        assertThat(header.keySizeBits()).isEqualTo(512);
        assertThat(header.hash()).isEqualTo("sha256");
        assertThat(header.activeKeySlots()).singleElement().satisfies(slot -> {
            assertThat(slot.index()).isZero();
            assertThat(slot.kdf().type()).isEqualTo(LuksHeader.KdfType.PBKDF2);
            assertThat(slot.stripes()).isEqualTo(4000);
            assertThat(slot.areaLength()).isEqualTo(64 * 4000);
        });
        String dump = LuksVolumes.luksDump(qemuLuks1);
        assertThat(header.uuid()).isEqualTo(LuksVolumes.dumpField(dump, "UUID"));
        assertThat(header.payloadOffset()).isEqualTo(512 * Long.parseLong(LuksVolumes.dumpField(dump, "Payload offset")));
        assertThat(header.keySizeBits()).isEqualTo(Integer.parseInt(LuksVolumes.dumpField(dump, "MK bits")));
        assertThat(header.activeKeySlots().get(0).kdf().iterations())
                .isEqualTo(Long.parseLong(LuksVolumes.dumpField(dump, "Iterations")));
    }

    @Test
    void unlocksQemuImgLuks1OnlyWithTheRightPassphrase() throws Exception {
        assertUnlockAgreesWithCryptsetup(qemuLuks1);
    }

    @Test
    void unlocksQemuImgLuks1WithCbcEssiv() throws Exception {
        Path essiv = LuksVolumes.qemuImgLuks(dir, "essiv.luks",
                ",cipher-alg=aes-256,cipher-mode=cbc,ivgen-alg=essiv,ivgen-hash-alg=sha256,hash-alg=sha1");
        LuksHeader header = LuksHeader.read(essiv);
        assertThat(header.cipher()).isEqualTo("aes-cbc-essiv:sha256");
        assertThat(header.keySizeBits()).isEqualTo(256);
        assertThat(header.hash()).isEqualTo("sha1");
        assertUnlockAgreesWithCryptsetup(essiv);
    }

    @Test
    void unlocksCryptsetupLuks1() throws Exception {
        Path volume = LuksVolumes.cryptsetupLuks(dir, "cs1.luks", 4, "--type", "luks1", "--iter-time", "10");
        LuksHeader header = LuksHeader.read(volume);
        String dump = LuksVolumes.luksDump(volume);
        assertThat(header.version()).isEqualTo(1);
        assertThat(header.cipher()).isEqualTo(LuksVolumes.dumpField(dump, "Cipher name") + "-"
                + LuksVolumes.dumpField(dump, "Cipher mode"));
        assertThat(header.hash()).isEqualTo(LuksVolumes.dumpField(dump, "Hash spec"));
        assertThat(header.uuid()).isEqualTo(LuksVolumes.dumpField(dump, "UUID"));
        assertUnlockAgreesWithCryptsetup(volume);
    }

    @Test
    void unlocksCryptsetupLuks2WithArgon2id() throws Exception {
        Path volume = LuksVolumes.cryptsetupLuks(dir, "cs2-argon2id.luks", 20, "--type", "luks2", "--pbkdf",
                "argon2id", "--pbkdf-memory", "8192", "--pbkdf-force-iterations", "4", "--pbkdf-parallel", "1");
        LuksHeader header = LuksHeader.read(volume);
        String dump = LuksVolumes.luksDump(volume);
        assertThat(header.version()).isEqualTo(2);
        assertThat(header.uuid()).isEqualTo(LuksVolumes.dumpField(dump, "UUID"));
        assertThat(header.cipher()).isEqualTo(LuksVolumes.dumpField(dump, "cipher"));
        assertThat(header.payloadOffset() + " [bytes]").isEqualTo(LuksVolumes.dumpField(dump, "offset"));
        assertThat(header.keySizeBits() + " bits").isEqualTo(LuksVolumes.dumpField(dump, "Key"));
        assertThat(header.hash()).isEqualTo(LuksVolumes.dumpField(dump, "Hash"));
        assertThat(header.activeKeySlots()).singleElement().satisfies(slot -> {
            assertThat(slot.kdf()).isEqualTo(new LuksHeader.Kdf(LuksHeader.KdfType.ARGON2ID, "", 0, 4, 8192, 1));
            assertThat(slot.areaOffset() + " [bytes]").isEqualTo(LuksVolumes.dumpField(dump, "Area offset"));
            assertThat(slot.afHash()).isEqualTo(LuksVolumes.dumpField(dump, "AF hash"));
        });
        assertUnlockAgreesWithCryptsetup(volume);
    }

    @Test
    void unlocksCryptsetupLuks2WithArgon2iAndTwoThreads() throws Exception {
        Path volume = LuksVolumes.cryptsetupLuks(dir, "cs2-argon2i.luks", 20, "--type", "luks2", "--pbkdf",
                "argon2i", "--pbkdf-memory", "4096", "--pbkdf-force-iterations", "4", "--pbkdf-parallel", "2");
        assertThat(LuksHeader.read(volume).activeKeySlots().get(0).kdf())
                .isEqualTo(new LuksHeader.Kdf(LuksHeader.KdfType.ARGON2I, "", 0, 4, 4096, 2));
        assertUnlockAgreesWithCryptsetup(volume);
    }

    @Test
    void unlocksCryptsetupLuks2WithPbkdf2() throws Exception {
        Path volume = LuksVolumes.cryptsetupLuks(dir, "cs2-pbkdf2.luks", 20, "--type", "luks2", "--pbkdf", "pbkdf2",
                "--pbkdf-force-iterations", "1000", "--hash", "sha512");
        LuksHeader header = LuksHeader.read(volume);
        assertThat(header.activeKeySlots().get(0).kdf())
                .isEqualTo(new LuksHeader.Kdf(LuksHeader.KdfType.PBKDF2, "sha512", 1000, 0, 0, 0));
        assertUnlockAgreesWithCryptsetup(volume);
    }

    @Test
    void findsTheSlotAnAddedPassphraseOpens() throws Exception {
        Path volume = LuksVolumes.cryptsetupLuks(dir, "cs2-two-slots.luks", 20, "--type", "luks2", "--pbkdf", "pbkdf2",
                "--pbkdf-force-iterations", "1000");
        Path second = LuksVolumes.keyFile(dir, "second.key", "second passphrase");
        LuksVolumes.cryptsetup("luksAddKey", "--batch-mode", "--key-file", dir.resolve("cs2-two-slots.luks.key").toString(),
                "--pbkdf", "argon2i", "--pbkdf-memory", "1024", "--pbkdf-force-iterations", "4", "--pbkdf-parallel", "1",
                volume.toString(), second.toString());
        LuksHeader header = LuksHeader.read(volume);
        assertThat(header.activeKeySlots()).extracting(LuksHeader.KeySlot::index).containsExactly(0, 1);
        assertThat(header.unlockingSlot(LuksVolumes.PASSPHRASE.getBytes(StandardCharsets.UTF_8))).hasValue(0);
        assertThat(header.unlockingSlot("second passphrase".getBytes(StandardCharsets.UTF_8))).hasValue(1);
        assertThat(header.unlockingSlot(LuksVolumes.WRONG.getBytes(StandardCharsets.UTF_8))).isEmpty();
        assertThat(LuksVolumes.cryptsetupOpens(volume, second)).isTrue();
    }

    @Test
    void agreesWithCryptsetupJsonMetadata() throws Exception {
        Path volume = LuksVolumes.cryptsetupLuks(dir, "cs2-json.luks", 20, "--type", "luks2", "--pbkdf", "argon2id",
                "--pbkdf-memory", "2048", "--pbkdf-force-iterations", "5", "--pbkdf-parallel", "2", "--hash", "sha512",
                "--cipher", "aes-cbc-essiv:sha256", "--key-size", "256");
        com.fasterxml.jackson.databind.JsonNode json = dev.diskimage.core.StrictJson.tree()
                .readTree(LuksVolumes.luksDump(volume, "--dump-json-metadata"));
        com.fasterxml.jackson.databind.JsonNode slot = json.get("keyslots").get("0");
        com.fasterxml.jackson.databind.JsonNode segment = json.get("segments").get("0");
        LuksHeader header = LuksHeader.read(volume);
        assertThat(header.cipher()).isEqualTo(segment.get("encryption").asText()).isEqualTo("aes-cbc-essiv:sha256");
        assertThat(header.payloadOffset()).isEqualTo(Long.parseLong(segment.get("offset").asText()));
        assertThat(header.keySizeBits()).isEqualTo(8 * slot.get("key_size").asInt()).isEqualTo(256);
        assertThat(header.hash()).isEqualTo(json.get("digests").get("0").get("hash").asText());
        LuksHeader.KeySlot ours = header.activeKeySlots().get(0);
        assertThat(ours.kdf()).isEqualTo(new LuksHeader.Kdf(LuksHeader.KdfType.ARGON2ID, "", 0,
                slot.get("kdf").get("time").asLong(), slot.get("kdf").get("memory").asLong(),
                slot.get("kdf").get("cpus").asInt()));
        assertThat(ours.areaOffset()).isEqualTo(Long.parseLong(slot.get("area").get("offset").asText()));
        assertThat(ours.cipher()).isEqualTo(slot.get("area").get("encryption").asText());
        assertThat(ours.afHash()).isEqualTo(slot.get("af").get("hash").asText()).isEqualTo("sha512");
        assertThat(ours.stripes()).isEqualTo(slot.get("af").get("stripes").asInt());
        assertUnlockAgreesWithCryptsetup(volume);
    }
}
