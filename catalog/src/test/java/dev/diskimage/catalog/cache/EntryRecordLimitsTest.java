package dev.diskimage.catalog.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.DiskFormat;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A cache record is untrusted input: each bound is checked at its edge, the last value accepted
 * and the first one refused, with the field named.
 */
class EntryRecordLimitsTest {
    private static final URI URL = URI.create("https://mirror.example/images/f.img");
    private static final String SHA256 = "sha256:" + "ab".repeat(32);

    private static EntryRecord record(String url, long size, String checksum, String format, String downloaded,
            String lastUsed, List<String> referrers) {
        return new EntryRecord(EntryRecord.VERSION, url, "f.img", size, 1, 2, checksum, format, downloaded, lastUsed,
                referrers);
    }

    private static EntryRecord valid() {
        return record(URL.toString(), 1000, SHA256, "qcow2", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z",
                List.of("/var/lib/overlay.qcow2"));
    }

    private static EntryRecord roundTrip(EntryRecord record) throws EntryRecord.Invalid {
        return EntryRecord.parse(record.toJson(), URI.create(record.url()), "f.img");
    }

    private static String refusal(EntryRecord record) {
        try {
            roundTrip(record);
        } catch (EntryRecord.Invalid e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + record);
    }

    @Test
    void aValidRecordReadsBackWithEveryField() throws Exception {
        EntryRecord back = roundTrip(valid());
        assertThat(back).isEqualTo(valid());
        assertThat(back.parsedChecksum()).isEqualTo(Checksum.parse(SHA256));
        assertThat(back.parsedFormat()).isEqualTo(DiskFormat.QCOW2);
        assertThat(back.downloadedInstant()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(back.lastUsedInstant()).isEqualTo(Instant.parse("2026-01-02T00:00:00Z"));
        assertThat(back.referrerPaths()).containsExactly(Path.of("/var/lib/overlay.qcow2"));
        assertThat(EntryRecord.parse(valid().toJson(), "f.img").uri()).isEqualTo(URL);
    }

    @Test
    void sizesFromZeroToTwoToTheSixtyAreBelieved() throws Exception {
        for (long size : new long[] {0, EntryRecord.MAX_SIZE}) {
            assertThat(roundTrip(record(URL.toString(), size, SHA256, "raw", "2026-01-01T00:00:00Z",
                    "2026-01-01T00:00:00Z", List.of())).size()).isEqualTo(size);
        }
        for (long size : new long[] {-1, EntryRecord.MAX_SIZE + 1}) {
            assertThat(refusal(record(URL.toString(), size, SHA256, "raw", "2026-01-01T00:00:00Z",
                    "2026-01-01T00:00:00Z", List.of()))).isEqualTo("size " + size + " out of range 0.." + (1L << 60));
        }
    }

    @Test
    void aUrlOf8192CharactersIsKeptAndItMustBeTheEntrysOwn() throws Exception {
        String longest = "https://mirror.example/" + "u".repeat(EntryRecord.MAX_URL_CHARS - 23);
        assertThat(longest).hasSize(EntryRecord.MAX_URL_CHARS);
        EntryRecord record = record(longest, 1, SHA256, "raw", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
                List.of());
        assertThat(roundTrip(record).url()).isEqualTo(longest);
        assertThat(EntryRecord.parse(record.toJson(), "f.img").uri()).isEqualTo(URI.create(longest));

        String tooLong = longest + "u";
        assertThat(refusal(record(tooLong, 1, SHA256, "raw", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
                List.of()))).isEqualTo("the record is for another URL");
        assertThatThrownBy(() -> EntryRecord.parse(valid().toJson(), URI.create("https://mirror.example/other"),
                "f.img")).hasMessage("the record is for another URL");
        assertThatThrownBy(() -> EntryRecord.parse(valid().toJson(), URL, "g.img"))
                .hasMessage("the record is for another file name");
        assertThatThrownBy(() -> EntryRecord.parse(record("not a uri", 1, SHA256, "raw", "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z", List.of()).toJson(), "f.img")).hasMessage("url is not a URI");
    }

    @Test
    void instantsFromTheEpochToTheEndOfYear9999AreBelieved() throws Exception {
        for (String instant : new String[] {"1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z"}) {
            EntryRecord back = roundTrip(record(URL.toString(), 1, SHA256, "raw", instant, instant, List.of()));
            assertThat(back.downloadedInstant()).isEqualTo(Instant.parse(instant));
            assertThat(back.lastUsedInstant()).isEqualTo(Instant.parse(instant));
        }
        for (String instant : new String[] {"1969-12-31T23:59:59Z", "+10000-01-01T00:00:00Z"}) {
            assertThat(refusal(record(URL.toString(), 1, SHA256, "raw", instant, "2026-01-01T00:00:00Z", List.of())))
                    .isEqualTo("downloaded out of range");
            assertThat(refusal(record(URL.toString(), 1, SHA256, "raw", "2026-01-01T00:00:00Z", instant, List.of())))
                    .isEqualTo("last_used out of range");
        }
        assertThat(refusal(record(URL.toString(), 1, SHA256, "raw", "2026-01-01T00:00:00Z", "x".repeat(65),
                List.of()))).isEqualTo("last_used missing or too long");
        assertThat(refusal(record(URL.toString(), 1, SHA256, "raw", "2026-01-01T00:00:00Z", "yesterday", List.of())))
                .isEqualTo("last_used is not an ISO-8601 instant");
    }

    @Test
    void upTo1024AbsoluteReferrersOfUpTo4096CharactersAreKept() throws Exception {
        List<String> most = new ArrayList<>();
        for (int i = 0; i < EntryRecord.MAX_REFERRERS; i++) {
            most.add("/overlays/" + i + ".qcow2");
        }
        String longest = "/" + "p".repeat(EntryRecord.MAX_PATH_CHARS - 1);
        most.set(0, longest);
        assertThat(roundTrip(record(URL.toString(), 1, SHA256, "raw", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
                most)).referrers()).hasSize(EntryRecord.MAX_REFERRERS).contains(longest);

        List<String> tooMany = new ArrayList<>(most);
        tooMany.add("/overlays/one-more.qcow2");
        assertThat(refusal(record(URL.toString(), 1, SHA256, "raw", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
                tooMany))).isEqualTo("referrers missing or more than 1024");
        for (String bad : new String[] {longest + "p", "", "relative/overlay", "/with\0nul", "\0/starts-with-nul"}) {
            assertThat(refusal(record(URL.toString(), 1, SHA256, "raw", "2026-01-01T00:00:00Z",
                    "2026-01-01T00:00:00Z", List.of("/fine", bad))))
                    .isEqualTo("a referrer is not an absolute path of at most 4096 characters");
        }
        // A null never reaches the checks: the strict reader refuses it first.
        assertThat(refusal(record(URL.toString(), 1, SHA256, "raw", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
                null))).startsWith("not a cache record: null is not allowed");
    }

    @Test
    void theChecksumFormatAndVersionMustBeKnown() {
        assertThat(refusal(record(URL.toString(), 1, "sha256:abc", "raw", "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z", List.of()))).startsWith("checksum: not a sha256 digest");
        assertThat(refusal(record(URL.toString(), 1, null, "raw", "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z", List.of()))).startsWith("not a cache record: null is not allowed");
        assertThat(refusal(record(URL.toString(), 1, SHA256, "floppy", "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z", List.of()))).isEqualTo("unknown format");
        EntryRecord other = new EntryRecord(2, URL.toString(), "f.img", 1, 1, 2, SHA256, "raw",
                "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", List.of());
        assertThat(refusal(other)).isEqualTo("record version 2, expected 1");
        assertThatThrownBy(() -> EntryRecord.parse("null".getBytes(StandardCharsets.US_ASCII), URL, "f.img"))
                .hasMessageStartingWith("not a cache record");
        assertThatThrownBy(() -> EntryRecord.parse("null".getBytes(StandardCharsets.US_ASCII), "f.img"))
                .hasMessageStartingWith("not a cache record");
        assertThatThrownBy(() -> EntryRecord.parse("[]".getBytes(StandardCharsets.US_ASCII), "f.img"))
                .hasMessageStartingWith("not a cache record");
    }

    @Test
    void useAndReferrersReplaceOnlyTheirOwnFields() {
        EntryRecord used = valid().withUse(Instant.parse("2026-02-01T00:00:00Z"), new FileStamp(true, 1000, 7, 8));
        assertThat(used).isEqualTo(new EntryRecord(EntryRecord.VERSION, URL.toString(), "f.img", 1000, 7, 8, SHA256,
                "qcow2", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", List.of("/var/lib/overlay.qcow2")));
        List<String> mutable = new ArrayList<>(List.of("/a", "/b"));
        EntryRecord referred = valid().withReferrers(mutable);
        mutable.clear();
        assertThat(referred.referrers()).containsExactly("/a", "/b");
        assertThat(referred).isEqualTo(new EntryRecord(EntryRecord.VERSION, URL.toString(), "f.img", 1000, 1, 2,
                SHA256, "qcow2", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", List.of("/a", "/b")));
        assertThatThrownBy(() -> referred.referrers().add("/c")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aFileStampIsTouchedWhenEitherTimeMoves() {
        EntryRecord record = valid(); // mtime 1, ctime 2
        assertThat(new FileStamp(true, 1000, 1, 2).touchedSince(record)).isFalse();
        assertThat(new FileStamp(true, 1000, 3, 2).touchedSince(record)).isTrue();
        assertThat(new FileStamp(true, 1000, 1, 3).touchedSince(record)).isTrue();
    }
}
