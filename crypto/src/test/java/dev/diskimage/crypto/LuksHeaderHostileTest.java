package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.diskimage.core.testing.OneBytePerReadChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile LUKS headers: cut at every boundary, read one byte at a time, with absurd key sizes,
 * stripes, iteration counts, Argon2 costs, JSON nesting and key slot areas outside the file.
 * Every one ends in a {@link LuksHeaderException} naming the reason (and the offset where one
 * field is to blame): never an OOM, a hang or an unchecked exception. Starts from real volumes:
 * LUKS1 from qemu-img, LUKS2 from cryptsetup with a small key slot area (2 MiB files).
 */
class LuksHeaderHostileTest {
    @TempDir
    static Path dir;
    private static byte[] luks1;
    private static byte[] luks2;
    private static String json2;

    @BeforeAll
    static void createVolumes() throws Exception {
        luks1 = Files.readAllBytes(LuksVolumes.qemuImgLuks(dir, "v1.luks"));
        luks2 = Files.readAllBytes(LuksVolumes.cryptsetupLuks(dir, "v2.luks", 2, "--type", "luks2", "--pbkdf",
                "pbkdf2", "--pbkdf-force-iterations", "1000", "--luks2-metadata-size", "16k",
                "--luks2-keyslots-size", "512k"));
        json2 = LuksImages.json(luks2);
    }

    private static LuksHeaderException refused(byte[] image) {
        return catchThrowableOfType(LuksHeaderException.class, () -> LuksImages.readBytes(image));
    }

    private static LuksHeaderException refusedJson(String json) throws Exception {
        LuksHeaderException error = refused(LuksImages.withJson(luks2, json));
        assertThat(error).as(json).isNotNull();
        return error;
    }

    @Test
    void readsRealHeadersTheSameOneByteAtATime() throws Exception {
        assertThat(LuksImages.readBytes(luks1).toString().replace("memory.luks", ""))
                .isEqualTo(LuksHeader.read(dir.resolve("v1.luks")).toString().replace(dir.resolve("v1.luks").toString(), ""));
        assertThat(LuksImages.readBytes(luks2).toString().replace("memory.luks", ""))
                .isEqualTo(LuksHeader.read(dir.resolve("v2.luks")).toString().replace(dir.resolve("v2.luks").toString(), ""));
    }

    @Test
    void readsTheFieldsOfQemuImgLuks1() throws Exception {
        Path file = dir.resolve("v1.luks");
        LuksHeader header = LuksHeader.read(file);
        assertThat(header.file()).isEqualTo(file);
        assertThat(header.version()).isEqualTo(1);
        assertThat(header.cipher()).isEqualTo("aes-xts-plain64");
        assertThat(header.keySizeBits()).isEqualTo(512);
        assertThat(header.hash()).isEqualTo("sha256");
        String dump = LuksVolumes.luksDump(file);
        assertThat(header.uuid()).isEqualTo(LuksVolumes.dumpField(dump, "UUID"));
        assertThat(header.payloadOffset()).isEqualTo(512 * Long.parseLong(LuksVolumes.dumpField(dump, "Payload offset")));
        assertThat(header.activeKeySlots()).singleElement().satisfies(slot -> {
            assertThat(slot.keySizeBits()).isEqualTo(512);
            assertThat(slot.cipher()).isEqualTo("aes-xts-plain64");
            assertThat(slot.afHash()).isEqualTo("sha256");
            assertThat(slot.stripes()).isEqualTo(4000);
        });
    }

    @Test
    void refusesLuks1CutAtEveryHeaderBoundary() {
        long payload = LuksHeader.read(dir.resolve("v1.luks")).payloadOffset();
        for (int cut : new int[] {0, 1, 5, 6, 7, 8, 40, 104, 108, 208, 591}) {
            LuksHeaderException error = refused(Arrays.copyOf(luks1, cut));
            assertThat(error).as("cut at %d", cut).isNotNull();
            assertThat(error.reason()).as("cut at %d", cut).containsAnyOf("ends before", "no LUKS magic");
        }
        for (long cut : new long[] {592, 4096, payload - 1}) {
            assertThat(refused(Arrays.copyOf(luks1, (int) cut)).reason()).as("cut at %d", cut)
                    .contains("payload offset");
        }
        assertThat(refused(Arrays.copyOf(luks1, (int) payload))).isNull();
    }

