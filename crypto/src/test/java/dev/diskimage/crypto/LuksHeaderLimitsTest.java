package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every cap and rule of a LUKS2 key slot at its exact edge: the largest accepted value is read,
 * one more is refused, and each required part missing is a typed error naming it. The header is
 * cryptsetup's (PBKDF2, 1,000 iterations, 16 KiB metadata), its JSON edited and re-checksummed.
 */
class LuksHeaderLimitsTest {
    @TempDir
    static Path dir;
    private static byte[] luks2;
    private static String json;

    @BeforeAll
    static void createVolume() throws Exception {
        luks2 = Files.readAllBytes(LuksVolumes.cryptsetupLuks(dir, "limits.luks", 2, "--type", "luks2", "--pbkdf",
                "pbkdf2", "--pbkdf-force-iterations", "1000", "--luks2-metadata-size", "16k",
                "--luks2-keyslots-size", "512k"));
        json = LuksImages.json(luks2);
        assertThat(json).contains("\"offset\":\"32768\",\"size\":\"258048\"", "\"iterations\":1000",
                "\"segments\":{\"0\":{\"type\":\"crypt\",\"offset\":\"1048576\"");
    }

    private static LuksHeader read(String edited) throws Exception {
        return LuksImages.readBytes(LuksImages.withJson(luks2, edited));
    }

    private static LuksHeader readFile(String name, String edited) throws Exception {
        return LuksHeader.read(LuksImages.write(dir, name, LuksImages.withJson(luks2, edited)));
    }

    private static String refusal(String edited) throws Exception {
        LuksHeaderException error = catchThrowableOfType(LuksHeaderException.class, () -> read(edited));
        assertThat(error).as(edited).isNotNull();
        return error.reason();
    }

    private static String argon2(long time, long memory, long cpus) {
        return json.replaceFirst("\"kdf\":\\{[^}]*\\}", "\"kdf\":{\"type\":\"argon2id\",\"time\":" + time
                + ",\"memory\":" + memory + ",\"cpus\":" + cpus + ",\"salt\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"}");
    }

    private static String kdfSalt(int bytes) {
        return json.replaceFirst("(\"kdf\":\\{[^}]*\"salt\":\")[^\"]*\"",
                "$1" + Base64.getEncoder().encodeToString(new byte[bytes]) + "\"");
    }

    private static String slotIterations(long iterations) {
        return json.replaceFirst("\"iterations\":1000", "\"iterations\":" + iterations);
    }

    @Test
    void argon2TimeCostFromOneToTheCap() throws Exception {
        assertThat(read(argon2(1, 1024, 1)).activeKeySlots().get(0).kdf().time()).isEqualTo(1);
        assertThat(read(argon2(LuksHeader.MAX_ARGON2_TIME, 1024, 1)).activeKeySlots().get(0).kdf().time())
                .isEqualTo(LuksHeader.MAX_ARGON2_TIME);
        assertThat(refusal(argon2(LuksHeader.MAX_ARGON2_TIME + 1, 1024, 1))).contains("time cost");
    }

    @Test
    void argon2MemoryFromEightKibPerLane() throws Exception {
        assertThat(read(argon2(1, 8, 1)).activeKeySlots().get(0).kdf().memoryKiB()).isEqualTo(8);
        assertThat(refusal(argon2(1, 7, 1))).contains("Argon2 memory 7 KiB");
        assertThat(read(argon2(1, 16, 2)).activeKeySlots().get(0).kdf().parallelism()).isEqualTo(2);
        assertThat(refusal(argon2(1, 15, 2))).contains("parallelism 2");
    }

    @Test
    void argon2ParallelismFromOneToTheCap() throws Exception {
        long lanes = LuksHeader.MAX_ARGON2_PARALLELISM;
        assertThat(read(argon2(1, 8 * lanes, lanes)).activeKeySlots().get(0).kdf().parallelism()).isEqualTo(lanes);
        assertThat(refusal(argon2(1, 8 * (lanes + 1), lanes + 1))).contains("parallelism " + (lanes + 1));
        assertThat(read(argon2(1, 8, 1)).activeKeySlots().get(0).kdf().parallelism()).isEqualTo(1);
    }

