package dev.diskimage.catalog.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChecksumTest {
    private static final String SHA256_OF_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @ParameterizedTest
    @ValueSource(strings = {"sha256", "SHA256", "SHA-256", "sha_256", "SHA256SUM", "sha256sums"})
    void algorithmNamesAreReadAsToolsSpellThem(String name) {
        assertThat(ChecksumAlgorithm.fromName(name)).isEqualTo(ChecksumAlgorithm.SHA256);
    }

    @Test
    void everyAlgorithmHasItsDigestLength() {
        for (ChecksumAlgorithm algorithm : ChecksumAlgorithm.values()) {
            assertThat(algorithm.newDigest().getDigestLength()).isEqualTo(algorithm.digestBytes());
            assertThat(ChecksumAlgorithm.fromName(algorithm.label())).isEqualTo(algorithm);
        }
        assertThatThrownBy(() -> ChecksumAlgorithm.fromName("crc32")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("crc32");
    }

    @Test
    void parsesAlgorithmColonHexAndFoldsCase() {
        Checksum checksum = Checksum.parse("SHA256:" + SHA256_OF_EMPTY.toUpperCase());
        assertThat(checksum.algorithm()).isEqualTo(ChecksumAlgorithm.SHA256);
        assertThat(checksum.hex()).isEqualTo(SHA256_OF_EMPTY);
        assertThat(checksum).hasToString("sha256:" + SHA256_OF_EMPTY);
        assertThat(Checksum.parse(checksum.toString())).isEqualTo(checksum);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "sha256", ":abc", "sha256:abc", "sha256:" + SHA256_OF_EMPTY + "0",
            "sha256:" + "g" + "0", "md4:00112233445566778899aabbccddeeff"})
    void refusesWhatIsNotADigest(String text) {
        assertThatThrownBy(() -> Checksum.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesADigestOfTheWrongLength() {
        assertThatThrownBy(() -> new Checksum(ChecksumAlgorithm.MD5, SHA256_OF_EMPTY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32 hexadecimal digits");
    }

    @Test
    void theMeterGivesRateAndTimeLeft() {
        AtomicLong nanos = new AtomicLong();
        TransferMeter meter = new TransferMeter(nanos::get);
        nanos.addAndGet(1_000_000_000L);
        TransferMeter.Reading first = meter.update(1000, OptionalLong.of(5000));
        assertThat(first.bytesPerSecond()).isEqualTo(1000.0);
        assertThat(first.remaining()).contains(Duration.ofSeconds(4));
        nanos.addAndGet(1_000_000_000L);
        TransferMeter.Reading second = meter.update(1000, OptionalLong.empty());
        assertThat(second.bytesPerSecond()).isLessThan(1000.0).isGreaterThan(0.0);
        assertThat(second.remaining()).isEmpty();
        assertThat(meter.elapsed()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void policiesRefuseNegativeLimits() {
        assertThatThrownBy(() -> PrunePolicy.maxBytes(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PrunePolicy.maxAge(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
    }
}