    @Test
    void refusesLuks2CutAtEveryHeaderBoundary() {
        for (int cut : new int[] {6, 8, 255, 4095, 4096, 16383, 16384, 16384 + 263, 32767, 32768, (1 << 20) - 1}) {
            LuksHeaderException error = refused(Arrays.copyOf(luks2, cut));
            assertThat(error).as("cut at %d", cut).isNotNull();
        }
        assertThat(refused(Arrays.copyOf(luks2, 1 << 20))).isNull();
    }

    @Test
    void refusesLuks1AbsurdKeySizeStripesAndIterationsAtTheirOffsets() {
        assertThat(refused(LuksImages.patchU32(luks1, 108, 0xffffffffL)).offset()).hasValue(108);
        assertThat(refused(LuksImages.patchU32(luks1, 108, 4096)).reason()).contains("key length 4096");
        assertThat(refused(LuksImages.patchU32(luks1, 208 + 44, 0xffffffffL)).offset()).hasValue(208 + 44);
        assertThat(refused(LuksImages.patchU32(luks1, 208 + 40, 0xffffffffL)).offset()).hasValue(208 + 40);
        assertThat(refused(LuksImages.patchU32(luks1, 208 + 4, 0xffffffffL)).reason())
                .contains("key slot 0 asks for 4294967295 PBKDF2 iterations");
        assertThat(refused(LuksImages.patchU32(luks1, 164, LuksHeader.MAX_PBKDF2_ITERATIONS + 1)).reason())
                .contains("master key digest asks for");
        assertThat(refused(LuksImages.patchU32(luks1, 6, 0x00030000)).offset()).hasValue(6);
    }

    @Test
    void refusesLuks2AbsurdKeySizes() throws Exception {
        assertThat(refusedJson(json2.replace("\"key_size\":64,\"af\"", "\"key_size\":100000,\"af\"")).reason())
                .contains("key_size 100000");
        assertThat(refusedJson(json2.replace("\"key_size\":64,\"af\"", "\"key_size\":-1,\"af\"")).reason())
                .contains("key_size");
        assertThat(refusedJson(json2.replace("\"encryption\":\"aes-xts-plain64\",\"key_size\":64",
                "\"encryption\":\"aes-xts-plain64\",\"key_size\":99999999999999999999")).reason()).contains("key_size");
    }

    @Test
    void refusesLuks2OtherStripeCounts() throws Exception {
        for (String stripes : List.of("1", "4001", "4294967296", "\"4000\"")) {
            assertThat(refusedJson(json2.replace("\"stripes\":4000", "\"stripes\":" + stripes)).reason())
                    .contains("4000 stripes");
        }
    }

    @Test
    void refusesLuks2AbsurdIterationCounts() throws Exception {
        assertThat(refusedJson(json2.replaceFirst("\"iterations\":1000", "\"iterations\":4294967295")).reason())
                .contains("4294967295 PBKDF2 iterations");
        assertThat(refusedJson(json2.replaceFirst("\"iterations\":1000", "\"iterations\":0")).reason())
                .contains("0 PBKDF2 iterations");
        String digestIterations = json2.substring(0, json2.lastIndexOf("\"iterations\":")) + "\"iterations\":"
                + Long.MAX_VALUE + json2.substring(json2.indexOf(',', json2.lastIndexOf("\"iterations\":")));
        assertThat(refusedJson(digestIterations).reason()).contains("digest 0 asks for " + Long.MAX_VALUE);
    }

