package dev.diskimage.conversion.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.conversion.TestImages;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageConversionDirectory;
import dev.diskimage.core.service.ImageIntegrityException;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.RequestContext;
import dev.diskimage.core.testing.InMemoryImageService;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import java.io.FilterInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One download per image and scope set, shared across threads, deleted with the last scope. */
class TemporaryImagesTest {
    private static final RequestContext CTX = RequestContext.anonymous().identity("alice", "p1", List.of("member"));

    @TempDir
    Path dir;
    private Path conversionDir;
    private InMemoryImageService service;
    private TemporaryImages images;
    private ImageMeta meta;

    @BeforeEach
    void setUp() throws IOException {
        conversionDir = Files.createDirectories(dir.resolve("conversion"));
        service = new InMemoryImageService();
        images = TemporaryImages.using(ImageDownloader.using(ImageValidator.of(ImagePolicy.defaults()),
                ImageConversionDirectory.of(conversionDir)));
        Path raw = TestImages.raw(dir, "disk.raw", 2 * FlowImages.MIB, 5);
        meta = service.add("qcow2", Files.readAllBytes(TestImages.converted(raw, dir.resolve("d.qcow2"), DiskFormat.QCOW2)));
    }

    @Test
    void eightThreadsInOverlappingScopesDownloadOnce() throws Exception {
        // A slow download, so that every thread opens its scope while the first is still downloading.
        service.downloadFault(in -> new FilterInputStream(in) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                sleep(20);
                return super.read(b, off, Math.min(len, 64 << 10));
            }
        });
        CountDownLatch allOpen = new CountDownLatch(8);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Path>> paths = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                paths.add(pool.submit(() -> {
                    try (TemporaryImage image = images.open(service, CTX, meta.id())) {
                        allOpen.countDown();
                        allOpen.await(30, TimeUnit.SECONDS);
                        assertThat(image.image().format()).isEqualTo(DiskFormat.QCOW2);
                        return image.path();
                    }
                }));
            }
            List<Path> seen = new ArrayList<>();
            for (Future<Path> path : paths) {
                seen.add(path.get(60, TimeUnit.SECONDS));
            }
            assertThat(seen).containsOnly(seen.get(0));
            assertThat(service.downloads()).isEqualTo(1);
            assertThat(seen.get(0)).doesNotExist();
            assertThat(images.size()).isZero();
            assertThat(FlowImages.entries(conversionDir)).isEmpty();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theFileStaysUntilTheLastScopeCloses() throws IOException {
        TemporaryImage first = images.open(service, CTX, meta.id());
        TemporaryImage second = images.reuse(service, CTX, meta.id()).orElseThrow();
        first.close();
        first.close();
        assertThat(second.path()).exists();
        second.close();
        assertThat(second.path()).doesNotExist();
        assertThat(images.reuse(service, CTX, meta.id())).isEmpty();
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void scopesAreKeyedByUserAndService() {
        RequestContext bob = RequestContext.anonymous().identity("bob", "p1", List.of("member"));
        InMemoryImageService other = new InMemoryImageService();
        try (TemporaryImage a = images.open(service, CTX, meta.id());
                TemporaryImage b = images.open(service, bob, meta.id())) {
            assertThat(a.path()).isNotEqualTo(b.path());
            assertThat(service.downloads()).isEqualTo(2);
            assertThat(images.reuse(other, CTX, meta.id())).isEmpty();
        }
    }

    @Test
    void aFailedDownloadFailsItsScopeAndTheNextScopeTriesAgain() {
        service.alterData(meta.id(), bytes -> {
            bytes[100] ^= 1;
            return bytes;
        });
        assertThatThrownBy(() -> images.open(service, CTX, meta.id())).isInstanceOf(ImageIntegrityException.class);
        assertThat(images.size()).isZero();
        service.alterData(meta.id(), bytes -> {
            bytes[100] ^= 1;
            return bytes;
        });
        try (TemporaryImage image = images.open(service, CTX, meta.id())) {
            assertThat(image.path()).exists();
        }
        assertThat(service.downloads()).isEqualTo(2);
    }

    @Test
    void filesLeftByACrashedProcessAreRemovedByTheDirectoryCleanup() throws IOException {
        TemporaryImage image = images.open(service, CTX, meta.id());
        Path left = image.path();
        // A restart: the new process's cleanup of the backend's temporary files.
        List<Path> removed = ImageConversionDirectory.of(conversionDir).cleanupTemporaryFiles();
        assertThat(removed).contains(left);
        assertThat(left).doesNotExist();
        image.close();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
