package dev.diskimage.catalog.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.StrictJson;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The sidecar record of one cache entry, {@code .<file name>.json} beside the file: written (to a
 * temporary sibling, then renamed) only after the file is in place, so an entry is complete
 * exactly when its record exists. Read as untrusted input: every field is checked, every number
 * bounded.
 *
 * @param version the record format, {@link #VERSION}
 * @param url the entry's URL
 * @param fileName the entry's file name
 * @param size the file's size when stored
 * @param mtimeMillis the file's modification time when last verified; a change triggers a re-hash
 * @param ctimeMillis the file's status-change time when last verified (0 where the file system has
 *     none); a change (a write that kept the modification time, a new link) triggers a re-hash
 * @param checksum {@code algorithm:hex} of the stored bytes
 * @param format the format the gate admitted (qemu name)
 * @param downloaded when the file was stored (ISO-8601)
 * @param lastUsed when the entry was last fetched or looked up (ISO-8601)
 * @param referrers absolute paths of files recorded as referring to the entry
 */
record EntryRecord(int version, String url, String fileName, long size, long mtimeMillis, long ctimeMillis,
        String checksum,
        String format, String downloaded, String lastUsed, List<String> referrers) {

    static final int VERSION = 1;
    /** Largest record read; a record with the maximum of referrers stays well below. */
    static final int MAX_RECORD_BYTES = 8 << 20;
    /** Most referrers kept for one entry. */
    static final int MAX_REFERRERS = 1024;
    /** Longest referrer path kept (Linux's PATH_MAX). */
    static final int MAX_PATH_CHARS = 4096;
    /** Longest URL kept. */
    static final int MAX_URL_CHARS = 8192;
    /** Largest size believed: 2^60 bytes (an exbibyte), far above any disk image. */
    static final long MAX_SIZE = 1L << 60;
    /** Latest instant believed: year 9999. */
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    private static final ObjectMapper WRITER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .build();

    /** A record's content does not hold; the message says what. */
    static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message);
        }
    }

    byte[] toJson() {
        try {
            return WRITER.writeValueAsBytes(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a cache record cannot be written as JSON", e);
        }
    }

    /**
     * Parses and checks a record read from {@code .<fileName>.json} of the entry for {@code url}.
     *
     * @throws Invalid naming the first field that does not hold
     */
    static EntryRecord parse(byte[] json, URI url, String fileName) throws Invalid {
        EntryRecord record;
        try {
            record = StrictJson.bind(json, EntryRecord.class);
        } catch (JsonProcessingException e) {
            throw new Invalid("not a cache record: " + StrictJson.describe(e));
        }
        if (record == null) {
            throw new Invalid("empty");
        }
        record.check(url, fileName);
        return record;
    }

    /**
     * Parses and checks a record whose URL is not known in advance (a listing); the URL inside
     * must still hash to the directory's name, which the caller checks.
     */
    static EntryRecord parse(byte[] json, String fileName) throws Invalid {
        EntryRecord record;
        try {
            record = StrictJson.bind(json, EntryRecord.class);
        } catch (JsonProcessingException e) {
            throw new Invalid("not a cache record: " + StrictJson.describe(e));
        }
        if (record == null) {
            throw new Invalid("empty");
        }
        record.check(record.uri(), fileName);
        return record;
    }

    private void check(URI expectedUrl, String expectedFileName) throws Invalid {
        if (version != VERSION) {
            throw new Invalid("record version " + version + ", expected " + VERSION);
        }
        if (url == null || url.length() > MAX_URL_CHARS || !url.equals(expectedUrl.toString())) {
            throw new Invalid("the record is for another URL");
        }
        if (!Objects.equals(fileName, expectedFileName)) {
            throw new Invalid("the record is for another file name");
        }
        if (size < 0 || size > MAX_SIZE) {
            throw new Invalid("size " + size + " out of range 0.." + MAX_SIZE);
        }
        try {
            Checksum.parse(Objects.requireNonNullElse(checksum, ""));
        } catch (IllegalArgumentException e) {
            throw new Invalid("checksum: " + e.getMessage());
        }
        try {
            DiskFormat.fromName(Objects.requireNonNullElse(format, ""));
        } catch (RuntimeException e) {
            throw new Invalid("unknown format");
        }
        checkInstant(downloaded, "downloaded");
        checkInstant(lastUsed, "last_used");
        if (referrers == null || referrers.size() > MAX_REFERRERS) {
            throw new Invalid("referrers missing or more than " + MAX_REFERRERS);
        }
        for (String referrer : referrers) {
            if (referrer.isEmpty() || referrer.length() > MAX_PATH_CHARS || referrer.indexOf('\0') >= 0
                    || !Path.of(referrer).isAbsolute()) {
                throw new Invalid("a referrer is not an absolute path of at most " + MAX_PATH_CHARS + " characters");
            }
        }
    }

    private static void checkInstant(String text, String field) throws Invalid {
        // A cap on what is parsed; no instant within the range below is written in 64 characters,
        // so ">= 64" would refuse the same records (an equivalent mutant).
        if (text == null || text.length() > 64) {
            throw new Invalid(field + " missing or too long");
        }
        Instant value;
        try {
            value = Instant.parse(text);
        } catch (DateTimeException e) {
            throw new Invalid(field + " is not an ISO-8601 instant");
        }
        if (value.isBefore(Instant.EPOCH) || value.isAfter(LATEST)) {
            throw new Invalid(field + " out of range");
        }
    }

    URI uri() throws Invalid {
        try {
            return new URI(Objects.requireNonNullElse(url, ""));
        } catch (URISyntaxException e) {
            throw new Invalid("url is not a URI");
        }
    }

    Checksum parsedChecksum() {
        return Checksum.parse(checksum);
    }

    DiskFormat parsedFormat() {
        return DiskFormat.fromName(format);
    }

    Instant lastUsedInstant() {
        return Instant.parse(lastUsed);
    }

    Instant downloadedInstant() {
        return Instant.parse(downloaded);
    }

    List<Path> referrerPaths() {
        List<Path> paths = new ArrayList<>();
        for (String referrer : referrers) {
            paths.add(Path.of(referrer));
        }
        return paths;
    }

    EntryRecord withUse(Instant when, FileStamp stamp) {
        return new EntryRecord(version, url, fileName, size, stamp.mtimeMillis(), stamp.ctimeMillis(), checksum,
                format, downloaded, when.toString(),
                referrers);
    }

    EntryRecord withReferrers(List<String> values) {
        return new EntryRecord(version, url, fileName, size, mtimeMillis, ctimeMillis, checksum, format, downloaded,
                lastUsed,
                List.copyOf(values));
    }
}
