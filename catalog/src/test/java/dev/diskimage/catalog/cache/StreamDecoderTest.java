package dev.diskimage.catalog.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/** The decoders distro images and templates share: xz with its two bounds, and the plain cap. */
class StreamDecoderTest {

    private static byte[] xz(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (XZOutputStream xz = new XZOutputStream(out, new LZMA2Options(1))) {
            xz.write(data);
        }
        return out.toByteArray();
    }

    /** Remembers whether its end was read. */
    private static final class EndSeen extends FilterInputStream {
        boolean ended;

        EndSeen(byte[] data) {
            super(new ByteArrayInputStream(data));
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            ended |= n < 0;
            return n;
        }
    }

    @Test
    void xzDecompressesAndReadsTheDownloadToItsEndSoThatAChecksumUnderItSeesEveryByte() throws IOException {
        byte[] image = new byte[300_000];
        Arrays.fill(image, 100_000, 200_000, (byte) 7);
        EndSeen download = new EndSeen(xz(image));

        try (InputStream decoded = StreamDecoder.xz().decode(download)) {
            assertThat(decoded.readAllBytes()).isEqualTo(image);
        }
        assertThat(download.ended).isTrue();
    }

    @Test
    void xzStopsAnImageThatExpandsPastTheLimitWithAnErrorNamingIt() throws IOException {
        // 64 MiB of zeros compress to a few KiB: a small download must not fill the disk.
        byte[] bomb = xz(new byte[64 << 20]);
        assertThat(bomb.length).isLessThan(64 << 10);

        try (InputStream decoded = StreamDecoder.xz(1 << 20).decode(new ByteArrayInputStream(bomb))) {
            assertThatThrownBy(decoded::readAllBytes).isInstanceOf(IOException.class)
                    .hasMessageContaining(String.valueOf(1 << 20));
        }
        try (InputStream decoded = StreamDecoder.xz(64 << 20).decode(new ByteArrayInputStream(bomb))) {
            assertThat(decoded.readAllBytes()).hasSize(64 << 20);
        }
    }

    @Test
    void xzRefusesBytesThatAreNotXz() {
        assertThatThrownBy(() -> StreamDecoder.xz().decode(new ByteArrayInputStream(new byte[64])))
                .isInstanceOf(IOException.class);
    }

    @Test
    void cappedLetsTheLimitThroughAndNotOneByteMoreCountingSkippedBytes() throws IOException {
        try (InputStream in = StreamDecoder.capped(10).decode(new ByteArrayInputStream(new byte[10]))) {
            assertThat(in.readAllBytes()).hasSize(10);
        }
        try (InputStream in = StreamDecoder.capped(10).decode(new ByteArrayInputStream(new byte[11]))) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class).hasMessageContaining("10 bytes");
        }
        try (InputStream in = StreamDecoder.capped(10).decode(new ByteArrayInputStream(new byte[11]))) {
            assertThatThrownBy(() -> in.skip(11)).isInstanceOf(IOException.class);
        }
        assertThat(StreamDecoder.IDENTITY.decode(new ByteArrayInputStream(new byte[3])).readAllBytes()).hasSize(3);
    }

    @Test
    void cappedReadsByteByByteUpToTheLimit() throws IOException {
        try (InputStream in = StreamDecoder.capped(3).decode(new ByteArrayInputStream(new byte[] {0, (byte) 0xff, 7}))) {
            assertThat(in.read()).isEqualTo(0);
            assertThat(in.read()).isEqualTo(255);
            assertThat(in.read()).isEqualTo(7);
            assertThat(in.read()).isEqualTo(-1);
        }
        try (InputStream in = StreamDecoder.capped(2).decode(new ByteArrayInputStream(new byte[] {1, 2, 3}))) {
            assertThat(in.read()).isEqualTo(1);
            assertThat(in.read()).isEqualTo(2);
            assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessageContaining("2 bytes");
        }
    }

    @Test
    void cappedSkipsWhatThereIsAndCountsIt() throws IOException {
        try (InputStream in = StreamDecoder.capped(100).decode(new ByteArrayInputStream(new byte[20_000]))) {
            assertThat(in.skip(0)).isZero();
            // Skipped bytes are read, so skipping past the cap is refused like reading past it.
            assertThatThrownBy(() -> in.skip(10_000)).isInstanceOf(IOException.class).hasMessageContaining("100 bytes");
        }
        try (InputStream in = StreamDecoder.capped(30_000).decode(new ByteArrayInputStream(new byte[20_000]))) {
            assertThat(in.skip(10_000)).isEqualTo(10_000);
            assertThat(in.skip(50_000)).isEqualTo(10_000);
            assertThat(in.skip(1)).isZero();
            assertThat(in.read()).isEqualTo(-1);
        }
        try (InputStream in = StreamDecoder.capped(15_000).decode(new ByteArrayInputStream(new byte[20_000]))) {
            assertThat(in.skip(15_000)).isEqualTo(15_000);
            assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessageContaining("15000 bytes");
        }
    }

    @Test
    void xzReadByteByByteAlsoReadsTheDownloadToItsEnd() throws IOException {
        byte[] image = {1, 2, 3, 0, (byte) 0x80};
        EndSeen download = new EndSeen(xz(image));
        try (InputStream decoded = StreamDecoder.xz(5).decode(download)) {
            for (byte b : image) {
                assertThat(decoded.read()).isEqualTo(b & 0xff);
            }
            assertThat(decoded.read()).isEqualTo(-1);
        }
        assertThat(download.ended).isTrue();
    }
}