    @Test
    void pbkdf2IterationsFromOneToTheCap() throws Exception {
        assertThat(read(slotIterations(1)).activeKeySlots().get(0).kdf().iterations()).isEqualTo(1);
        assertThat(read(slotIterations(LuksHeader.MAX_PBKDF2_ITERATIONS)).activeKeySlots().get(0).kdf().iterations())
                .isEqualTo(LuksHeader.MAX_PBKDF2_ITERATIONS);
        assertThat(refusal(slotIterations(LuksHeader.MAX_PBKDF2_ITERATIONS + 1)))
                .contains((LuksHeader.MAX_PBKDF2_ITERATIONS + 1) + " PBKDF2 iterations");
    }

    @Test
    void saltsUpTo256Bytes() throws Exception {
        assertThat(read(kdfSalt(256)).activeKeySlots()).hasSize(1);
        assertThat(refusal(kdfSalt(257))).contains("salt is 257 bytes");
        assertThat(read(kdfSalt(1)).activeKeySlots()).hasSize(1);
    }

    @Test
    void keyMaterialAreaMayFillExactlyTheSpaceBetweenHeadersAndData() throws Exception {
        // 64-byte key x 4000 stripes = 256,000 bytes = 500 sectors exactly.
        assertThat(read(json.replace("\"size\":\"258048\"", "\"size\":\"256000\"")).activeKeySlots().get(0)
                .areaLength()).isEqualTo(256_000);
        assertThat(refusal(json.replace("\"size\":\"258048\"", "\"size\":\"255999\""))).contains("does not hold");
        long lastFit = 1_048_576 - 258_048;
        assertThat(read(json.replace("\"offset\":\"32768\"", "\"offset\":\"" + lastFit + "\"")).activeKeySlots()
                .get(0).areaOffset()).isEqualTo(lastFit);
        assertThat(refusal(json.replace("\"offset\":\"32768\"", "\"offset\":\"" + (lastFit + 1) + "\"")))
                .contains("area at " + (lastFit + 1));
        assertThat(refusal(json.replace("\"offset\":\"32768\"", "\"offset\":\"32767\""))).contains("area at 32767");
    }

