package dev.diskimage.conversion.vhd;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Feeds arbitrary journals to {@link VhdResizeJournal#read}, each with a valid CRC-32C appended so
 * that the parser behind the check is reached: a journal is either read with sizes and offsets
 * that are not negative, or refused with the one failure the parser gives.
 */
class VhdResizeJournalFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void readsAnyJournalOrRefusesIt(byte[] body) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(body.length + 4).put(body);
        CRC32C crc = new CRC32C();
        crc.update(body);
        bytes.putInt((int) crc.getValue());
        Path journal = Files.createTempFile("vhd-journal-fuzz", ".journal");
        try {
            Files.write(journal, bytes.array());
            VhdResizeJournal read = VhdResizeJournal.read(journal);
            assertThat(read.originalFileSize()).isNotNegative();
            read.undo().forEach(region -> assertThat(region.offset()).isNotNegative());
        } catch (IllegalStateException refused) {
            // The one failure a damaged or foreign journal may give.
        } finally {
            Files.delete(journal);
        }
    }
}
