package dev.diskimage.catalog.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.ImageException;
import dev.diskimage.core.NotEnoughSpaceException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache at its edges: the referrer limit, ties in the least-recently-used order, an entry
 * changed by another thread while prune runs, a record lost under an open entry, a repair that
 * must match two digests, progress of a fast download, and lengths a server announces.
 */
class ImageCacheEdgesTest {
    @TempDir
    Path temp;

    private TestServer server;
    private ImageCacheTest.MutableClock clock;
    private ImageCache cache;

    @BeforeEach
    void start() throws Exception {
        server = new TestServer();
        clock = new ImageCacheTest.MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        cache = ImageCache.open(temp.resolve("cache"), CacheOptions.defaults(), clock);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private CacheRequest request(String path) {
        return CacheRequest.builder(server.uri(path), path.substring(1)).gate(TestImages.GATE, Optional.empty()).build();
    }

    private CachedImage fetch(String path, byte[] image) {
        server.serve(path, image);
        return cache.fetch(request(path));
    }

    private static Checksum md5(byte[] bytes) {
        return new Checksum(ChecksumAlgorithm.MD5, HexFormat.of().formatHex(ChecksumAlgorithm.MD5.newDigest().digest(bytes)));
    }

    @Test
    void anEntryKeeps1024LivingReferrersAndForgetsThoseThatAreGone() throws Exception {
        Path overlays = Files.createDirectory(temp.resolve("overlays"));
        try (CachedImage image = fetch("/r.img", TestImages.raw(100, 1))) {
            for (int i = 0; i < EntryRecord.MAX_REFERRERS; i++) {
                cache.addReferrer(image, Files.createFile(overlays.resolve(i + ".qcow2")));
            }
            Path oneMore = Files.createFile(overlays.resolve("more.qcow2"));
            assertThatThrownBy(() -> cache.addReferrer(image, oneMore)).isInstanceOf(ImageException.class)
                    .hasMessageContaining("already has 1024 referrers; " + oneMore + " was not recorded");
            // Adding one already recorded keeps the count.
            cache.addReferrer(image, overlays.resolve("0.qcow2"));

            Files.delete(overlays.resolve("0.qcow2"));
            cache.addReferrer(image, oneMore);
            assertThat(cache.list()).singleElement().satisfies(entry -> {
                assertThat(entry.referrers()).hasSize(EntryRecord.MAX_REFERRERS).contains(oneMore)
                        .doesNotContain(overlays.resolve("0.qcow2"));
            });
        }
    }

    @Test
    void entriesUsedAtTheSameInstantAreListedAndPrunedInPathOrder() throws Exception {
        List<String> names = List.of("/t1.img", "/t2.img", "/t3.img", "/t4.img");
        for (int i = 0; i < names.size(); i++) {
            fetch(names.get(i), TestImages.raw(1000, 10 + i)).close(); // the clock does not move
        }
        List<CacheEntry> listed = cache.list();
        assertThat(listed).extracting(e -> e.path().toString())
                .isSortedAccordingTo(Comparator.naturalOrder()).hasSize(4);

        PruneResult result = cache.prune(PrunePolicy.maxBytes(2000));

        assertThat(result.removed()).extracting(CacheEntry::path)
                .containsExactly(listed.get(0).path(), listed.get(1).path());
        assertThat(result.bytesFreed()).isEqualTo(2000);
        assertThat(cache.list()).extracting(CacheEntry::path).containsExactly(listed.get(2).path(), listed.get(3).path());
    }

    @Test
    void theListingIsMostRecentlyUsedFirstWhateverTheDirectoryOrder() throws Exception {
        fetch("/x.img", TestImages.raw(100, 70)).close();
        clock.advance(Duration.ofMinutes(1));
        fetch("/y.img", TestImages.raw(100, 71)).close();
        clock.advance(Duration.ofMinutes(1));
        assertThat(cache.list()).extracting(CacheEntry::url).containsExactly(server.uri("/y.img"), server.uri("/x.img"));
        cache.lookup(server.uri("/x.img"), "x.img").orElseThrow().close();
        assertThat(cache.list()).extracting(CacheEntry::url).containsExactly(server.uri("/x.img"), server.uri("/y.img"));
    }

    @Test
    void filesOfOneUrlUsedAtTheSameInstantAreListedByPath() throws Exception {
        server.serve("/same", TestImages.raw(100, 72));
        // Created out of order, so that no directory order lists them sorted by chance.
        List<String> names = List.of("c.img", "a.img", "f.img", "b.img", "e.img", "d.img");
        for (String name : names) {
            cache.fetch(CacheRequest.builder(server.uri("/same"), name).gate(TestImages.GATE, Optional.empty())
                    .build()).close();
        }
        assertThat(cache.list()).extracting(e -> e.path().getFileName().toString())
                .containsExactly("a.img", "b.img", "c.img", "d.img", "e.img", "f.img");
    }

    @Test
    void entriesUsedAndListedLeaveNoLockFileOpen() throws Exception {
        long before = openDescriptors();
        for (int i = 0; i < 40; i++) {
            byte[] image = TestImages.raw(100, 80 + i);
            cache.fetch(CacheRequest.builder(URI.create("https://mirror.invalid/fd/" + i), "f.img")
                    .source(() -> new Download(new ByteArrayInputStream(image), OptionalLong.of(image.length)))
                    .gate(TestImages.GATE, Optional.empty()).build()).close();
        }
        assertThat(cache.list()).hasSize(40);
        // Each entry directory's lock file is open only while it is locked or held.
        assertThat(openDescriptors()).isLessThan(before + 10);
    }

    static long openDescriptors() throws IOException {
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    @Test
    void pruneKeepsAnEntryAnotherThreadIsChangingAndAnAgeOfExactlyTheLimitIsNotOld() throws Exception {
        CachedImage busy = fetch("/busy.img", TestImages.raw(1000, 20));
        busy.close();
        clock.advance(Duration.ofDays(1));
        fetch("/edge.img", TestImages.raw(1000, 21)).close();
        clock.advance(Duration.ofDays(1));
        Path directory = busy.path().getParent();
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread changer = new Thread(() -> {
            try (EntryLocks.Change change = EntryLocks.change(directory)) {
                locked.countDown();
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        changer.start();
        locked.await();
        PruneResult result;
        try {
            result = cache.prune(PrunePolicy.maxAge(Duration.ofDays(1)));
        } finally {
            done.countDown();
            changer.join();
        }
        // busy.img is two days old but locked; edge.img is exactly one day old: not older than the limit.
        assertThat(result.removed()).isEmpty();
        assertThat(result.keptInUse()).extracting(CacheEntry::url).containsExactly(server.uri("/busy.img"));
        assertThat(cache.prune(PrunePolicy.maxAge(Duration.ofDays(1))).removed()).extracting(CacheEntry::url)
                .containsExactly(server.uri("/busy.img"));
        assertThat(cache.list()).extracting(CacheEntry::url).containsExactly(server.uri("/edge.img"));
    }

    @Test
    void anOpenEntryWhoseRecordWasLostIsNotReplaced() throws Exception {
        byte[] image = TestImages.raw(1000, 30);
        try (CachedImage held = fetch("/lost.img", image)) {
            Files.delete(held.path().resolveSibling(".lost.img.json"));
            server.serve("/lost.img", TestImages.raw(1000, 31));
            assertThatThrownBy(() -> cache.fetch(request("/lost.img")))
                    .isInstanceOf(CacheEntryInUseException.class)
                    .hasMessageContaining("its record is missing or unreadable");
            assertThat(Files.readAllBytes(held.path())).isEqualTo(image);
        }
        try (CachedImage again = cache.fetch(request("/lost.img"))) {
            assertThat(again.downloaded()).isTrue();
        }
    }

    @Test
    void anIntactEntryIsDownloadedAgainWhenTheCallersDigestInAnotherAlgorithmDiffers() throws Exception {
        byte[] old = TestImages.raw(1000, 40);
        byte[] updated = TestImages.raw(1000, 41);
        fetch("/md5.img", old).close(); // recorded in SHA-256
        server.serve("/md5.img", updated);

        try (CachedImage cached = cache.fetch(CacheRequest.builder(server.uri("/md5.img"), "md5.img")
                .checksum(md5(updated)).gate(TestImages.GATE, Optional.empty()).build())) {
            assertThat(cached.downloaded()).isTrue();
            assertThat(Files.readAllBytes(cached.path())).isEqualTo(updated);
            assertThat(cached.checksum()).contains(md5(updated));
            assertThat(cached).hasToString("CachedImage[" + server.uri("/md5.img") + " at " + cached.path()
                    + ", raw, 1000 bytes]");
        }
        assertThat(server.gets("/md5.img")).isEqualTo(2);
    }

    @Test
    void aDamagedEntryInUseIsRepairedWithTheCallersDigestInAnotherAlgorithm() throws Exception {
        byte[] image = TestImages.raw(100_000, 42);
        Path overlay = Files.write(temp.resolve("overlay.qcow2"), new byte[1]);
        Path file;
        try (CachedImage held = fetch("/repair.img", image)) {
            cache.addReferrer(held, overlay);
            file = held.path();
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.wrap("X".getBytes(StandardCharsets.US_ASCII)), 500);
        }
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));

        // Both the caller's MD5 and the recorded SHA-256 must hold for the replacement.
        try (CachedImage repaired = cache.fetch(CacheRequest.builder(server.uri("/repair.img"), "repair.img")
                .checksum(md5(image)).gate(TestImages.GATE, Optional.empty()).build())) {
            assertThat(repaired.downloaded()).isTrue();
            assertThat(Files.readAllBytes(repaired.path())).isEqualTo(image);
            assertThat(repaired.checksum()).contains(md5(image));
        }
        assertThat(cache.list()).singleElement().satisfies(e -> assertThat(e.referrers()).containsExactly(overlay));
    }

    @Test
    void aFastDownloadReportsItsStartAndItsEndOnly() throws Exception {
        byte[] image = TestImages.raw(3 << 20, 50);
        List<long[]> calls = new ArrayList<>();
        try (CachedImage cached = cache.fetch(CacheRequest.builder(URI.create("https://mirror.invalid/fast.img"),
                        "fast.img")
                .source(() -> new Download(new ByteArrayInputStream(image), OptionalLong.of(image.length)))
                .progress((name, bytes, total) -> calls.add(new long[] {bytes, total.orElse(-1)}))
                .gate(TestImages.GATE, Optional.empty()).build())) {
            assertThat(cached.size()).isEqualTo(image.length);
        }
        // Reports are at most every 100 ms: four reads of 1 MiB take far less (one may slip in on a slow machine).
        assertThat(calls.size()).isBetween(2, 3);
        assertThat(calls.get(0)).containsExactly(0, image.length);
        assertThat(calls.get(calls.size() - 1)).containsExactly(image.length, image.length);
    }

    @Test
    void theDefaultRootIsTheEnvironmentsAndTheLocksKeepTheThreadsInterruptStatus() throws Exception {
        assertThat(ImageCache.defaultRoot())
                .isEqualTo(ImageCache.defaultRoot(System.getenv(), System.getProperty("user.home")));
        Path directory;
        try (CachedImage held = fetch("/i.img", TestImages.raw(100, 60))) {
            directory = held.path().getParent();
            Thread.currentThread().interrupt();
            try {
                assertThat(EntryLocks.inUse(directory)).isTrue();
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            } finally {
                Thread.interrupted();
            }
        }
        Thread.currentThread().interrupt();
        try {
            // The lock calls clear the status around the channel (which an interrupt would close) and restore it.
            assertThat(EntryLocks.inUse(directory)).isFalse();
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
            EntryLocks.Change change = EntryLocks.tryChange(directory);
            assertThat(change).isNotNull();
            assertThat(change.heldAnywhere()).isFalse();
            change.close();
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(cache.prune(PrunePolicy.maxBytes(0)).removed()).hasSize(1);
    }

    /**
     * An HTTP server on 127.0.0.1 answering every request with the given head and four bytes of
     * body; then it closes the connection, or with {@code holdOpen} waits for the client to close it.
     */
    private static final class RawServer implements AutoCloseable {
        private final ServerSocket socket;
        private final Thread thread;

        RawServer(String head, boolean holdOpen) throws IOException {
            socket = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
            thread = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (Socket client = socket.accept()) {
                        InputStream in = client.getInputStream();
                        // read the request head
                        int state = 0;
                        while (state < 4) {
                            int b = in.read();
                            if (b < 0) {
                                break;
                            }
                            state = (b == '\r' || b == '\n') ? state + 1 : 0;
                        }
                        OutputStream out = client.getOutputStream();
                        out.write(head.getBytes(StandardCharsets.US_ASCII));
                        out.write("RAW-".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        if (holdOpen) {
                            // Until the client hangs up: it must not see the body end before it looks at the length.
                            client.setSoTimeout(10_000);
                            while (in.read() >= 0) {
                                // discard
                            }
                        }
                    } catch (IOException e) {
                        // closed
                    }
                }
            });
            thread.setDaemon(true);
            thread.start();
        }

        URI uri(String path) {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort() + path);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void aLengthOfUpTo18DigitsIsBelievedAndCheckedAgainstTheFreeSpace() throws Exception {
        // 10^18 - 1 bytes cannot fit: refused before a byte is stored.
        try (RawServer raw = new RawServer("HTTP/1.1 200 OK\r\nContent-Length: 999999999999999999"
                + "\r\nConnection: close\r\n\r\n", true)) {
            assertThatThrownBy(() -> cache.fetch(CacheRequest.builder(raw.uri("/huge.img"), "huge.img")
                    .gate(TestImages.GATE, Optional.empty()).build()))
                    .isInstanceOf(NotEnoughSpaceException.class);
        }
        // 19 digits are not believed: the body decides, and it is cut short.
        try (RawServer raw = new RawServer("HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000000"
                + "\r\nConnection: close\r\n\r\n", false)) {
            assertThatThrownBy(() -> cache.fetch(CacheRequest.builder(raw.uri("/huge.img"), "huge.img")
                    .gate(TestImages.GATE, Optional.empty()).build()))
                    .isInstanceOf(DownloadFailedException.class);
        }
    }
}