    private static String argon2(long time, long memory, long cpus) {
        return json2.replaceFirst("\"kdf\":\\{[^}]*\\}", "\"kdf\":{\"type\":\"argon2id\",\"time\":" + time
                + ",\"memory\":" + memory + ",\"cpus\":" + cpus + ",\"salt\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"}");
    }

    @Test
    void refusesArgon2CostsAboveTheCapsWithoutAllocating() throws Exception {
        assertThat(LuksImages.readBytes(LuksImages.withJson(luks2, argon2(4, LuksHeader.MAX_ARGON2_MEMORY_KIB, 4)))
                .activeKeySlots().get(0).kdf().memoryKiB()).isEqualTo(4L << 20);
        assertThat(refusedJson(argon2(4, LuksHeader.MAX_ARGON2_MEMORY_KIB + 1, 4)).reason()).contains("Argon2 memory");
        assertThat(refusedJson(argon2(4, Long.MAX_VALUE, 4)).reason()).contains("Argon2 memory");
        assertThat(refusedJson(argon2(4, 4, 1)).reason()).contains("Argon2 memory 4 KiB");
        assertThat(refusedJson(argon2(0, 1024, 1)).reason()).contains("time cost 0");
        assertThat(refusedJson(argon2(1_000_000_000L, 1024, 1)).reason()).contains("time cost 1000000000");
        assertThat(refusedJson(argon2(4, 1024, 0)).reason()).contains("parallelism 0");
        assertThat(refusedJson(argon2(4, 1024, 1000)).reason()).contains("parallelism 1000");
    }

    @Test
    void refusesDeepJsonNestingAndDuplicateKeys() throws Exception {
        assertThat(refusedJson("[".repeat(5000)).reason()).contains("cannot be parsed");
        assertThat(refusedJson(json2.replace("\"config\":{", "\"config\":{\"json_size\":\"1\",")).reason())
                .contains("Duplicate field");
        assertThat(refusedJson("{\"keyslots\":{}}").reason()).contains("lacks the 'segments' object");
    }

    @Test
    void refusesKeySlotAreasOutsideTheirPlace() throws Exception {
        for (String offset : List.of("99999999999", "0", "16384", "2097152", "1048576", "abc", "-1")) {
            LuksHeaderException error = refusedJson(json2.replace("\"offset\":\"32768\"", "\"offset\":\"" + offset + "\""));
            assertThat(error.reason()).as(offset).contains("area");
        }
        assertThat(refusedJson(json2.replace("\"size\":\"258048\"", "\"size\":\"4096\"")).reason())
                .contains("does not hold 256000 bytes");
        assertThat(refusedJson(json2.replace("\"size\":\"258048\"", "\"size\":\"9223372036854775\"")).reason())
                .contains("area");
    }

    @Test
    void refusesMalformedSaltsAndSlotIds() throws Exception {
        assertThat(refusedJson(json2.replaceFirst("\"salt\":\"[^\"]*\"", "\"salt\":\"***\"")).reason())
                .contains("salt is not base64");
        assertThat(refusedJson(json2.replaceFirst("\"salt\":\"[^\"]*\"", "\"salt\":\"\"")).reason())
                .contains("salt is 0 bytes");
        assertThat(refusedJson(json2.replace("\"keyslots\":{\"0\":", "\"keyslots\":{\"32\":")).reason())
                .contains("key slot id '32'");
    }

