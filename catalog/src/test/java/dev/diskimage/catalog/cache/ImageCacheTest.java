package dev.diskimage.catalog.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.DiskFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache's behaviour in one process: reuse, corruption, records, referrers, prune. */
class ImageCacheTest {
    @TempDir
    Path temp;

    private TestServer server;
    private MutableClock clock;
    private ImageCache cache;

    @BeforeEach
    void start() throws Exception {
        server = new TestServer();
        clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        cache = ImageCache.open(temp.resolve("cache"), CacheOptions.defaults(), clock);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private CacheRequest request(String path, String fileName) {
        return CacheRequest.builder(server.uri(path), fileName).gate(TestImages.GATE, Optional.empty()).build();
    }

    private CachedImage fetch(String path, byte[] image) {
        server.serve(path, image);
        return cache.fetch(request(path, path.substring(path.lastIndexOf('/') + 1)));
    }

    @Test
    void downloadsOnceAndReusesTheEntry() throws Exception {
        byte[] image = TestImages.raw(300_000, 1);
        server.serve("/images/a.img", image);

        try (CachedImage first = cache.fetch(request("/images/a.img", "a.img"))) {
            assertThat(first.downloaded()).isTrue();
            assertThat(first.format()).isEqualTo(DiskFormat.RAW);
            assertThat(first.size()).isEqualTo(image.length);
            assertThat(Files.readAllBytes(first.path())).isEqualTo(image);
            assertThat(first.checksum()).contains(TestImages.sha256(image));
            assertThat(first.path()).isEqualTo(cache.root().resolve("by_location")
                    .resolve(sha1Hex(server.uri("/images/a.img").toString())).resolve("a.img"));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first.path()))).isEqualTo("r--r--r--");
        }
        try (CachedImage second = cache.fetch(request("/images/a.img", "a.img"))) {
            assertThat(second.downloaded()).isFalse();
            assertThat(Files.readAllBytes(second.path())).isEqualTo(image);
        }
        assertThat(server.gets("/images/a.img")).isEqualTo(1);
        try (CachedImage looked = cache.lookup(server.uri("/images/a.img"), "a.img").orElseThrow()) {
            assertThat(looked.format()).isEqualTo(DiskFormat.RAW);
        }
        assertThat(cache.lookup(server.uri("/images/other.img"), "other.img")).isEmpty();
        assertThat(cache.list()).singleElement().satisfies(entry -> {
            assertThat(entry.url()).isEqualTo(server.uri("/images/a.img"));
            assertThat(entry.size()).isEqualTo(image.length);
            assertThat(entry.inUse()).isFalse();
            assertThat(entry.checksum()).isEqualTo(TestImages.sha256(image));
        });
    }

    @Test
    void theCallersChecksumIsVerifiedAndRecordedInItsAlgorithm() throws Exception {
        byte[] image = TestImages.raw(1000, 2);
        server.serve("/b.img", image);
        Checksum md5 = new Checksum(ChecksumAlgorithm.MD5,
                java.util.HexFormat.of().formatHex(ChecksumAlgorithm.MD5.newDigest().digest(image)));
        try (CachedImage cached = cache.fetch(CacheRequest.builder(server.uri("/b.img"), "b.img")
                .checksum(md5).gate(TestImages.GATE, Optional.empty()).build())) {
            assertThat(cached.checksum()).contains(md5);
        }
        // A later caller with a SHA-256 sum: the file is hashed again in that algorithm, not downloaded.
        try (CachedImage cached = cache.fetch(CacheRequest.builder(server.uri("/b.img"), "b.img")
                .checksum(TestImages.sha256(image)).gate(TestImages.GATE, Optional.empty()).build())) {
            assertThat(cached.downloaded()).isFalse();
        }
        assertThat(server.gets("/b.img")).isEqualTo(1);
    }

    @Test
    void aChangedFileWithTheSameSizeIsDetectedByItsChecksumAndDownloadedAgain() throws Exception {
        byte[] image = TestImages.raw(100_000, 3);
        Path file;
        try (CachedImage cached = fetch("/c.img", image)) {
            file = cached.path();
        }
        corrupt(file, 50_000);

        try (CachedImage again = cache.fetch(request("/c.img", "c.img"))) {
            assertThat(again.downloaded()).isTrue();
            assertThat(Files.readAllBytes(again.path())).isEqualTo(image);
        }
        assertThat(server.gets("/c.img")).isEqualTo(2);
    }

    @Test
    void aChangeThatKeepsSizeAndModificationTimeIsStillDetected() throws Exception {
        byte[] image = TestImages.raw(100_000, 30);
        Path file;
        try (CachedImage cached = fetch("/same.img", image)) {
            file = cached.path();
        }
        FileTime before = Files.getLastModifiedTime(file);
        Thread.sleep(20); // the status-change time must be able to move
        corrupt(file, 10);
        Files.setLastModifiedTime(file, before); // as cp -p or rsync -t would leave it

        try (CachedImage again = cache.fetch(request("/same.img", "same.img"))) {
            assertThat(again.downloaded()).isTrue();
            assertThat(Files.readAllBytes(again.path())).isEqualTo(image);
        }
    }

    @Test
    void anUntouchedEntryIsNotHashedAgainButATouchedIntactOneIsKept() throws Exception {
        byte[] image = TestImages.raw(100_000, 31);
        Path file;
        try (CachedImage cached = fetch("/kept.img", image)) {
            file = cached.path();
        }
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(60)));

        try (CachedImage again = cache.fetch(request("/kept.img", "kept.img"))) {
            assertThat(again.downloaded()).isFalse();
        }
        assertThat(server.gets("/kept.img")).isEqualTo(1);
    }

    @Test
    void aTruncatedFileIsDetectedByItsSizeAndLookupReportsNothing() throws Exception {
        byte[] image = TestImages.raw(100_000, 4);
        Path file;
        try (CachedImage cached = fetch("/d.img", image)) {
            file = cached.path();
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            channel.truncate(10_000);
        }

        assertThat(cache.lookup(server.uri("/d.img"), "d.img")).isEmpty();
        assertThat(file).doesNotExist();
        try (CachedImage again = cache.fetch(request("/d.img", "d.img"))) {
            assertThat(again.downloaded()).isTrue();
        }
    }

    @Test
    void aNewChecksumFromTheMirrorReplacesTheEntry() throws Exception {
        byte[] old = TestImages.raw(1000, 5);
        byte[] updated = TestImages.raw(1000, 6);
        fetch("/e.img", old).close();
        server.serve("/e.img", updated);

        try (CachedImage cached = cache.fetch(CacheRequest.builder(server.uri("/e.img"), "e.img")
                .checksum(TestImages.sha256(updated)).gate(TestImages.GATE, Optional.empty()).build())) {
            assertThat(cached.downloaded()).isTrue();
            assertThat(Files.readAllBytes(cached.path())).isEqualTo(updated);
        }
    }

    @Test
    void aNewImageAtTheSameUrlDoesNotReplaceAnEntryInUse() throws Exception {
        byte[] old = TestImages.raw(1000, 40);
        byte[] updated = TestImages.raw(1000, 41);
        Path overlay = temp.resolve("overlay.qcow2");
        Files.write(overlay, new byte[1]);
        try (CachedImage held = fetch("/current.img", old)) {
            cache.addReferrer(held, overlay);
        }
        server.serve("/current.img", updated);
        CacheRequest newer = CacheRequest.builder(server.uri("/current.img"), "current.img")
                .checksum(TestImages.sha256(updated)).gate(TestImages.GATE, Optional.empty()).build();

        assertThatThrownBy(() -> cache.fetch(newer))
                .isInstanceOfSatisfying(CacheEntryInUseException.class,
                        e -> assertThat(e.url()).isEqualTo(server.uri("/current.img")))
                .hasMessageContaining("in use").hasMessageContaining(TestImages.sha256(updated).toString());
        assertThat(server.gets("/current.img")).isEqualTo(1);
        try (CachedImage still = cache.lookup(server.uri("/current.img"), "current.img").orElseThrow()) {
            assertThat(Files.readAllBytes(still.path())).isEqualTo(old);
        }

        Files.delete(overlay);
        try (CachedImage replaced = cache.fetch(newer)) {
            assertThat(replaced.downloaded()).isTrue();
            assertThat(Files.readAllBytes(replaced.path())).isEqualTo(updated);
        }
    }

    @Test
    void aDamagedEntryInUseIsRepairedOnlyWithItsOwnBytesAndKeepsItsReferrers() throws Exception {
        byte[] image = TestImages.raw(100_000, 42);
        Path overlay = temp.resolve("overlay.qcow2");
        Files.write(overlay, new byte[1]);
        Path file;
        try (CachedImage held = fetch("/base.img", image)) {
            cache.addReferrer(held, overlay);
            file = held.path();
        }
        corrupt(file, 500);
        assertThat(cache.lookup(server.uri("/base.img"), "base.img")).isEmpty();
        assertThat(file).exists(); // in use: lookup reports it unusable but does not delete it

        // The mirror now serves other bytes: they may not go under the overlay.
        server.serve("/base.img", TestImages.raw(100_000, 43));
        assertThatThrownBy(() -> cache.fetch(request("/base.img", "base.img")))
                .isInstanceOf(ChecksumMismatchException.class);

        server.serve("/base.img", image);
        try (CachedImage repaired = cache.fetch(request("/base.img", "base.img"))) {
            assertThat(repaired.downloaded()).isTrue();
            assertThat(Files.readAllBytes(repaired.path())).isEqualTo(image);
        }
        assertThat(cache.list()).singleElement().satisfies(entry -> {
            assertThat(entry.referrers()).containsExactly(overlay);
            assertThat(entry.inUse()).isTrue();
        });
    }

    @Test
    void aFailedReplacementLeavesTheOldEntryWhole() throws Exception {
        byte[] old = TestImages.raw(1000, 44);
        fetch("/keep.img", old).close();
        server.handle("/keep.img", exchange -> exchange.sendResponseHeaders(503, -1));
        CacheRequest newer = CacheRequest.builder(server.uri("/keep.img"), "keep.img")
                .checksum(TestImages.sha256(TestImages.raw(1000, 45))).gate(TestImages.GATE, Optional.empty()).build();

        assertThatThrownBy(() -> cache.fetch(newer)).isInstanceOf(DownloadFailedException.class);

        try (CachedImage still = cache.lookup(server.uri("/keep.img"), "keep.img").orElseThrow()) {
            assertThat(Files.readAllBytes(still.path())).isEqualTo(old);
        }
    }

    @Test
    void aTamperedRecordIsIgnoredAndTheEntryDownloadedAgain() throws Exception {
        byte[] image = TestImages.raw(1000, 7);
        Path record;
        try (CachedImage cached = fetch("/f.img", image)) {
            record = cached.path().resolveSibling(".f.img.json");
        }
        String json = Files.readString(record);
        for (String tampered : List.of(
                json.replace("\"size\":1000", "\"size\":-1"),
                json.replace("\"size\":1000", "\"size\":99999999999999999999999"),
                json.replace("\"version\":1", "\"version\":2"),
                json.replace("\"referrers\":[]", "\"referrers\":[\"relative/path\"]"),
                json.replace("\"format\":\"raw\"", "\"format\":\"floppy\""),
                json.replace("\"size\":1000", "\"size\":1000,\"size\":1000"),
                json.replace("\"last_used\":\"", "\"last_used\":\"x"),
                "{\"version\":1}",
                "not json")) {
            Files.writeString(record, tampered);
            assertThat(cache.list()).as(tampered).isEmpty();
            try (CachedImage again = cache.fetch(request("/f.img", "f.img"))) {
                assertThat(again.downloaded()).as(tampered).isTrue();
            }
        }
    }

    @Test
    void aFileWithoutARecordIsNoEntryAndPruneRemovesIt() throws Exception {
        Path file;
        try (CachedImage cached = fetch("/g.img", TestImages.raw(1000, 8))) {
            file = cached.path();
        }
        // As if the process was killed between the rename and writing the record.
        Files.delete(file.resolveSibling(".g.img.json"));
        Path partial = file.resolveSibling(".g.img.partial-999999999-0123456789abcdef");
        Files.write(partial, new byte[10]);

        assertThat(cache.list()).isEmpty();
        assertThat(cache.lookup(server.uri("/g.img"), "g.img")).isEmpty();
        cache.prune(new PrunePolicy(OptionalLong.empty(), Optional.empty()));
        assertThat(file).doesNotExist();
        assertThat(partial).doesNotExist();
    }

    @Test
    void pruneRemovesLeastRecentlyUsedFirstUntilUnderTheLimit() throws Exception {
        fetch("/1.img", TestImages.raw(1000, 11)).close();
        clock.advance(Duration.ofHours(1));
        fetch("/2.img", TestImages.raw(1000, 12)).close();
        clock.advance(Duration.ofHours(1));
        fetch("/3.img", TestImages.raw(1000, 13)).close();
        clock.advance(Duration.ofHours(1));
        cache.lookup(server.uri("/1.img"), "1.img").orElseThrow().close(); // 1 is now the most recent

        PruneResult result = cache.prune(PrunePolicy.maxBytes(2000));

        assertThat(result.removed()).extracting(CacheEntry::url).containsExactly(server.uri("/2.img"));
        assertThat(result.bytesFreed()).isEqualTo(1000);
        assertThat(result.keptInUse()).isEmpty();
        assertThat(cache.list()).extracting(CacheEntry::url).containsExactly(server.uri("/1.img"), server.uri("/3.img"));
    }

    @Test
    void pruneRemovesEverythingUnusedForLongerThanTheMaximumAge() throws Exception {
        fetch("/old.img", TestImages.raw(1000, 14)).close();
        clock.advance(Duration.ofDays(31));
        fetch("/new.img", TestImages.raw(1000, 15)).close();
        clock.advance(Duration.ofDays(1));

        PruneResult result = cache.prune(PrunePolicy.maxAge(Duration.ofDays(30)));

        assertThat(result.removed()).extracting(CacheEntry::url).containsExactly(server.uri("/old.img"));
        assertThat(cache.list()).extracting(CacheEntry::url).containsExactly(server.uri("/new.img"));
    }

    @Test
    void pruneNeverRemovesAnOpenEntryOrOneWithALivingReferrer() throws Exception {
        CachedImage open = fetch("/open.img", TestImages.raw(1000, 16));
        Path overlay = temp.resolve("overlay.qcow2");
        Files.write(overlay, new byte[1]);
        try (CachedImage referred = fetch("/referred.img", TestImages.raw(1000, 17))) {
            cache.addReferrer(referred, overlay);
        }
        fetch("/free.img", TestImages.raw(1000, 18)).close();

        PruneResult first = cache.prune(PrunePolicy.maxBytes(0));

        assertThat(first.removed()).extracting(CacheEntry::url).containsExactly(server.uri("/free.img"));
        assertThat(first.keptInUse()).extracting(CacheEntry::url)
                .containsExactlyInAnyOrder(server.uri("/open.img"), server.uri("/referred.img"));
        assertThat(cache.list()).filteredOn(e -> e.url().equals(server.uri("/referred.img")))
                .singleElement().satisfies(e -> assertThat(e.referrers()).containsExactly(overlay));

        open.close();
        Files.delete(overlay);
        PruneResult second = cache.prune(PrunePolicy.maxBytes(0));
        assertThat(second.removed()).hasSize(2);
        assertThat(cache.list()).isEmpty();
    }

    @Test
    void aHeldLeastRecentlyUsedEntryIsSkippedAndTheNextOneRemoved() throws Exception {
        try (CachedImage open = fetch("/held.img", TestImages.raw(3000, 19))) {
            clock.advance(Duration.ofMinutes(1));
            fetch("/small.img", TestImages.raw(1000, 20)).close();

            PruneResult result = cache.prune(PrunePolicy.maxBytes(3500));

            // 4000 bytes; the least recently used entry is held, so the next one goes instead.
            assertThat(result.removed()).extracting(CacheEntry::url).containsExactly(server.uri("/small.img"));
            assertThat(result.keptInUse()).extracting(CacheEntry::url).containsExactly(server.uri("/held.img"));
        }
    }

    @Test
    void progressIsReportedFromZeroToTheTotal() throws Exception {
        byte[] image = TestImages.raw(3 << 20, 21);
        server.serveSlowly("/p.img", image, 6, 60);
        List<long[]> calls = new ArrayList<>();
        try (CachedImage cached = cache.fetch(CacheRequest.builder(server.uri("/p.img"), "p.img")
                .gate(TestImages.GATE, Optional.empty())
                .progress((name, bytes, total) -> {
                    assertThat(name).isEqualTo("p.img");
                    calls.add(new long[] {bytes, total.orElse(-1)});
                }).build())) {
            assertThat(cached.downloaded()).isTrue();
        }
        assertThat(calls.size()).isGreaterThanOrEqualTo(3);
        assertThat(calls.get(0)).containsExactly(0, image.length);
        assertThat(calls.get(calls.size() - 1)).containsExactly(image.length, image.length);
        for (int i = 1; i < calls.size(); i++) {
            assertThat(calls.get(i)[0]).isGreaterThanOrEqualTo(calls.get(i - 1)[0]);
        }
    }

    @Test
    void aDecoderStoresDecodedBytesWhoseChecksumIsVerified() throws Exception {
        byte[] image = TestImages.raw(200_000, 22);
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (OutputStream gzip = new GZIPOutputStream(compressed)) {
            gzip.write(image);
        }
        server.serve("/z.img.gz", compressed.toByteArray());

        try (CachedImage cached = cache.fetch(CacheRequest.builder(server.uri("/z.img.gz"), "z.img")
                .checksum(TestImages.sha256(image)).decoder(GZIPInputStream::new)
                .gate(TestImages.GATE, Optional.of(DiskFormat.RAW)).build())) {
            assertThat(Files.readAllBytes(cached.path())).isEqualTo(image);
            assertThat(cached.size()).isEqualTo(image.length);
        }
    }

    @Test
    void fileUrlsAndOwnSourcesAreCachedLikeDownloads() throws Exception {
        byte[] image = TestImages.raw(5000, 23);
        Path local = temp.resolve("local.img");
        Files.write(local, image);
        try (CachedImage cached = cache.fetch(CacheRequest.builder(local.toUri(), "local.img")
                .gate(TestImages.GATE, Optional.empty()).build())) {
            assertThat(Files.readAllBytes(cached.path())).isEqualTo(image);
        }
        URI named = URI.create("https://templates.invalid/repo/t1");
        try (CachedImage cached = cache.fetch(CacheRequest.builder(named, "t1")
                .source(() -> new Download(new java.io.ByteArrayInputStream(image), OptionalLong.empty()))
                .gate(TestImages.GATE, Optional.empty()).build())) {
            assertThat(cached.url()).isEqualTo(named);
            assertThat(Files.readAllBytes(cached.path())).isEqualTo(image);
        }
        assertThat(cache.list()).hasSize(2);
    }

    @Test
    void closingTwiceIsHarmlessAndAReferrerNeedsAnEntryOfThisCache() throws Exception {
        CachedImage cached = fetch("/h.img", TestImages.raw(100, 24));
        cached.close();
        cached.close();
        ImageCache other = ImageCache.open(temp.resolve("other"));
        assertThatThrownBy(() -> other.addReferrer(cached, temp.resolve("x")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fileNamesThatLookLikePrivateFilesAreOrdinaryEntries() throws Exception {
        // The record of this entry is ".a.partial-1-0123456789abcdef.json": not a partial file.
        String tricky = "a.partial-1-0123456789abcdef";
        byte[] image = TestImages.raw(1000, 50);
        server.serve("/tricky", image);
        cache.fetch(request("/tricky", tricky)).close();
        cache.fetch(request("/tricky", "x.json")).close();
        cache.prune(new PrunePolicy(OptionalLong.empty(), Optional.empty()));

        assertThat(cache.list()).extracting(e -> e.path().getFileName().toString())
                .containsExactlyInAnyOrder(tricky, "x.json");
        try (CachedImage again = cache.fetch(request("/tricky", tricky))) {
            assertThat(again.downloaded()).isFalse();
        }
        assertThat(server.gets("/tricky")).isEqualTo(2);
    }

    @Test
    void theDefaultRootFollowsTheEnvironment() {
        assertThat(ImageCache.defaultRoot(Map.of("DISKIMAGE_CACHE_DIR", "/d", "XDG_CACHE_HOME", "/x"), "/home/u"))
                .isEqualTo(Path.of("/d"));
        assertThat(ImageCache.defaultRoot(Map.of("XDG_CACHE_HOME", "/x"), "/home/u"))
                .isEqualTo(Path.of("/x/diskimage"));
        assertThat(ImageCache.defaultRoot(Map.of("XDG_CACHE_HOME", "relative"), "/home/u"))
                .isEqualTo(Path.of("/home/u/.cache/diskimage"));
        assertThat(ImageCache.defaultRoot(Map.of(), "/home/u")).isEqualTo(Path.of("/home/u/.cache/diskimage"));
    }

    /** Overwrites a byte in place (the file is read-only, as the cache leaves it) and moves its mtime. */
    private static void corrupt(Path file, int offset) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.wrap("X".getBytes(StandardCharsets.US_ASCII)), offset);
        }
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
    }

    private static String sha1Hex(String text) {
        return java.util.HexFormat.of().formatHex(ChecksumAlgorithm.SHA1.newDigest()
                .digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** A clock the test moves. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
