package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LuksInspector over LUKS1 volumes made by the real qemu-img and over hand-written LUKS2 headers
 * (binary header, JSON area, checksum, second copy) built as the LUKS2 specification lays them out.
 */
class LuksInspectorTest {
    private static final long MIB = 1L << 20;
    private static final int HDR = 16384;
    private static final int DATA_OFFSET = 4 * HDR;
    private static final String SEGMENT_DYNAMIC = "{\"0\":{\"type\":\"crypt\",\"offset\":\"" + DATA_OFFSET
            + "\",\"size\":\"dynamic\",\"iv_tweak\":\"0\",\"encryption\":\"aes-xts-plain64\",\"sector_size\":512}}";
    private final LuksInspector inspector = new LuksInspector();

    @TempDir
    static Path dir;

    /** One qemu-img LUKS1 volume for all tests: creating one runs a PBKDF benchmark of ~1 s. */
    private static Path luks1;

    @BeforeAll
    static void createLuks1() throws Exception {
        luks1 = InspectorHarness.qemuImg(dir, "v1.luks", "create", "-f", "luks", "--object",
                "secret,id=sec0,data=pw", "-o", "key-secret=sec0,iter-time=10", "{}", "10M");
    }

    private static Path luks1() {
        return luks1;
    }

    private static String json(String segments) {
        return "{\"keyslots\":{\"0\":{\"type\":\"luks2\",\"key_size\":64,\"area\":{\"type\":\"raw\",\"offset\":\""
                + 2 * HDR + "\",\"size\":\"" + 2 * HDR + "\",\"encryption\":\"aes-xts-plain64\",\"key_size\":64},"
                + "\"af\":{\"type\":\"luks1\",\"stripes\":4000,\"hash\":\"sha256\"}}},\"tokens\":{},"
                + "\"segments\":" + segments + ",\"digests\":{\"0\":{\"type\":\"pbkdf2\",\"keyslots\":[\"0\"],"
                + "\"segments\":[\"0\"],\"hash\":\"sha256\",\"iterations\":1000}},"
                + "\"config\":{\"json_size\":\"12288\",\"keyslots_size\":\"" + 2 * HDR + "\"}}";
    }

    /** Builds a LUKS2 volume: primary header + JSON, secondary copy, key slot area, data. */
    static byte[] luks2(String json, int fileSize) throws Exception {
        byte[] image = new byte[fileSize];
        writeHeader(image, 0, new byte[] {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe}, json);
        writeHeader(image, HDR, new byte[] {'S', 'K', 'U', 'L', (byte) 0xba, (byte) 0xbe}, json);
        return image;
    }

    private static void writeHeader(byte[] image, int at, byte[] magic, String json) throws Exception {
        ByteBuffer header = ByteBuffer.wrap(image, at, HDR).slice();
        header.put(0, magic).putShort(6, (short) 2).putLong(8, HDR).putLong(16, 1)
                .put(72, "sha256".getBytes(StandardCharsets.US_ASCII))
                .put(168, "9e5f1c2a-1111-4222-8333-123456789abc".getBytes(StandardCharsets.US_ASCII))
                .putLong(256, at);
        header.put(4096, json.getBytes(StandardCharsets.UTF_8));
        writeChecksum(image, at);
    }

    private static void writeChecksum(byte[] image, int at) throws Exception {
        java.util.Arrays.fill(image, at + 448, at + 448 + 64, (byte) 0);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(image, at, HDR);
        System.arraycopy(sha.digest(), 0, image, at + 448, 32);
    }

    private void assertRejected(byte[] image, FindingCode code) {
        Inspection result = InspectorHarness.inspect(inspector, image);
        assertThat(result.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(result.findings()).anyMatch(f -> f.rejects() && f.code() == code);
    }

    private static byte[] patchU32(byte[] image, int offset, long value) {
        byte[] copy = image.clone();
        ByteBuffer.wrap(copy).putInt(offset, (int) value);
        return copy;
    }

    @Test
    void acceptsLuks1FromQemuImg() throws Exception {
        Path file = luks1();
        Inspection result = InspectorHarness.inspect(inspector, file);
        assertThat(InspectorHarness.inspectWithShortReads(inspector, file)).isEqualTo(result);
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.findings()).isEmpty();
        assertThat(result.variant()).hasValue("luks1");
        assertThat(result.virtualSize()).hasValue(10 * MIB);
        assertThat(result.details()).containsEntry("cipher", "aes-xts-plain64").containsEntry("hash", "sha256")
                .containsEntry("active_key_slots", 1L);
    }