    @Test
    void unsupportedCipherIsATypedErrorNamingTheSlotAndCipher() throws Exception {
        byte[] camellia = luks1.clone();
        Arrays.fill(camellia, 8, 40, (byte) 0);
        System.arraycopy("camellia".getBytes(StandardCharsets.US_ASCII), 0, camellia, 8, 8);
        LuksHeader header = LuksHeader.read(LuksImages.write(dir, "camellia.luks", camellia));
        assertThat(header.cipher()).isEqualTo("camellia-xts-plain64");
        assertThatThrownBy(() -> header.unlocks(LuksVolumes.PASSPHRASE.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(UnsupportedLuksException.class)
                .hasMessageContaining("key slot 0 uses cipher 'camellia-xts-plain64'")
                .hasMessageNotContaining(LuksVolumes.PASSPHRASE);
    }

    @Test
    void unsupportedHashIsATypedErrorNamingIt() throws Exception {
        byte[] whirlpool = luks1.clone();
        Arrays.fill(whirlpool, 72, 104, (byte) 0);
        System.arraycopy("whirlpool".getBytes(StandardCharsets.US_ASCII), 0, whirlpool, 72, 9);
        LuksHeader header = LuksHeader.read(LuksImages.write(dir, "whirlpool.luks", whirlpool));
        assertThatThrownBy(() -> header.unlocks(new byte[] {1}))
                .isInstanceOf(UnsupportedLuksException.class).hasMessageContaining("'whirlpool'");
    }

    @Test
    void keyMaterialGarbledOrCutGivesFalseOrATypedError() throws Exception {
        LuksHeader.KeySlot slot = LuksHeader.read(dir.resolve("v2.luks")).activeKeySlots().get(0);
        byte[] garbled = luks2.clone();
        garbled[(int) slot.areaOffset() + 1000] ^= 1;
        assertThat(LuksHeader.read(LuksImages.write(dir, "garbled.luks", garbled))
                .unlocks(LuksVolumes.PASSPHRASE.toCharArray())).isFalse();
        assertThat(LuksHeader.read(dir.resolve("v2.luks")).unlocks(LuksVolumes.PASSPHRASE.toCharArray())).isTrue();
        // The volume shrinks between read and unlock: the key material is gone.
        Path shrinking = LuksImages.write(dir, "shrinking.luks", luks2);
        LuksHeader header = LuksHeader.read(shrinking);
        Files.write(shrinking, Arrays.copyOf(luks2, (int) slot.areaOffset() + 100));
        assertThat(catchThrowableOfType(LuksHeaderException.class,
                () -> header.unlocks(LuksVolumes.PASSPHRASE.toCharArray())).reason())
                .contains("ends before the key material of key slot 0");
    }

    @Test
    void refusesWhatIsNotLuksAndFilesThatCannotBeRead() {
        assertThat(refused(new byte[4096]).reason()).contains("no LUKS magic");
        assertThat(catchThrowableOfType(LuksHeaderException.class, () -> LuksHeader.read(dir.resolve("missing")))
                .getMessage()).contains("missing").contains("cannot be read");
        ByteBuffer version3 = ByteBuffer.wrap(luks2.clone()).putShort(6, (short) 3);
        assertThat(refused(version3.array()).reason()).contains("LUKS version 3");
    }

    @Test
    void refusalsNameTheFileAndTheOffsetToBlameEvenAtOffsetZero() {
        LuksHeaderException atZero = refused(new byte[4096]);
        assertThat(atZero.file()).isEqualTo(Path.of("memory.luks"));
        assertThat(atZero.offset()).hasValue(0);
        assertThat(atZero.getMessage()).isEqualTo("memory.luks: is not a LUKS volume (no LUKS magic) (at offset 0)");

        LuksHeaderException noField = catchThrowableOfType(LuksHeaderException.class,
                () -> LuksHeader.read(dir.resolve("missing")));
        assertThat(noField.offset()).isEmpty();
        assertThat(noField.getMessage()).doesNotContain("at offset");
    }

    @Test
    void aChannelThatStopsMakingProgressIsATruncatedHeaderNotAHang() throws Exception {
        byte[] image = luks1.clone();
        java.nio.channels.SeekableByteChannel stalling = new OneBytePerReadChannel(image) {
            @Override
            public int read(java.nio.ByteBuffer dst) {
                return position() < 100 ? super.read(dst) : 0;
            }
        };

        assertThatThrownBy(() -> LuksHeader.read(java.nio.file.Path.of("stalling.luks"), stalling))
                .isInstanceOf(LuksHeaderException.class).hasMessageContaining("ends before");
    }
}
