package dev.diskimage.catalog.distro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.catalog.cache.Checksum;
import dev.diskimage.catalog.cache.ChecksumAlgorithm;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The digest check under a compressed download: every byte counts, read, skipped or read one at a time. */
class CheckedStreamTest {
    private static final byte[] DATA = {0, 1, (byte) 0xff, 7, 8, 9, 10};

    private static Checksum sha256(byte[] bytes) {
        return new Checksum(ChecksumAlgorithm.SHA256,
                HexFormat.of().formatHex(ChecksumAlgorithm.SHA256.newDigest().digest(bytes)));
    }

    @Test
    void byteByByteReadsCheckTheDigestAtTheEnd() throws IOException {
        try (InputStream in = CheckedStream.of(new ByteArrayInputStream(DATA), Optional.of(sha256(DATA)))) {
            for (byte b : DATA) {
                assertThat(in.read()).isEqualTo(b & 0xff);
            }
            assertThat(in.read()).isEqualTo(-1);
            assertThat(in.read()).isEqualTo(-1); // checked once
            assertThat(in.markSupported()).isFalse();
        }
    }

    @Test
    void skippedBytesAreDigestedAndAnEmptyReadChecksNothing() throws IOException {
        try (InputStream in = CheckedStream.of(new ByteArrayInputStream(DATA), Optional.of(sha256(DATA)))) {
            assertThat(in.read(new byte[4], 0, 0)).isZero();
            assertThat(in.skip(0)).isZero();
            assertThat(in.skip(-3)).isZero();
            assertThat(in.skip(3)).isEqualTo(3);
            assertThat(in.readAllBytes()).containsExactly(7, 8, 9, 10);
            assertThat(in.skip(5)).isZero();
        }
    }

    @Test
    void aWrongDigestIsReportedAtTheEndWithTheActualOne() throws IOException {
        Checksum other = sha256(new byte[] {1});
        try (InputStream in = CheckedStream.of(new ByteArrayInputStream(DATA), Optional.of(other))) {
            byte[] got = new byte[DATA.length];
            assertThat(in.read(got, 0, got.length)).isEqualTo(DATA.length);
            assertThat(got).isEqualTo(DATA);
            assertThatThrownBy(in::read).isInstanceOfSatisfying(CheckedStream.MismatchException.class,
                    e -> assertThat(e.actual()).isEqualTo(sha256(DATA)))
                    .hasMessage("the download's sha256 is " + sha256(DATA).hex() + ", expected " + other.hex());
        }
        InputStream plain = new ByteArrayInputStream(DATA);
        assertThat(CheckedStream.of(plain, Optional.empty())).isSameAs(plain);
    }
}
