package dev.diskimage.catalog.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The edges of the cache's value types: what a digest, a file name, a URL, a prune policy and a
 * progress reading accept, exactly at their limits.
 */
class CacheValuesTest {
    private static final String MD5_ZEROS = "0".repeat(32);

    @Test
    void everyHexDigitIsAcceptedAndTheCharactersNextToThemAreNot() {
        // Each digit at the edges of 0-9 and a-f (and A-F, folded).
        for (String digits : new String[] {"0123456789abcdef", "FEDCBA9876543210"}) {
            Checksum checksum = new Checksum(ChecksumAlgorithm.MD5, digits + digits);
            assertThat(checksum.hex()).isEqualTo((digits + digits).toLowerCase(java.util.Locale.ROOT));
        }
        // '/' and ':' surround 0-9, '`' and 'g' surround a-f: one in an otherwise valid digest.
        for (char outside : new char[] {'/', ':', '`', 'g', 'G', ' '}) {
            String hex = outside + MD5_ZEROS.substring(1);
            assertThatThrownBy(() -> new Checksum(ChecksumAlgorithm.MD5, hex)).as("%s", outside)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("not a md5 digest (32 hexadecimal digits): '" + hex + "'");
        }
    }

    @Test
    void parseTrimsTheDigestAndNeedsAnAlgorithmBeforeTheColon() {
        assertThat(Checksum.parse("md5: " + MD5_ZEROS + " \n"))
                .isEqualTo(new Checksum(ChecksumAlgorithm.MD5, MD5_ZEROS));
        assertThat(Checksum.parse("MD5SUM:" + MD5_ZEROS).algorithm()).isEqualTo(ChecksumAlgorithm.MD5);
        for (String text : new String[] {":" + MD5_ZEROS, MD5_ZEROS}) {
            assertThatThrownBy(() -> Checksum.parse(text)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("a checksum is algorithm:hex");
        }
        assertThat(new Checksum(ChecksumAlgorithm.SHA1, "a".repeat(40))).hasToString("sha1:" + "a".repeat(40));
    }

    @ParameterizedTest
    @ValueSource(strings = {"SHA-512", "sha512sum", "SHA512SUMS", "Sha_512", "sha-512-sums"})
    void sha512IsReadUnderEveryToolsSpelling(String name) {
        assertThat(ChecksumAlgorithm.fromName(name)).isEqualTo(ChecksumAlgorithm.SHA512);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sum", "sums", "sha", "sha256x", "sha256summ", "sha2"})
    void namesThatOnlyResembleAnAlgorithmAreRefused(String name) {
        assertThatThrownBy(() -> ChecksumAlgorithm.fromName(name)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown checksum algorithm '" + name + "'");
    }

    @Test
    void aFileNameMayBe200CharactersAndContainSpacesButNoControlCharacters() {
        URI url = URI.create("https://mirror.invalid/a.img");
        String longest = "x".repeat(CacheRequest.MAX_FILE_NAME);
        assertThat(CacheRequest.builder(url, longest).gate(TestImages.GATE, Optional.empty()).build().fileName())
                .isEqualTo(longest);
        assertThat(CacheRequest.requireFileName("a b~.img")).isEqualTo("a b~.img");
        assertThat(CacheRequest.requireFileName("a.b")).isEqualTo("a.b");
        for (String bad : new String[] {"a\u001fb", "a\u007fb", "a\\b", "a\u0000", "\tx", "/a", "\\a"}) {
            assertThatThrownBy(() -> CacheRequest.requireFileName(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not an acceptable cache file name");
        }
    }

    @Test
    void aUrlMustBeAbsoluteHierarchicalAndAtMost8192Characters() {
        String prefix = "https://mirror.invalid/";
        URI longest = URI.create(prefix + "a".repeat(EntryRecord.MAX_URL_CHARS - prefix.length()));
        assertThat(CacheRequest.requireUrl(longest)).isSameAs(longest);
        URI tooLong = URI.create(prefix + "a".repeat(EntryRecord.MAX_URL_CHARS - prefix.length() + 1));
        for (URI bad : new URI[] {tooLong, URI.create("mailto:someone@example.org"), URI.create("a/b.img")}) {
            assertThatThrownBy(() -> CacheRequest.requireUrl(bad)).as("%s", bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("absolute hierarchical URL of at most 8192 characters");
        }
        CacheRequest request = CacheRequest.builder(URI.create("https://mirror.invalid/x"), "x")
                .gate(TestImages.GATE, Optional.empty()).build();
        assertThat(request).hasToString("CacheRequest[https://mirror.invalid/x as x]");
        assertThat(request.checksum()).isEmpty();
        assertThat(request.declared()).isEmpty();
        assertThat(request.source()).isEmpty();
        assertThat(request.decoder()).isSameAs(StreamDecoder.IDENTITY);
        assertThat(request.progress()).isSameAs(DownloadProgress.NONE);
    }

    @Test
    void limitsOfZeroAreAllowedInAPrunePolicy() {
        assertThat(PrunePolicy.maxBytes(0).maxBytes()).hasValue(0);
        assertThat(PrunePolicy.maxAge(Duration.ZERO).maxAge()).contains(Duration.ZERO);
        assertThatThrownBy(() -> PrunePolicy.maxBytes(-1)).hasMessage("negative maximum size -1");
        assertThatThrownBy(() -> PrunePolicy.maxAge(Duration.ofNanos(-1))).hasMessageStartingWith("negative maximum age");
    }

    @Test
    void aDownloadMayHaveAnUnknownOrZeroLengthButNotANegativeOne() throws IOException {
        try (Download empty = new Download(new ByteArrayInputStream(new byte[0]), OptionalLong.of(0))) {
            assertThat(empty.length()).hasValue(0);
        }
        assertThatThrownBy(() -> new Download(new ByteArrayInputStream(new byte[0]), OptionalLong.of(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("negative length -1");
    }

    @Test
    void closingADownloadClosesItsStream() throws IOException {
        boolean[] closed = new boolean[1];
        InputStream stream = new ByteArrayInputStream(new byte[1]) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        new Download(stream, OptionalLong.empty()).close();
        assertThat(closed[0]).isTrue();
    }

    @Test
    void theMeterWeighsANewSampleByTheTimeItCoversAndNeverGoesBackwards() {
        AtomicLong nanos = new AtomicLong();
        TransferMeter meter = new TransferMeter(nanos::get);

        // No time has passed: no rate, no estimate.
        TransferMeter.Reading still = meter.update(0, OptionalLong.of(100));
        assertThat(still.bytesPerSecond()).isEqualTo(0.0);
        assertThat(still.remaining()).isEmpty();
        assertThat(still.total()).hasValue(100);

        nanos.addAndGet(2_000_000_000L); // 2 s, 4000 bytes: the first sample is the rate
        assertThat(meter.update(4000, OptionalLong.of(10_000)).bytesPerSecond()).isEqualTo(2000.0);

        nanos.addAndGet(1_000_000_000L); // 1 s, 1000 bytes: 30% of the way from 2000 to 1000
        TransferMeter.Reading third = meter.update(5000, OptionalLong.of(10_000));
        assertThat(third.bytesPerSecond()).isCloseTo(1700.0, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(third.remaining()).contains(Duration.ofMillis((long) (5000 / third.bytesPerSecond() * 1000)));

        nanos.addAndGet(10_000_000_000L); // 10 s: a long sample replaces the average (weight capped at 1)
        assertThat(meter.update(15_000, OptionalLong.of(10_000)).bytesPerSecond()).isEqualTo(1000.0);

        // Past the announced total: nothing left. A smaller count is ignored (the rate stays).
        nanos.addAndGet(1_000_000_000L);
        TransferMeter.Reading past = meter.update(14_000, OptionalLong.of(10_000));
        assertThat(past.bytesPerSecond()).isEqualTo(1000.0);
        assertThat(past.remaining()).contains(Duration.ZERO);
        assertThat(past.bytes()).isEqualTo(14_000);
        nanos.addAndGet(1_000_000_000L);
        // The ignored count did not move the reference point: 1000 bytes over 2 s since 15000 were seen.
        assertThat(meter.update(16_000, OptionalLong.empty()).bytesPerSecond())
                .isCloseTo(1000 + 0.6 * (500 - 1000), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(meter.elapsed()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void aStalledDownloadKeepsItsRateAndAReadingRefusesNegativeValues() {
        AtomicLong nanos = new AtomicLong(5);
        TransferMeter meter = new TransferMeter(nanos::get);
        nanos.addAndGet(1_000_000_000L);
        meter.update(1000, OptionalLong.empty());
        nanos.addAndGet(1_000_000_000L);
        // A second without a byte: the rate falls by 30%, no further.
        assertThat(meter.update(1000, OptionalLong.of(1000)).bytesPerSecond()).isCloseTo(700.0,
                org.assertj.core.data.Offset.offset(1e-6));
        assertThat(meter.elapsed()).isEqualTo(Duration.ofSeconds(2));

        assertThatThrownBy(() -> new TransferMeter.Reading(-1, OptionalLong.empty(), 0, Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TransferMeter.Reading(0, OptionalLong.empty(), -0.5, Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new TransferMeter.Reading(0, OptionalLong.empty(), 0, Optional.empty()).bytes()).isZero();
    }

    @Test
    void aHugeEstimateIsCappedInsteadOfOverflowing() {
        AtomicLong nanos = new AtomicLong();
        TransferMeter meter = new TransferMeter(nanos::get);
        nanos.addAndGet(1_000_000_000_000L); // 1000 s for one byte
        TransferMeter.Reading reading = meter.update(1, OptionalLong.of(Long.MAX_VALUE));
        assertThat(reading.remaining()).contains(Duration.ofMillis((long) (double) (Long.MAX_VALUE / 2)));
    }

    @Test
    void anEntryMayBeEmptyButNotNegativeAndKeepsACopyOfItsReferrers() {
        URI url = URI.create("https://mirror.invalid/e.img");
        Checksum sum = new Checksum(ChecksumAlgorithm.MD5, MD5_ZEROS);
        java.util.List<java.nio.file.Path> referrers = new java.util.ArrayList<>(
                java.util.List.of(java.nio.file.Path.of("/o.qcow2")));
        CacheEntry empty = new CacheEntry(url, java.nio.file.Path.of("/c/e.img"), 0, java.time.Instant.EPOCH, false,
                sum, dev.diskimage.core.DiskFormat.RAW, java.time.Instant.EPOCH, referrers);
        referrers.clear();
        assertThat(empty.size()).isZero();
        assertThat(empty.referrers()).containsExactly(java.nio.file.Path.of("/o.qcow2"));
        assertThatThrownBy(() -> new CacheEntry(url, java.nio.file.Path.of("/c/e.img"), -1, java.time.Instant.EPOCH,
                false, sum, dev.diskimage.core.DiskFormat.RAW, java.time.Instant.EPOCH, java.util.List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("negative size -1");
    }

    @Test
    void refusalsNameTheUrlTheFileAndTheCause() {
        URI url = URI.create("https://mirror.invalid/e.img");
        dev.diskimage.core.ImageException reason = new dev.diskimage.core.ImageException("bad image");
        ImageRefusedException refused = new ImageRefusedException(url, reason);
        assertThat(refused.url()).isEqualTo(url);
        assertThat(refused.getCause()).isSameAs(reason);
        CacheEntryInUseException inUse = new CacheEntryInUseException(url, java.nio.file.Path.of("/c/e.img"), "why");
        assertThat(inUse.url()).isEqualTo(url);
        assertThat(inUse.path()).isEqualTo(java.nio.file.Path.of("/c/e.img"));
        assertThat(inUse).hasMessageContaining("why");
    }

    @Test
    void aDownloadThatStartsStalledAveragesItsFirstBytesIn() {
        AtomicLong nanos = new AtomicLong();
        TransferMeter meter = new TransferMeter(nanos::get);
        nanos.addAndGet(1_000_000_000L);
        assertThat(meter.update(0, OptionalLong.empty()).bytesPerSecond()).isEqualTo(0.0);
        nanos.addAndGet(1_000_000_000L);
        // A measured rate of 0 is a rate: the new sample enters with its weight (30% for 1 s).
        assertThat(meter.update(1000, OptionalLong.empty()).bytesPerSecond())
                .isCloseTo(300.0, org.assertj.core.data.Offset.offset(1e-6));
    }
}
