package dev.diskimage.catalog.cache;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Threads and processes sharing one cache: one download, crash safety, holds across processes. */
class ImageCacheConcurrencyTest {
    @TempDir
    Path temp;

    private TestServer server;
    private Path root;

    @BeforeEach
    void start() throws Exception {
        server = new TestServer();
        root = temp.resolve("cache");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private CacheRequest request(URI url, String fileName) {
        return CacheRequest.builder(url, fileName).gate(TestImages.GATE, Optional.empty()).build();
    }

    @Test
    void eightThreadsAskingAtOnceCauseOneDownload() throws Exception {
        byte[] image = TestImages.raw(2 << 20, 2);
        server.serveSlowly("/a.img", image, 8, 100);
        URI url = server.uri("/a.img");
        int threads = 8;
        CountDownLatch ready = new CountDownLatch(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                // each thread opens its own ImageCache on the same root, as separate callers would
                results.add(pool.submit(() -> {
                    ImageCache cache = ImageCache.open(root);
                    ready.countDown();
                    ready.await();
                    try (CachedImage cached = cache.fetch(request(url, "a.img"))) {
                        assertThat(Files.readAllBytes(cached.path())).isEqualTo(image);
                        return cached.downloaded();
                    }
                }));
            }
            int downloads = 0;
            for (Future<Boolean> result : results) {
                downloads += result.get(60, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(downloads).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(server.gets("/a.img")).isEqualTo(1);
        assertThat(ImageCache.open(root).list()).singleElement()
                .satisfies(entry -> assertThat(entry.inUse()).isFalse());
    }

    @Test
    void twoProcessesAskingAtOnceCauseOneDownload() throws Exception {
        byte[] image = TestImages.raw(2 << 20, 3);
        server.serveSlowly("/b.img", image, 10, 150);
        URI url = server.uri("/b.img");
        Process child = CacheChild.start("fetch", root.toString(), url.toString(), "b.img");
        try {
            waitFor(() -> server.gets("/b.img") == 1, child);
            // The child is downloading now; this process waits for its lock and finds the entry.
            try (CachedImage cached = ImageCache.open(root).fetch(request(url, "b.img"))) {
                assertThat(cached.downloaded()).isFalse();
                assertThat(Files.readAllBytes(cached.path())).isEqualTo(image);
            }
            String output = new String(child.getInputStream().readAllBytes(), UTF_8);
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).isZero();
            assertThat(output.trim()).isEqualTo("downloaded=true");
        } finally {
            child.destroyForcibly();
        }
        assertThat(server.gets("/b.img")).isEqualTo(1);
    }

    @Test
    void aDownloadKilledMidwayLeavesNoEntryAndTheNextFetchCleansUp() throws Exception {
        byte[] image = TestImages.raw(4 << 20, 4);
        server.serveSlowly("/c.img", image, 40, 250);
        URI url = server.uri("/c.img");
        ImageCache cache = ImageCache.open(root);
        Path directory = cache.entryDirectory(url);
        Process child = CacheChild.start("fetch", root.toString(), url.toString(), "c.img");
        try {
            waitFor(() -> partialBytes(directory) > 0, child);
        } finally {
            child.destroyForcibly(); // SIGKILL: no cleanup runs in the child
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(names(directory)).anyMatch(name -> name.startsWith(".c.img.partial-" + child.pid() + "-"))
                .doesNotContain("c.img", ".c.img.json");
        assertThat(cache.list()).isEmpty();
        assertThat(cache.lookup(url, "c.img")).isEmpty();

        server.serve("/c.img", image);
        try (CachedImage cached = cache.fetch(request(url, "c.img"))) {
            assertThat(cached.downloaded()).isTrue();
            assertThat(Files.readAllBytes(cached.path())).isEqualTo(image);
        }
        assertThat(names(directory)).containsExactlyInAnyOrder("c.img", ".c.img.json", ".lock");
    }

    @Test
    void pruneKeepsAnEntryAnotherProcessHoldsAndRemovesItOnceReleased() throws Exception {
        byte[] image = TestImages.raw(100_000, 5);
        server.serve("/d.img", image);
        URI url = server.uri("/d.img");
        ImageCache cache = ImageCache.open(root);
        Process child = CacheChild.start("hold", root.toString(), url.toString(), "d.img");
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), UTF_8));
            assertThat(lines.readLine()).isEqualTo("holding");
            assertThat(cache.list()).singleElement().satisfies(entry -> assertThat(entry.inUse()).isTrue());

            PruneResult held = cache.prune(PrunePolicy.maxBytes(0));

            assertThat(held.removed()).isEmpty();
            assertThat(held.keptInUse()).extracting(CacheEntry::url).containsExactly(url);
            child.getOutputStream().close();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).isZero();
        } finally {
            child.destroyForcibly();
        }
        PruneResult released = cache.prune(PrunePolicy.maxBytes(0));
        assertThat(released.removed()).extracting(CacheEntry::url).containsExactly(url);
        assertThat(released.bytesFreed()).isEqualTo(image.length);
        assertThat(cache.list()).isEmpty();
    }

    @Test
    void aHolderKilledWithSigkillNoLongerKeepsTheEntry() throws Exception {
        server.serve("/e.img", TestImages.raw(10_000, 6));
        URI url = server.uri("/e.img");
        Process child = CacheChild.start("hold", root.toString(), url.toString(), "e.img");
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), UTF_8));
            assertThat(lines.readLine()).isEqualTo("holding");
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        ImageCache cache = ImageCache.open(root);
        assertThat(cache.prune(PrunePolicy.maxBytes(0)).removed()).hasSize(1);
    }

    @Test
    void anInterruptedThreadDoesNotDropTheHoldsOfOthers() throws Exception {
        server.serve("/f.img", TestImages.raw(10_000, 7));
        URI url = server.uri("/f.img");
        ImageCache cache = ImageCache.open(root);
        try (CachedImage held = cache.fetch(request(url, "f.img"))) {
            // A thread whose interrupt status is set uses the same entry: the JDK closes a channel an
            // interrupted thread touches, which would drop every lock of this JVM on that file.
            Thread interrupted = new Thread(() -> {
                Thread.currentThread().interrupt();
                try {
                    cache.fetch(request(url, "f.img")).close();
                } catch (RuntimeException e) {
                    // an interrupted thread may fail on its own files; the hold of the others must stay
                }
                try {
                    cache.list();
                } catch (RuntimeException e) {
                    // as above
                }
            });
            interrupted.start();
            interrupted.join();

            Process child = CacheChild.start("prune", root.toString());
            String output = new String(child.getInputStream().readAllBytes(), UTF_8);
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(output.trim()).isEqualTo("removed=0");
            assertThat(held.path()).exists();
        }
        Process child = CacheChild.start("prune", root.toString());
        String output = new String(child.getInputStream().readAllBytes(), UTF_8);
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(output.trim()).isEqualTo("removed=1");
    }

    @Test
    void aThreadInterruptedWhileWaitingForADownloadStopsWaitingAndTheDownloadGoesOn() throws Exception {
        byte[] image = TestImages.raw(1 << 20, 8);
        server.serveSlowly("/g.img", image, 10, 100);
        URI url = server.uri("/g.img");
        ImageCache cache = ImageCache.open(root);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Boolean> downloading = pool.submit(() -> {
                try (CachedImage cached = cache.fetch(request(url, "g.img"))) {
                    return cached.downloaded();
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (server.gets("/g.img") == 0) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(5);
            }
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.atomic.AtomicBoolean stillInterrupted = new java.util.concurrent.atomic.AtomicBoolean();
            Thread waiting = new Thread(() -> {
                try {
                    cache.fetch(request(url, "g.img")).close();
                } catch (RuntimeException e) {
                    failure.set(e);
                    stillInterrupted.set(Thread.currentThread().isInterrupted());
                }
            });
            waiting.start();
            Thread.sleep(100);
            waiting.interrupt();
            waiting.join(10_000);

            assertThat(failure.get()).isInstanceOf(dev.diskimage.core.ImageException.class)
                    .hasMessageContaining("interrupted while waiting");
            assertThat(stillInterrupted).isTrue();
            assertThat(downloading.get(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            pool.shutdownNow();
        }
        assertThat(server.gets("/g.img")).isEqualTo(1);
    }

    private interface Condition {
        boolean holds() throws IOException;
    }

    private static void waitFor(Condition condition, Process child) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.holds()) {
            assertThat(child.isAlive()).as("the child process is still running").isTrue();
            assertThat(System.nanoTime()).as("waited 60 s").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    private static long partialBytes(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(p -> p.getFileName().toString().contains(".partial-"))
                    .mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static List<String> names(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
