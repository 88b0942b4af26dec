package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.diskimage.core.testing.OneBytePerReadChannel;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Regions are checked against the size the file had when reading began, before a buffer is
 * allocated or a byte read: a file that grows while its header is read (or a device that reports
 * one size and delivers more) never makes the reader go past that size.
 */
class HeaderReaderTest {
    private static final Path FILE = Path.of("grown.luks");

    /** 100 bytes 0, 1, 2, ... of which the channel reports 50, and counts its reads. */
    private static final class GrownChannel extends OneBytePerReadChannel {
        int reads;

        GrownChannel() {
            super(bytes());
        }

        private static byte[] bytes() {
            byte[] bytes = new byte[100];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) i;
            }
            return bytes;
        }

        @Override
        public long size() {
            return 50;
        }

        @Override
        public int read(ByteBuffer dst) {
            reads++;
            return super.read(dst);
        }
    }

    @Test
    void aRegionEndingExactlyAtTheEndIsRead() throws Exception {
        ByteBuffer region = new HeaderReader(FILE, new GrownChannel()).read(30, 20, "key material");
        assertThat(region.remaining()).isEqualTo(20);
        assertThat(region.get(0)).isEqualTo((byte) 30);
        assertThat(region.get(19)).isEqualTo((byte) 49);
    }

    @Test
    void aRegionPastTheSizeIsRefusedBeforeAnythingIsRead() throws Exception {
        GrownChannel channel = new GrownChannel();
        HeaderReader reader = new HeaderReader(FILE, channel);
        for (long[] region : new long[][] {{40, 20}, {31, 20}, {50, 1}, {51, 0}, {-1, 4}, {0, -1}}) {
            LuksHeaderException error = catchThrowableOfType(LuksHeaderException.class,
                    () -> reader.read(region[0], (int) region[1], "key material"));
            assertThat(error).as("%d bytes at %d", region[1], region[0]).isNotNull();
            assertThat(error.reason()).isEqualTo("the file of 50 bytes ends before the key material (" + region[1]
                    + " bytes at offset " + region[0] + ")");
            assertThat(error.offset()).hasValue(Math.max(region[0], 0));
        }
        assertThat(channel.reads).isZero();
    }

    @Test
    void anEmptyRegionIsAnEmptyBuffer() throws Exception {
        assertThat(new HeaderReader(FILE, new GrownChannel()).read(50, 0, "nothing").remaining()).isZero();
    }
}