    @Test
    void acceptsLuks2WithDynamicSegment() throws Exception {
        byte[] image = luks2(json(SEGMENT_DYNAMIC), DATA_OFFSET + 8192);
        Inspection result = InspectorHarness.inspect(inspector, image);
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.findings()).isEmpty();
        assertThat(result.variant()).hasValue("luks2");
        assertThat(result.virtualSize()).hasValue(8192L);
        assertThat(result.details()).containsEntry("checksum_verified", true)
                .containsEntry("payload_offset", (long) DATA_OFFSET);
    }

    @Test
    void acceptsLuks2WithFixedSegmentSize() throws Exception {
        String segments = SEGMENT_DYNAMIC.replace("\"dynamic\"", "\"4096\"");
        Inspection result = InspectorHarness.inspect(inspector, luks2(json(segments), DATA_OFFSET + 8192));
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.virtualSize()).hasValue(4096L);
    }

    @Test
    void rejectsUnsupportedVersion() throws Exception {
        byte[] image = luks2(json(SEGMENT_DYNAMIC), DATA_OFFSET + 8192);
        ByteBuffer.wrap(image).putShort(6, (short) 3);
        assertRejected(image, FindingCode.LUKS_MALFORMED);
    }

    @Test
    void rejectsLuks1WithBadKeyLengthOrSlots() throws Exception {
        byte[] image = Files.readAllBytes(luks1());
        assertRejected(patchU32(image, 108, 7), FindingCode.LUKS_MALFORMED);
        assertRejected(patchU32(image, 108, 0xffffffffL), FindingCode.LUKS_MALFORMED);
        // Key slot 1 in neither the enabled nor the disabled state.
        assertRejected(patchU32(image, 208 + 48, 0x12345678), FindingCode.LUKS_MALFORMED);
        // Slot 0 (active): other stripe count, key material past the payload, zero iterations.
        assertRejected(patchU32(image, 208 + 44, 1), FindingCode.LUKS_MALFORMED);
        assertRejected(patchU32(image, 208 + 40, 0xffffffffL), FindingCode.LUKS_MALFORMED);
        assertRejected(patchU32(image, 208 + 4, 0), FindingCode.LUKS_MALFORMED);
        assertRejected(patchU32(image, 164, 0), FindingCode.LUKS_MALFORMED);
    }

    @Test
    void rejectsLuks1PayloadOutsideTheFile() throws Exception {
        byte[] image = Files.readAllBytes(luks1());
        assertRejected(patchU32(image, 104, 0xffffffffL), FindingCode.LUKS_MALFORMED);
        assertRejected(patchU32(image, 104, 0), FindingCode.LUKS_MALFORMED);
    }

    @Test
    void rejectsUnterminatedOrEmptyCipherName() throws Exception {
        byte[] image = Files.readAllBytes(luks1());
        byte[] unterminated = image.clone();
        java.util.Arrays.fill(unterminated, 8, 40, (byte) 'a');
        assertRejected(unterminated, FindingCode.LUKS_MALFORMED);
        byte[] empty = image.clone();
        java.util.Arrays.fill(empty, 40, 72, (byte) 0);
        assertRejected(empty, FindingCode.LUKS_MALFORMED);
    }

    @Test
    void rejectsLuks2WithBadHeaderSize() throws Exception {
        for (long size : new long[] {1000, 3 * HDR, 8 * MIB, Long.MIN_VALUE, -1}) {
            byte[] image = luks2(json(SEGMENT_DYNAMIC), DATA_OFFSET + 8192);
            ByteBuffer.wrap(image).putLong(8, size);
            assertRejected(image, FindingCode.LUKS_MALFORMED);
        }
    }

    @Test
    void rejectsLuks2WithBadChecksum() throws Exception {
        byte[] image = luks2(json(SEGMENT_DYNAMIC), DATA_OFFSET + 8192);
        image[HDR - 1] ^= 1;
        assertRejected(image, FindingCode.LUKS_MALFORMED);
    }

    @Test
    void rejectsLuks2WithoutSecondaryHeader() throws Exception {
        byte[] image = luks2(json(SEGMENT_DYNAMIC), DATA_OFFSET + 8192);
        java.util.Arrays.fill(image, HDR, 2 * HDR, (byte) 0);
        assertRejected(image, FindingCode.LUKS_MALFORMED);
    }

    @Test
    void rejectsLuks2WithBrokenJson() throws Exception {
        assertRejected(luks2("{\"keyslots\":", DATA_OFFSET + 8192), FindingCode.LUKS_MALFORMED);
        assertRejected(luks2("[1,2,3]", DATA_OFFSET + 8192), FindingCode.LUKS_MALFORMED);
        assertRejected(luks2(json(SEGMENT_DYNAMIC).replace("\"config\"", "\"konfig\""), DATA_OFFSET + 8192),
                FindingCode.LUKS_MALFORMED);
        assertRejected(luks2(json("{}"), DATA_OFFSET + 8192), FindingCode.LUKS_MALFORMED);
        assertRejected(luks2("[".repeat(5000), DATA_OFFSET + 8192), FindingCode.LUKS_MALFORMED);
        assertRejected(luks2("x".repeat(HDR - 4096), DATA_OFFSET + 8192), FindingCode.LUKS_MALFORMED);
    }

    @Test
    void rejectsLuks2WhoseSecondHeaderCopyIsCutShort() throws Exception {
        String segments = SEGMENT_DYNAMIC.replace("\"" + DATA_OFFSET + "\"", "\"" + 2 * HDR + "\"");
        byte[] image = luks2(json(segments), 2 * HDR);
        Inspection whole = InspectorHarness.inspect(inspector, image);
        assertThat(whole.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(whole.virtualSize()).hasValue(0L);
        // One byte short: the secondary's binary header and the primary's JSON are still readable.
        Inspection cut = InspectorHarness.inspect(inspector, java.util.Arrays.copyOf(image, 2 * HDR - 1));
        assertThat(cut.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(cut.findings()).singleElement().satisfies(f -> {
            assertThat(f.code()).isEqualTo(FindingCode.TRUNCATED);
            assertThat(f.offset()).isZero();
            assertThat(f.message()).isEqualTo("LUKS2 primary and secondary headers at offset 0 with length "
                    + 2 * HDR + " lies outside the image of " + (2 * HDR - 1) + " bytes");
        });
    }

    @Test
    void readsLuks2JsonThatSpansSeveralChunksUpToTheWholeArea() throws Exception {
        String json = json(SEGMENT_DYNAMIC);
        // Leading whitespace is valid JSON: the object itself starts in the second 4 KiB chunk.
        for (int length : new int[] {5000 + json.length(), HDR - 4096 - 1}) {
            byte[] image = luks2(" ".repeat(length - json.length()) + json, DATA_OFFSET + 8192);
            Inspection result = InspectorHarness.inspect(inspector, image);
            assertThat(result.level()).as("JSON of %d bytes", length).isEqualTo(MatchLevel.MATCH);
            assertThat(result.virtualSize()).hasValue(8192L);
        }
        // The whole 12 KiB area without its NUL.
        byte[] unterminated = luks2(" ".repeat(HDR - 4096 - json.length()) + json, DATA_OFFSET + 8192);
        assertThat(InspectorHarness.inspect(inspector, unterminated).findings()).singleElement().satisfies(f -> {
            assertThat(f.code()).isEqualTo(FindingCode.LUKS_MALFORMED);
            assertThat(f.offset()).isEqualTo(4096);
            assertThat(f.message()).isEqualTo("LUKS2 JSON metadata is not terminated within " + (HDR - 4096) + " bytes");
        });
    }

    @Test
    void rejectsLuks2MetadataWithADuplicatedKey() throws Exception {
        // cryptsetup's JSON reader and ours could each believe a different copy of the segment.
        String twoSegments = json(SEGMENT_DYNAMIC).replace("\"segments\":" + SEGMENT_DYNAMIC,
                "\"segments\":" + SEGMENT_DYNAMIC + ",\"segments\":" + SEGMENT_DYNAMIC);
        String nested = json(SEGMENT_DYNAMIC).replace("\"json_size\":", "\"json_size\":\"12288\",\"json_size\":");

        for (String json : List.of(twoSegments, nested)) {
            byte[] image = luks2(json, DATA_OFFSET + 8192);
            Inspection result = InspectorHarness.inspect(inspector, image);
            assertThat(result.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
            assertThat(result.findings()).extracting(f -> f.code()).containsExactly(FindingCode.LUKS_MALFORMED);
            assertThat(result.findings().get(0).message()).contains("Duplicate field").doesNotContain("REDACTED");
        }
    }

    @Test
    void rejectsLuks2SegmentOutsideTheFile() throws Exception {
        for (String offset : new String[] {"999999999999", "99999999999999999999", "-1", "abc", "0"}) {
            String segments = SEGMENT_DYNAMIC.replace("\"" + DATA_OFFSET + "\"", "\"" + offset + "\"");
            assertRejected(luks2(json(segments), DATA_OFFSET + 8192), FindingCode.LUKS_MALFORMED);
        }
        String tooLong = SEGMENT_DYNAMIC.replace("\"dynamic\"", "\"9223372036854775\"");
        assertRejected(luks2(json(tooLong), DATA_OFFSET + 8192), FindingCode.TRUNCATED);
        String badId = SEGMENT_DYNAMIC.replace("{\"0\":", "{\"zero\":");
        assertRejected(luks2(json(badId), DATA_OFFSET + 8192), FindingCode.LUKS_MALFORMED);
    }

    @Test
    void truncatedLuks1NeverGivesSilentMatch() throws Exception {
        byte[] image = Files.readAllBytes(luks1());
        int payload = ByteBuffer.wrap(image).getInt(104) * 512;
        // A prefix that keeps the whole header is a valid smaller volume, as qemu sees it too.
        assertNoSilentMatch(image, 0, 5, 6, 7, 8, 104, 208, 591, 592, 4096, payload - 1);
        Inspection shorter = InspectorHarness.inspect(inspector, java.util.Arrays.copyOf(image, payload + 512));
        assertThat(shorter.virtualSize()).hasValue(512L);
    }

    @Test
    void truncatedLuks2NeverGivesSilentMatch() throws Exception {
        byte[] image = luks2(json(SEGMENT_DYNAMIC), DATA_OFFSET + 8192);
        assertNoSilentMatch(image, 0, 6, 8, 256, 4095, 4096, 8192, HDR, HDR + 100, 2 * HDR, DATA_OFFSET - 1);
    }

    private void assertNoSilentMatch(byte[] image, long... boundaries) {
        List<Inspection> results = InspectorHarness.inspectTruncatedAt(inspector, image, boundaries);
        for (int i = 0; i < results.size(); i++) {
            Inspection result = results.get(i);
            if (boundaries[i] < 6) {
                assertThat(result.level()).isEqualTo(MatchLevel.NONE);
            } else {
                assertThat(result.level()).as("prefix of %d bytes", boundaries[i]).isEqualTo(MatchLevel.MAGIC_ONLY);
                assertThat(result.findings()).as("prefix of %d bytes", boundaries[i]).anyMatch(Finding::rejects);
            }
        }
    }

    @Test
    void ignoresOtherFormats() {
        assertThat(InspectorHarness.inspect(inspector, "LUKS".getBytes(StandardCharsets.US_ASCII)).level())
                .isEqualTo(MatchLevel.NONE);
        assertThat(InspectorHarness.inspect(inspector, new byte[4096]).level()).isEqualTo(MatchLevel.NONE);
    }

    @Test
    void seedCorpusHoldsValidAndBrokenImages() throws Exception {
        String corpus = "LuksInspectorFuzzTestInputs/inspect/";
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "luks1-no-slots.luks")).isEqualTo(MatchLevel.MATCH);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "luks2-dynamic.luks")).isEqualTo(MatchLevel.MATCH);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "luks1-header-only.luks")).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(InspectorHarness.seedLevel(inspector, corpus + "luks2-bad-checksum.luks")).isEqualTo(MatchLevel.MAGIC_ONLY);
    }


    @Test
    void inspectsAStreamBeforeItsSizeIsKnown() throws Exception {
        byte[] header = java.util.Arrays.copyOf(Files.readAllBytes(luks1()), 4096);
        assertThat(inspector.run(new Qcow2InspectorTest.UnfinishedStreamBytes(header)).level())
                .isEqualTo(MatchLevel.MATCH);
        byte[] luks2 = java.util.Arrays.copyOf(luks2(json(SEGMENT_DYNAMIC), DATA_OFFSET + 8192), 2 * HDR);
        assertThat(inspector.run(new Qcow2InspectorTest.UnfinishedStreamBytes(luks2)).level())
                .isEqualTo(MatchLevel.MATCH);
    }
}
