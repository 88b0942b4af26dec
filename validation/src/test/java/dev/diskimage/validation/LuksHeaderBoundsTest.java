package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LuksInspector at the edges of its limits: LUKS2 header sizes at both ends of the allowed range,
 * the checksum's coverage, JSON areas longer than one read, segment numbers and offsets at their
 * bounds, and LUKS1 key material and names at theirs. One qemu-img LUKS1 volume for all tests.
 */
class LuksHeaderBoundsTest {
    private static final int SECTOR = 512;
    private final LuksInspector inspector = new LuksInspector();

    @TempDir
    static Path dir;
    private static byte[] luks1;

    @BeforeAll
    static void createLuks1() throws Exception {
        luks1 = Files.readAllBytes(InspectorHarness.qemuImg(dir, "v1.luks", "create", "-f", "luks", "--object",
                "secret,id=sec0,data=pw", "-o", "key-secret=sec0,iter-time=10", "{}", "10M"));
    }

    private Inspection inspect(byte[] image) {
        return InspectorHarness.inspect(inspector, image);
    }

    private static String segments(long offset, String size) {
        return "{\"0\":{\"type\":\"crypt\",\"offset\":\"" + offset + "\",\"size\":\"" + size
                + "\",\"iv_tweak\":\"0\",\"encryption\":\"aes-xts-plain64\",\"sector_size\":512}}";
    }

    private static String json(long hdrSize, String segments) {
        return "{\"keyslots\":{},\"tokens\":{},\"segments\":" + segments + ",\"digests\":{},"
                + "\"config\":{\"json_size\":\"" + (hdrSize - 4096) + "\",\"keyslots_size\":\"0\"}}";
    }

    /** A LUKS2 volume: both header copies of {@code hdrSize} bytes, then data up to {@code fileSize}. */
    private static byte[] luks2(int hdrSize, String checksumAlg, String json, int fileSize) throws Exception {
        byte[] image = new byte[fileSize];
        writeHeader(image, 0, hdrSize, "LUKS", checksumAlg, json);
        writeHeader(image, hdrSize, hdrSize, "SKUL", checksumAlg, json);
        return image;
    }

    private static void writeHeader(byte[] image, int at, int hdrSize, String magic, String checksumAlg,
            String json) throws Exception {
        ByteBuffer header = ByteBuffer.wrap(image, at, hdrSize).slice();
        header.put(0, magic.getBytes(StandardCharsets.US_ASCII)).put(4, (byte) 0xba).put(5, (byte) 0xbe)
                .putShort(6, (short) 2).putLong(8, hdrSize).putLong(16, 1)
                .put(72, checksumAlg.getBytes(StandardCharsets.US_ASCII)).putLong(256, at);
        header.put(4096, json.getBytes(StandardCharsets.UTF_8));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(image, at, hdrSize);
        System.arraycopy(sha.digest(), 0, image, at + 448, 32);
    }

    private static void assertMalformed(Inspection result, String message) {
        assertThat(result.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(result.findings()).singleElement().satisfies(f -> {
            assertThat(f.code()).isEqualTo(FindingCode.LUKS_MALFORMED);
            assertThat(f.message()).contains(message);
        });
    }

    private static void assertMatch(Inspection result, long virtualSize) {
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.findings()).isEmpty();
        assertThat(result.virtualSize()).hasValue(virtualSize);
    }

    @Test
    void acceptsTheLargestLuks2HeaderWithoutVerifyingItsChecksum() throws Exception {
        int hdr = 4 << 20;
        Inspection result = inspect(luks2(hdr, "sha256", json(hdr, segments(2L * hdr, "dynamic")), 2 * hdr + 4096));
        assertMatch(result, 4096);
        assertThat(result.details()).containsEntry("hdr_size", (long) hdr).doesNotContainKey("checksum_verified");
    }

