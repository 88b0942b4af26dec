package dev.diskimage.core.luks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class Luks2StructuresTest {
    private static final int HDR = 16384;
    private static final String JSON = "{\"keyslots\":{\"0\":{\"type\":\"luks2\",\"key_size\":64,\"af\":{\"type\":\"luks1\","
            + "\"stripes\":4000,\"hash\":\"sha256\"},\"area\":{\"type\":\"raw\",\"offset\":\"32768\",\"size\":\"258048\","
            + "\"encryption\":\"aes-xts-plain64\",\"key_size\":64},\"kdf\":{\"type\":\"argon2id\",\"time\":4,"
            + "\"memory\":8192,\"cpus\":1,\"salt\":\"c2FsdA==\"}},\"1\":{\"type\":\"luks2\"}},\"tokens\":{},"
            + "\"segments\":{\"0\":{\"type\":\"crypt\",\"offset\":\"16777216\",\"size\":\"dynamic\",\"iv_tweak\":\"0\","
            + "\"encryption\":\"aes-xts-plain64\",\"sector_size\":4096}},\"digests\":{\"0\":{\"type\":\"pbkdf2\","
            + "\"keyslots\":[\"0\"],\"segments\":[\"0\"],\"hash\":\"sha256\",\"iterations\":1000,\"salt\":\"c2FsdA==\","
            + "\"digest\":\"ZGlnZXN0\"}},\"config\":{\"json_size\":\"12288\",\"keyslots_size\":\"16744448\"}}";
    private static final long FILE = 20L << 20;

    static byte[] binary(String checksumAlg, long hdrSize, long hdrOffset, boolean secondary) throws Exception {
        ByteBuffer header = ByteBuffer.allocate((int) Math.max(hdrSize, 4096));
        header.put(secondary ? new byte[] {'S', 'K', 'U', 'L', (byte) 0xba, (byte) 0xbe}
                : new byte[] {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe}).putShort((short) 2)
                .putLong(8, hdrSize).putLong(16, 3).put(24, "my label".getBytes(StandardCharsets.US_ASCII))
                .put(72, checksumAlg.getBytes(StandardCharsets.US_ASCII))
                .put(168, "7c1cdee1-a152-4e15-b8a1-d9ec3f28d71c".getBytes(StandardCharsets.US_ASCII))
                .putLong(256, hdrOffset);
        return header.array();
    }

    private static Luks2Metadata metadata(String json) {
        byte[] text = json.getBytes(StandardCharsets.UTF_8);
        return Luks2Metadata.parse(text, text.length, HDR, FILE);
    }

    private static LuksFormatException refused(String json) {
        return catchThrowableOfType(LuksFormatException.class, () -> metadata(json));
    }

    @Test
    void parsesTheBinaryHeader() throws Exception {
        Luks2BinaryHeader header = Luks2BinaryHeader.parsePrimary(ByteBuffer.wrap(binary("sha256", HDR, 0, false)));
        assertThat(header).isEqualTo(new Luks2BinaryHeader(HDR, 3, "my label", "sha256",
                "7c1cdee1-a152-4e15-b8a1-d9ec3f28d71c", "", 0));
        assertThat(header.matchesSecondary(ByteBuffer.wrap(binary("sha256", HDR, HDR, true)))).isTrue();
        assertThat(header.matchesSecondary(ByteBuffer.wrap(binary("sha256", HDR, 0, true)))).isFalse();
        assertThat(header.matchesSecondary(ByteBuffer.wrap(binary("sha256", HDR, HDR, false)))).isFalse();
        assertThat(header.matchesSecondary(ByteBuffer.wrap(binary("sha256", 2 * HDR, HDR, true)))).isFalse();
    }

    @Test
    void refusesBadHeaderSizesOffsetsAndChecksumNames() throws Exception {
        for (long size : new long[] {0, 8192, 3 * HDR, 8L << 20, -1, Long.MIN_VALUE}) {
            LuksFormatException error = catchThrowableOfType(LuksFormatException.class,
                    () -> Luks2BinaryHeader.parsePrimary(ByteBuffer.wrap(binary("sha256", size, 0, false))));
            assertThat(error.offset()).as("%d", size).isEqualTo(8);
        }
        assertThat(Luks2BinaryHeader.parsePrimary(ByteBuffer.wrap(binary("sha256", 4L << 20, 0, false))).hdrSize())
                .isEqualTo(4L << 20);
        assertThat(catchThrowableOfType(LuksFormatException.class,
                () -> Luks2BinaryHeader.parsePrimary(ByteBuffer.wrap(binary("sha256", HDR, HDR, false)))).offset())
                .isEqualTo(256);
        assertThat(catchThrowableOfType(LuksFormatException.class,
                () -> Luks2BinaryHeader.parsePrimary(ByteBuffer.wrap(binary("", HDR, 0, false)))).offset())
                .isEqualTo(72);
    }

    @Test
    void verifiesChecksumsOverTheWholeHeaderWithTheFieldZeroed() throws Exception {
        for (String[] alg : new String[][] {{"sha256", "SHA-256"}, {"sha512", "SHA-512"}, {"sha1", "SHA-1"}}) {
            byte[] whole = binary(alg[0], HDR, 0, false);
            whole[HDR - 1] = 7;
            byte[] digest = MessageDigest.getInstance(alg[1]).digest(whole);
            System.arraycopy(digest, 0, whole, Luks2BinaryHeader.OFF_CSUM, digest.length);
            Luks2BinaryHeader header = Luks2BinaryHeader.parsePrimary(ByteBuffer.wrap(whole));
            assertThat(header.checksumSupported()).isTrue();
            header.verifyChecksum(ByteBuffer.wrap(whole));
            whole[HDR - 1] = 8;
            assertThat(catchThrowableOfType(LuksFormatException.class, () -> header.verifyChecksum(ByteBuffer.wrap(whole)))
                    .offset()).isEqualTo(Luks2BinaryHeader.OFF_CSUM);
        }
        Luks2BinaryHeader other = Luks2BinaryHeader.parsePrimary(ByteBuffer.wrap(binary("blake2b", HDR, 0, false)));
        assertThat(other.checksumSupported()).isFalse();
        assertThatThrownBy(() -> other.verifyChecksum(ByteBuffer.allocate(HDR))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void parsesKeyslotsDigestsAndTheDataSegment() {
        Luks2Metadata metadata = metadata(JSON);
        assertThat(metadata.dataSegment()).isEqualTo(new Luks2Metadata.Segment(0, "crypt", 16777216,
                OptionalLong.empty(), "aes-xts-plain64", OptionalLong.of(4096)));
        assertThat(metadata.jsonSize()).hasValue(12288);
        assertThat(metadata.keyslotsSize()).hasValue(16744448);
        assertThat(metadata.keyslots()).hasSize(2);
        Luks2Metadata.Keyslot slot = metadata.keyslots().get(0);
        assertThat(slot.keySize()).hasValue(64);
        assertThat(slot.area()).hasValue(new Luks2Metadata.Area("raw", OptionalLong.of(32768), OptionalLong.of(258048),
                "aes-xts-plain64", OptionalLong.of(64)));
        assertThat(slot.af()).hasValue(new Luks2Metadata.AntiForensic("luks1", OptionalLong.of(4000), "sha256"));
        assertThat(slot.kdf()).hasValue(new Luks2Metadata.Kdf("argon2id", "", OptionalLong.empty(), OptionalLong.of(4),
                OptionalLong.of(8192), OptionalLong.of(1), "c2FsdA=="));
        // Lenient: a slot without area, af or kdf is kept, with those empty, for its user to judge.
        assertThat(metadata.keyslots().get(1).area()).isEmpty();
        assertThat(metadata.keyslots().get(1).kdf()).isEmpty();
        assertThat(metadata.digests()).containsExactly(new Luks2Metadata.Digest("0", "pbkdf2", List.of("0"),
                List.of("0"), "sha256", OptionalLong.of(1000), "c2FsdA==", "ZGlnZXN0"));
    }

    @Test
    void refusesMetadataThatIsNotOneStrictObjectWithItsSections() {
        assertThat(refused("{\"keyslots\":").reason()).contains("cannot be parsed");
        assertThat(refused("[1]").reason()).contains("is not an object");
        assertThat(refused(JSON.replace("\"config\"", "\"konfig\"")).reason()).contains("lacks the 'config' object");
        assertThat(refused(JSON.replace("\"tokens\":{}", "\"tokens\":{},\"tokens\":{}")).reason()).contains("Duplicate");
        assertThat(refused("[".repeat(300)).reason()).contains("cannot be parsed");
        assertThat(refused("[1]").offset()).isEqualTo(4096);
    }

    @Test
    void refusesDataSegmentsOutsideTheirPlace() {
        assertThat(refused(JSON.replace("\"16777216\"", "\"16384\"")).reason()).contains("overlaps the headers");
        assertThat(refused(JSON.replace("\"16777216\"", "\"999999999999\"")).reason()).contains("beyond the image");
        assertThat(refused(JSON.replace("\"16777216\"", "\"1e9\"")).reason()).contains("is not a decimal number");
        assertThat(refused(JSON.replace("\"segments\":{\"0\"", "\"segments\":{\"x\"")).reason()).contains("segment id 'x'");
        assertThat(refused(JSON.replace("\"segments\":{\"0\":{", "\"segments\":{\"0\":5,\"9\":{")).reason())
                .contains("no data segment");
        LuksFormatException pastTheEnd = refused(JSON.replace("\"dynamic\"", "\"" + FILE + "\""));
        assertThat(pastTheEnd.kind()).isEqualTo(LuksFormatException.Kind.TRUNCATED);
        assertThat(pastTheEnd.offset()).isEqualTo(16777216);
        assertThat(metadata(JSON.replace("\"dynamic\"", "\"" + (FILE - 16777216) + "\"")).dataSegment().size())
                .hasValue(FILE - 16777216);
    }

    @Test
    void comparesTheChecksumOverExactlyItsSixtyFourBytes() throws Exception {
        byte[] whole = binary("sha256", HDR, 0, false);
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(whole);
        System.arraycopy(digest, 0, whole, Luks2BinaryHeader.OFF_CSUM, digest.length);
        // The byte after the field is header data, covered by the digest: set it and re-sign.
        whole[Luks2BinaryHeader.OFF_CSUM + 64] = 1;
        java.util.Arrays.fill(whole, Luks2BinaryHeader.OFF_CSUM, Luks2BinaryHeader.OFF_CSUM + 64, (byte) 0);
        digest = MessageDigest.getInstance("SHA-256").digest(whole);
        System.arraycopy(digest, 0, whole, Luks2BinaryHeader.OFF_CSUM, digest.length);
        Luks2BinaryHeader header = Luks2BinaryHeader.parsePrimary(ByteBuffer.wrap(whole));
        header.verifyChecksum(ByteBuffer.wrap(whole));
        // The field's last byte, past the 32-byte digest, must be zero padding.
        whole[Luks2BinaryHeader.OFF_CSUM + 63] = 1;
        LuksFormatException error = catchThrowableOfType(LuksFormatException.class,
                () -> header.verifyChecksum(ByteBuffer.wrap(whole)));
        assertThat(error.offset()).isEqualTo(Luks2BinaryHeader.OFF_CSUM);
        assertThat(error.reason()).isEqualTo("LUKS2 header checksum does not match");
    }

    @Test
    void readsALabelThatFillsItsWholeField() throws Exception {
        byte[] binary = binary("sha256", HDR, 0, false);
        java.util.Arrays.fill(binary, 24, 72, (byte) 'L');
        // The checksum algorithm "sha256" follows at 72 and is not part of the label.
        assertThat(Luks2BinaryHeader.parsePrimary(ByteBuffer.wrap(binary)).label()).isEqualTo("L".repeat(48));
    }

    @Test
    void dataMayStartRightAfterTheSecondHeaderOrExactlyAtTheFileEnd() {
        assertThat(metadata(JSON.replace("\"16777216\"", "\"" + 2 * HDR + "\"")).dataSegment().offset())
                .isEqualTo(2 * HDR);
        LuksFormatException overlap = refused(JSON.replace("\"16777216\"", "\"" + (2 * HDR - 1) + "\""));
        assertThat(overlap.kind()).isEqualTo(LuksFormatException.Kind.MALFORMED);
        assertThat(overlap.offset()).isEqualTo(4096);
        assertThat(overlap.reason()).isEqualTo("LUKS2 segment offset " + (2 * HDR - 1)
                + " overlaps the headers or lies beyond the image of " + FILE + " bytes");
        Luks2Metadata.Segment empty = metadata(JSON.replace("\"16777216\"", "\"" + FILE + "\"")).dataSegment();
        assertThat(empty.offset()).isEqualTo(FILE);
        assertThat(empty.size()).isEmpty();
        assertThat(refused(JSON.replace("\"16777216\"", "\"" + (FILE + 1) + "\"")).reason())
                .isEqualTo("LUKS2 segment offset " + (FILE + 1) + " overlaps the headers or lies beyond the image of "
                        + FILE + " bytes");
    }

    @Test
    void refusesTwoSegmentsWithTheSameNumber() {
        // Distinct JSON keys, one segment number: which one is the data segment would be a guess.
        String twoZeros = JSON.replace("\"segments\":{\"0\":{", "\"segments\":{\"00\":{\"type\":\"crypt\","
                + "\"offset\":\"" + 2 * HDR + "\",\"size\":\"dynamic\"},\"0\":{");
        LuksFormatException error = refused(twoZeros);
        assertThat(error.kind()).isEqualTo(LuksFormatException.Kind.MALFORMED);
        assertThat(error.offset()).isEqualTo(4096);
        assertThat(error.reason()).isEqualTo("LUKS2 segment id '0' repeats segment 0");
    }

    @Test
    void readsNumbersOfUpToEighteenDigits() {
        String eighteen = "9".repeat(18);
        LuksFormatException huge = refused(JSON.replace("\"dynamic\"", "\"" + eighteen + "\""));
        assertThat(huge.kind()).isEqualTo(LuksFormatException.Kind.TRUNCATED);
        assertThat(huge.reason()).contains("with length " + eighteen);
        LuksFormatException nineteen = refused(JSON.replace("\"dynamic\"", "\"" + "9".repeat(19) + "\""));
        assertThat(nineteen.kind()).isEqualTo(LuksFormatException.Kind.MALFORMED);
        assertThat(nineteen.reason()).isEqualTo("LUKS2 segment size '" + "9".repeat(19) + "' is not a decimal number");
    }

    @Test
    void quotesARefusedNumberUpToTwentyFourCharacters() {
        assertThat(refused(JSON.replace("\"16777216\"", "\"" + "x".repeat(24) + "\"")).reason())
                .isEqualTo("LUKS2 segment offset '" + "x".repeat(24) + "' is not a decimal number");
        assertThat(refused(JSON.replace("\"16777216\"", "\"" + "x".repeat(25) + "\"")).reason())
                .isEqualTo("LUKS2 segment offset '" + "x".repeat(24) + "...' is not a decimal number");
    }

    @Test
    void keepsZeroButNotNegativeIntegers() {
        assertThat(metadata(JSON.replace("\"sector_size\":4096", "\"sector_size\":0")).dataSegment().sectorSize())
                .hasValue(0);
        assertThat(metadata(JSON.replace("\"sector_size\":4096", "\"sector_size\":-1")).dataSegment().sectorSize())
                .isEmpty();
    }
}
