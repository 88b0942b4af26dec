package dev.diskimage.conversion.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class ArchiveStreamTest {

    @Test
    void allowsMetadataUpToTheLimit() throws IOException {
        ArchiveStream stream = new ArchiveStream(new ByteArrayInputStream(new byte[11]), 10);

        assertThat(stream.read(new byte[9], 0, 9)).isEqualTo(9);
        assertThat(stream.read()).isZero();
        assertThatThrownBy(stream::read).isInstanceOfSatisfying(ArchiveStream.MetadataLimitException.class,
                e -> assertThat(e.limit()).isEqualTo(10)).hasMessage("more than 10 bytes of tar headers");
    }

    @Test
    void doesNotCountContent() throws IOException {
        ArchiveStream stream = new ArchiveStream(new ByteArrayInputStream(new byte[30]), 10);

        stream.readingContent(true);
        assertThat(stream.read(new byte[20], 0, 20)).isEqualTo(20);
        stream.readingContent(false);
        assertThat(stream.read(new byte[10], 0, 10)).isEqualTo(10);
        assertThat(stream.ended()).isFalse();
        assertThat(stream.read()).isEqualTo(-1);
        assertThat(stream.ended()).isTrue();
    }

    @Test
    void countsSkippedBytesAndNoticesTheEnd() throws IOException {
        ArchiveStream stream = new ArchiveStream(new ByteArrayInputStream(new byte[8]), 10);

        assertThat(stream.skip(0)).isZero();
        assertThat(stream.skip(-1)).isZero();
        assertThat(stream.skip(5)).isEqualTo(5);
        assertThat(stream.skip(Long.MAX_VALUE)).isEqualTo(3);
        assertThat(stream.ended()).isTrue();
        assertThat(stream.markSupported()).isFalse();

        ArchiveStream small = new ArchiveStream(new ByteArrayInputStream(new byte[20]), 10);
        assertThatThrownBy(() -> small.skip(20)).isInstanceOf(ArchiveStream.MetadataLimitException.class);
    }

    @Test
    void noticesTheEndOnABulkRead() throws IOException {
        ArchiveStream stream = new ArchiveStream(new ByteArrayInputStream(new byte[0]), 10);

        assertThat(stream.read(new byte[4], 0, 4)).isEqualTo(-1);
        assertThat(stream.ended()).isTrue();
    }
}
