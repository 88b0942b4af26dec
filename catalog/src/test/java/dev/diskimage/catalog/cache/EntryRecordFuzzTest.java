package dev.diskimage.catalog.cache;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.URI;

/**
 * Feeds arbitrary bytes to {@link EntryRecord#parse}, as a damaged or hostile sidecar record
 * would: it must return a record whose every accessor works, or throw {@link EntryRecord.Invalid},
 * nothing else.
 */
class EntryRecordFuzzTest {
    private static final URI URL = URI.create("https://mirror.example/images/f.img");

    @FuzzTest(maxDuration = "10s")
    void parsesAnyRecord(byte[] data) {
        try {
            EntryRecord record = EntryRecord.parse(data, URL, "f.img");
            record.parsedChecksum();
            record.parsedFormat();
            record.lastUsedInstant();
            record.downloadedInstant();
            record.referrerPaths();
            record.toJson();
        } catch (EntryRecord.Invalid expected) {
            // The one failure the contract allows.
        }
        try {
            EntryRecord.parse(data, "f.img").uri();
        } catch (EntryRecord.Invalid expected) {
            // as above
        }
    }
}
