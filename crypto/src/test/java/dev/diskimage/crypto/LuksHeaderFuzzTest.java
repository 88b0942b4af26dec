package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.diskimage.core.testing.OneBytePerReadChannel;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Feeds arbitrary bytes, one byte per read, to {@link LuksHeader#read}: it must return a header
 * whose payload and key slot areas lie inside the input, or throw {@link LuksHeaderException};
 * nothing else (no unchecked exception, no OOM, no hang). A normal test run replays the seed
 * corpus in {@code LuksHeaderFuzzTestInputs/read} (LUKS1 from qemu-img, LUKS2 from cryptsetup with
 * PBKDF2 and with Argon2id, broken ones).
 */
class LuksHeaderFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void read(byte[] data) throws IOException {
        LuksHeader header;
        try {
            header = LuksHeader.read(Path.of("fuzz.luks"), new OneBytePerReadChannel(data));
        } catch (LuksHeaderException expected) {
            return;
        }
        assertThat(header.version()).isBetween(1, 2);
        assertThat(header.payloadOffset()).isBetween(0L, (long) data.length);
        for (LuksHeader.KeySlot slot : header.activeKeySlots()) {
            assertThat(slot.areaOffset()).isBetween(0L, (long) data.length);
            assertThat(slot.areaLength()).isLessThanOrEqualTo(data.length - slot.areaOffset());
        }
    }
}