    @Test
    void verifiesTheChecksumOfA64KiBHeader() throws Exception {
        int hdr = 64 << 10;
        byte[] image = luks2(hdr, "sha256", json(hdr, segments(2L * hdr, "dynamic")), 2 * hdr + 4096);
        Inspection result = inspect(image);
        assertMatch(result, 4096);
        assertThat(result.details()).containsEntry("checksum_verified", true);
        image[hdr - 1] ^= 1;
        assertMalformed(inspect(image), "checksum does not match");
    }

    @Test
    void leavesChecksumsOfOtherAlgorithmsUnverified() throws Exception {
        int hdr = 16 << 10;
        Inspection result = inspect(luks2(hdr, "sha512", json(hdr, segments(2L * hdr, "dynamic")), 2 * hdr + 4096));
        assertMatch(result, 4096);
        assertThat(result.details()).containsEntry("checksum", "sha512").doesNotContainKey("checksum_verified");
    }

    @Test
    void rejectsStrayBytesAfterTheSha256DigestInTheChecksumField() throws Exception {
        // A SHA-256 digest fills 32 of the field's 64 bytes; the rest must be zero.
        int hdr = 16 << 10;
        byte[] image = luks2(hdr, "sha256", json(hdr, segments(2L * hdr, "dynamic")), 2 * hdr + 4096);
        image[448 + 40] = 1;
        assertMalformed(inspect(image), "checksum does not match");
    }

    @Test
    void readsJsonMetadataLongerThanOneRead() throws Exception {
        int hdr = 16 << 10;
        String padded = " ".repeat(6000) + json(hdr, segments(2L * hdr, "dynamic"));
        assertMatch(inspect(luks2(hdr, "sha256", padded, 2 * hdr + 4096)), 4096);
        // Metadata ending exactly where the first 4 KiB read ends.
        String json = json(hdr, segments(2L * hdr, "dynamic"));
        String exact = " ".repeat(4096 - json.length()) + json;
        assertMatch(inspect(luks2(hdr, "sha256", exact, 2 * hdr + 4096)), 4096);
    }

    @Test
    void rejectsJsonAreaWithoutTerminatorWithinTheHeader() throws Exception {
        int hdr = 16 << 10;
        assertMalformed(inspect(luks2(hdr, "sha256", "x".repeat(hdr - 4096), 2 * hdr + 4096)),
                "not terminated within 12288 bytes");
    }

    @Test
    void usesTheSegmentWithTheLowestNumberWhateverTheOrder() throws Exception {
        int hdr = 16 << 10;
        String two = "{\"1\":{\"type\":\"crypt\",\"offset\":\"" + (2 * hdr + 4096) + "\",\"size\":\"dynamic\"},"
                + segments(2L * hdr, "4096").substring(1);
        Inspection result = inspect(luks2(hdr, "sha256", json(hdr, two), 2 * hdr + 8192));
        assertMatch(result, 4096);
        assertThat(result.details()).containsEntry("payload_offset", 2L * hdr);
    }

    @Test
    void rejectsASegmentThatIsNotAnObject() throws Exception {
        int hdr = 16 << 10;
        assertMalformed(inspect(luks2(hdr, "sha256", json(hdr, "{\"0\":5}"), 2 * hdr + 4096)), "no data segment");
    }

    @Test
    void acceptsDataRightAfterBothHeadersAndAnEmptyPayloadAtTheEnd() throws Exception {
        int hdr = 16 << 10;
        Inspection empty = inspect(luks2(hdr, "sha256", json(hdr, segments(2L * hdr, "dynamic")), 2 * hdr));
        assertMatch(empty, 0);
        assertMalformed(inspect(luks2(hdr, "sha256", json(hdr, segments(2L * hdr - 512, "dynamic")), 2 * hdr)),
                "overlaps the headers or lies beyond the image");
    }