    @Test
    void keyMaterialEndingExactlyWhereTheFileEndsUnlocksWithoutReadingPastIt() throws Exception {
        // 256,000 bytes of key material (500 whole sectors) at 32,768, and the data, so the file, right after.
        long end = 32_768 + 256_000;
        String edited = json.replace("\"size\":\"258048\"", "\"size\":\"256000\"")
                .replace("\"offset\":\"1048576\"", "\"offset\":\"" + end + "\"");
        Path file = LuksImages.write(dir, "material-at-the-end.luks",
                Arrays.copyOf(LuksImages.withJson(luks2, edited), (int) end));
        LuksHeader header = LuksHeader.read(file);
        assertThat(header.payloadOffset()).isEqualTo(end);

        assertThat(header.unlocks(LuksVolumes.PASSPHRASE.getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(header.unlocks(LuksVolumes.WRONG.getBytes(StandardCharsets.UTF_8))).isFalse();
    }

    @Test
    void eachRequiredPartOfAKeySlotMissingIsNamed() throws Exception {
        assertThat(refusal(json.replaceFirst("\"area\":\\{[^}]*\\},", ""))).contains("has no area");
        assertThat(refusal(json.replaceFirst("\"af\":\\{[^}]*\\},", ""))).contains("has no af");
        assertThat(refusal(json.replaceFirst(",\"kdf\":\\{[^}]*\\}", ""))).contains("has no kdf");
        assertThat(refusal(json.replace("\"offset\":\"32768\",", ""))).contains("area offset is missing");
        assertThat(refusal(json.replace("\"size\":\"258048\",", ""))).contains("area size is missing");
        assertThat(refusal(json.replace("\"keyslots\":[\"0\"]", "\"keyslots\":[\"7\"]"))).contains("has no digest");
        assertThat(refusal(json.replaceFirst("\"hash\":\"sha256\",\"iterations\":1000,(\"salt\":\"[^\"]*\",\"digest\")",
                "\"hash\":\"sha256\",$1"))).contains("has no iteration count");
        assertThat(refusal(json.replace("\"type\":\"pbkdf2\",\"keyslots\"", "\"type\":\"argon2i\",\"keyslots\"")))
                .contains("is not pbkdf2");
        assertThat(refusal(json.replace("\"type\":\"raw\"", "\"type\":\"datashift\""))).contains("is not raw");
    }

    @Test
    void keySlotIdsFromZeroTo31() throws Exception {
        String slot31 = json.replace("\"keyslots\":{\"0\":", "\"keyslots\":{\"31\":")
                .replace("\"keyslots\":[\"0\"]", "\"keyslots\":[\"31\"]");
        assertThat(read(slot31).activeKeySlots()).extracting(LuksHeader.KeySlot::index).containsExactly(31);
        assertThat(refusal(slot31.replace("\"31\"", "\"32\""))).isEqualTo("LUKS2 key slot id '32' is not a number from 0 to 31");
    }

    @Test
    void keySlotsOfOtherTypesAreSkippedNotTried() throws Exception {
        LuksHeader header = readFile("other-type.luks", json.replace("{\"0\":{\"type\":\"luks2\"",
                "{\"0\":{\"type\":\"reencrypt\""));

        assertThat(header.activeKeySlots()).isEmpty();
        assertThat(header.unlocks(LuksVolumes.PASSPHRASE.getBytes(StandardCharsets.UTF_8))).isFalse();
    }

    @Test
    void keySlotsAreListedInIndexOrderWhateverTheJsonOrder() throws Exception {
        String slot = json.substring(json.indexOf("\"0\":{\"type\":\"luks2\""), json.indexOf(",\"tokens\"") - 1);
        String twoSlots = json.replace("{\"keyslots\":{" + slot, "{\"keyslots\":{" + slot.replaceFirst("\"0\"", "\"5\"")
                + "," + slot).replace("\"keyslots\":[\"0\"]", "\"keyslots\":[\"0\",\"5\"]");

        assertThat(read(twoSlots).activeKeySlots()).extracting(LuksHeader.KeySlot::index).containsExactly(0, 5);
    }

    @Test
    void eachKeySlotIsCheckedAgainstTheDigestThatNamesIt() throws Exception {
        String digest = json.substring(json.indexOf("\"digests\":{") + "\"digests\":{".length(),
                json.indexOf(",\"config\"") - 1);
        String decoy = digest.replaceFirst("^\"0\"", "\"1\"").replace("\"keyslots\":[\"0\"]", "\"keyslots\":[\"9\"]")
                .replaceFirst("\"digest\":\"[^\"]*\"", "\"digest\":\"" + Base64.getEncoder().encodeToString(new byte[32])
                        + "\"");
        String decoyFirst = json.replace("\"digests\":{" + digest, "\"digests\":{" + decoy + "," + digest);
        assertThat(decoyFirst).contains("\"digests\":{\"1\":{\"type\":\"pbkdf2\",\"keyslots\":[\"9\"]");

        assertThat(readFile("decoy.luks", decoyFirst).unlocks(LuksVolumes.PASSPHRASE.getBytes(StandardCharsets.UTF_8))).isTrue();
    }

    @Test
    void bothHeaderCopiesMustFitTheFileToTheByte() throws Exception {
        // 16 KiB of metadata: the two copies end at 32,768 bytes.
        LuksHeaderException oneShort = catchThrowableOfType(LuksHeaderException.class,
                () -> LuksImages.readBytes(Arrays.copyOf(luks2, 32767)));
        assertThat(oneShort.reason()).isEqualTo("LUKS2 headers of 2 x 16384 bytes do not fit the file of 32767 bytes");
        assertThat(oneShort.offset()).hasValue(8);
        LuksHeaderException exact = catchThrowableOfType(LuksHeaderException.class,
                () -> LuksImages.readBytes(Arrays.copyOf(luks2, 32768)));
        assertThat(exact.reason()).as("both copies fit; the key slot area does not").doesNotContain("do not fit");
    }

    @Test
    void jsonMetadataWithoutItsTerminatingNulIsRefused() throws Exception {
        String filling = "{" + " ".repeat(16384 - 4096 - 1);
        assertThat(refusal(filling)).isEqualTo("LUKS2 JSON metadata is not terminated within 12288 bytes");
        assertThat(refusal(filling.substring(1))).as("one NUL left at the end").doesNotContain("not terminated");
    }

    @Test
    void theHeaderHashIsTheDigestOfTheDataSegment() throws Exception {
        String digest = json.substring(json.indexOf("\"digests\":{") + "\"digests\":{".length(),
                json.indexOf(",\"config\"") - 1);
        String other = digest.replaceFirst("^\"0\"", "\"1\"").replace("\"segments\":[\"0\"]", "\"segments\":[\"1\"]")
                .replace("\"keyslots\":[\"0\"]", "\"keyslots\":[\"9\"]").replace("\"hash\":\"sha256\"", "\"hash\":\"sha512\"");
        LuksHeader header = read(json.replace("\"digests\":{" + digest, "\"digests\":{" + other + "," + digest));
        assertThat(header.hash()).isEqualTo("sha256");
        assertThat(read(json.replace("\"segments\":[\"0\"]", "\"segments\":[\"1\"]")).hash())
                .as("no digest for the data segment").isEmpty();
    }

    private static String digestOf(int bytes) {
        return json.replaceFirst("\"digest\":\"[^\"]*\"", "\"digest\":\"" + Base64.getEncoder().encodeToString(new byte[bytes])
                + "\"");
    }

    @Test
    void digestsUpTo64Bytes() throws Exception {
        assertThat(read(digestOf(64)).activeKeySlots()).hasSize(1);
        assertThat(refusal(digestOf(65))).isEqualTo("LUKS2 digest 0 is 65 bytes long");
    }

    @Test
    void aPbkdf2KdfWithoutIterationsIsNamed() throws Exception {
        assertThat(refusal(json.replaceFirst("(\"kdf\":\\{\"type\":\"pbkdf2\",\"hash\":\"sha256\",)\"iterations\":1000,", "$1")))
                .isEqualTo("LUKS2 key slot 0 kdf has no iterations");
    }

    @Test
    void aKeyOfOneByteIsReadAndThenRefusedByTheCipherNotTried() throws Exception {
        String oneByteArea = json.replace("\"encryption\":\"aes-xts-plain64\",\"key_size\":64}",
                "\"encryption\":\"aes-xts-plain64\",\"key_size\":1}");
        assertThat(oneByteArea).isNotEqualTo(json);
        LuksHeader header = readFile("one-byte-key.luks", oneByteArea);
        UnsupportedLuksException error = catchThrowableOfType(UnsupportedLuksException.class,
                () -> header.unlocks(LuksVolumes.PASSPHRASE.getBytes(StandardCharsets.UTF_8)));
        assertThat(error.reason()).isEqualTo("key slot 0 uses a 1-byte key for aes-xts-plain64, which that cipher does not take");
        assertThat(error.file()).isEqualTo(header.file()).isEqualTo(dir.resolve("one-byte-key.luks"));
        assertThat(refusal(json.replace("\"key_size\":64}", "\"key_size\":0}"))).contains("area key_size 0");
    }

    private static String unsupported(String name, String edited) throws Exception {
        LuksHeader header = readFile(name, edited);
        UnsupportedLuksException error = catchThrowableOfType(UnsupportedLuksException.class,
                () -> header.unlocks("x".getBytes(StandardCharsets.UTF_8)));
        assertThat(error).as(edited).isNotNull();
        return error.reason();
    }

    @Test
    void aSlotThatCannotBeTriedIsNamedWithWhatItNeeds() throws Exception {
        assertThat(unsupported("kdf-hash.luks", json.replaceFirst("(\"kdf\":\\{\"type\":\"pbkdf2\",\"hash\":\")sha256",
                "$1whirlpool"))).contains("key slot 0", "PBKDF2 hash 'whirlpool'");
        assertThat(unsupported("af-hash.luks", json.replace("\"stripes\":4000,\"hash\":\"sha256\"",
                "\"stripes\":4000,\"hash\":\"whirlpool\""))).contains("anti-forensic hash 'whirlpool'");
        assertThat(unsupported("digest-hash.luks", json.replace("\"segments\":[\"0\"],\"hash\":\"sha256\"",
                "\"segments\":[\"0\"],\"hash\":\"whirlpool\""))).contains("digest hash 'whirlpool'");
    }
}
