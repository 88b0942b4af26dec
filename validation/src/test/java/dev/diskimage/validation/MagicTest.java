package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Magic matching on buffers that may be cut short by the end of the image. */
class MagicTest {
    private static final byte[] QFI = {'Q', 'F', 'I', (byte) 0xfb};

    @Test
    void aMagicThatExactlyFillsWhatIsLeftMatchesButOneByteShortDoesNot() {
        assertThat(Magic.startsWith(ByteBuffer.wrap(QFI), QFI)).isTrue();
        assertThat(Magic.startsWith(ByteBuffer.wrap(new byte[] {'Q', 'F', 'I'}), QFI)).isFalse();
        assertThat(Magic.at(ByteBuffer.wrap(new byte[] {0, 0, 'Q', 'F', 'I', (byte) 0xfb}), 2, QFI)).isTrue();
        assertThat(Magic.at(ByteBuffer.wrap(new byte[] {0, 0, 'Q', 'F', 'I', (byte) 0xfb}), 3, QFI)).isFalse();
        // The magic's start is there, its end is cut off by the end of the buffer.
        assertThat(Magic.at(ByteBuffer.wrap(new byte[] {0, 0, 'Q', 'F', 'I'}), 2, QFI)).isFalse();
    }

    @Test
    void everyByteOfTheMagicCountsAndANegativeIndexNeverMatches() {
        assertThat(Magic.startsWith(ByteBuffer.wrap(new byte[] {'Q', 'F', 'I', (byte) 0xfa}), QFI)).isFalse();
        assertThat(Magic.startsWith(ByteBuffer.wrap(new byte[] {'q', 'F', 'I', (byte) 0xfb}), QFI)).isFalse();
        assertThat(Magic.at(ByteBuffer.wrap(new byte[8]), -1, new byte[0])).isFalse();
        assertThat(Magic.at(ByteBuffer.wrap(new byte[8]), 8, new byte[0])).isTrue();
    }
}