    @Test
    void acceptsEighteenDigitNumbersAndRefusesNineteen() throws Exception {
        int hdr = 16 << 10;
        String eighteen = String.format("%018d", 4096);
        assertMatch(inspect(luks2(hdr, "sha256", json(hdr, segments(2L * hdr, eighteen)), 2 * hdr + 8192)), 4096);
        String nineteen = String.format("%019d", 4096);
        assertMalformed(inspect(luks2(hdr, "sha256", json(hdr, segments(2L * hdr, nineteen)), 2 * hdr + 8192)),
                "is not a decimal number");
    }

    @Test
    void refusesCharactersJustOutsideTheDigits() throws Exception {
        int hdr = 16 << 10;
        for (String size : new String[] {"40/6", "40:6"}) {
            assertMalformed(inspect(luks2(hdr, "sha256", json(hdr, segments(2L * hdr, size)), 2 * hdr + 8192)),
                    "is not a decimal number");
        }
    }

    private static byte[] patchU32(byte[] image, int offset, long value) {
        byte[] copy = image.clone();
        ByteBuffer.wrap(copy).putInt(offset, (int) value);
        return copy;
    }

    @Test
    void acceptsLuks1KeyMaterialEndingExactlyAtThePayload() {
        // aes-xts-plain64 with a 64-byte key: 64 * 4000 stripes = 500 sectors of key material.
        long payloadSectors = Integer.toUnsignedLong(ByteBuffer.wrap(luks1).getInt(104));
        long lastFit = payloadSectors - 256000 / SECTOR;
        assertThat(inspect(patchU32(luks1, 208 + 40, lastFit)).level()).isEqualTo(MatchLevel.MATCH);
        assertMalformed(inspect(patchU32(luks1, 208 + 40, lastFit + 1)), "overlaps the header or the payload");
    }

    @Test
    void acceptsLuks1PayloadAtTheVeryEndOfTheFile() {
        int payload = ByteBuffer.wrap(luks1).getInt(104) * SECTOR;
        assertMatch(inspect(Arrays.copyOf(luks1, payload)), 0);
    }

    @Test
    void rejectsLuks1PayloadInsideTheHeader() {
        assertMalformed(inspect(patchU32(luks1, 104, 1)), "overlaps the header");
    }

    @Test
    void acceptsLuks1PayloadAndKeyMaterialRightAfterTheTwoHeaderSectors() {
        // The 592-byte header fills sectors 0 and 1: sector 2 is the first free one.
        byte[] noSlots = luks1.clone();
        for (int slot = 0; slot < 8; slot++) {
            ByteBuffer.wrap(noSlots).putInt(208 + 48 * slot, 0xdead);
        }
        Inspection payloadAtSector2 = inspect(patchU32(noSlots, 104, 2));
        assertThat(payloadAtSector2.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(payloadAtSector2.details()).containsEntry("payload_offset", 1024L)
                .containsEntry("active_key_slots", 0L);
        assertThat(inspect(patchU32(luks1, 208 + 40, 2)).level()).isEqualTo(MatchLevel.MATCH);
        assertMalformed(inspect(patchU32(luks1, 208 + 40, 1)), "overlaps the header or the payload");
    }

    @Test
    void acceptsPrintableNamesFromSpaceToTildeUpTo31Characters() {
        byte[] image = luks1.clone();
        byte[] hash = "sha256 ~".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(hash, 0, image, 72, hash.length);
        Arrays.fill(image, 8, 8 + 31, (byte) 'a');
        Inspection result = inspect(image);
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.details()).containsEntry("hash", "sha256 ~")
                .containsEntry("cipher", "a".repeat(31) + "-xts-plain64");
    }

    @Test
    void rejectsControlAndDeleteCharactersInNames() {
        for (byte c : new byte[] {0x1f, 0x7f}) {
            byte[] image = luks1.clone();
            image[72 + 3] = c;
            assertMalformed(inspect(image), "LUKS1 hash spec");
        }
    }
}
