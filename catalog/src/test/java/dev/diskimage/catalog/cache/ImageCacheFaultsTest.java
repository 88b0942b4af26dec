package dev.diskimage.catalog.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageNotFoundException;
import dev.diskimage.core.NotEnoughSpaceException;
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
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What goes wrong on the way in: every failure is typed, names the URL and stores nothing. */
class ImageCacheFaultsTest {
    @TempDir
    Path temp;

    private TestServer server;
    private ImageCache cache;

    @BeforeEach
    void start() throws Exception {
        server = new TestServer();
        cache = ImageCache.open(temp.resolve("cache"), CacheOptions.defaults().withIdleTimeout(Duration.ofMillis(700)));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private CacheRequest.Builder request(URI url) {
        return CacheRequest.builder(url, "image.img").gate(TestImages.GATE, Optional.empty());
    }

    /** Nothing but the lock file may remain in the entry's directory. */
    private void assertNothingStored(URI url) throws IOException {
        Path directory = cache.entryDirectory(url);
        if (Files.exists(directory)) {
            try (Stream<Path> files = Files.list(directory)) {
                assertThat(files.map(p -> p.getFileName().toString())).containsOnly(".lock");
            }
        }
        assertThat(cache.list()).isEmpty();
        assertThat(cache.lookup(url, "image.img")).isEmpty();
    }

    @Test
    void a404IsImageNotFoundNamingTheUrl() throws Exception {
        URI url = server.uri("/missing.img");

        assertThatThrownBy(() -> cache.fetch(request(url).build()))
                .isInstanceOf(ImageNotFoundException.class)
                .hasMessageContaining(url.toString())
                .hasMessageContaining("404");
        assertNothingStored(url);
    }

    @Test
    void aServerErrorIsADownloadFailureNamingTheStatus() throws Exception {
        server.handle("/broken.img", exchange -> exchange.sendResponseHeaders(500, -1));
        URI url = server.uri("/broken.img");

        assertThatThrownBy(() -> cache.fetch(request(url).build()))
                .isInstanceOf(DownloadFailedException.class)
                .hasMessageContaining(url.toString())
                .hasMessageContaining("HTTP 500");
        assertNothingStored(url);
    }

    @Test
    void aConnectionResetMidBodyIsADownloadFailureAndLeavesNoPartialFile() throws Exception {
        try (ServerSocket resetting = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread thread = new Thread(() -> {
                try (Socket socket = resetting.accept()) {
                    InputStream in = socket.getInputStream();
                    in.readNBytes(in.available()); // the request head, or part of it: not needed
                    OutputStream out = socket.getOutputStream();
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(TestImages.raw(100_000, 9));
                    out.flush();
                    Thread.sleep(100);
                    socket.setSoLinger(true, 0); // close with a RST
                } catch (IOException | InterruptedException e) {
                    // the test sees what the client saw
                }
            });
            thread.start();
            URI url = URI.create("http://127.0.0.1:" + resetting.getLocalPort() + "/reset.img");

            assertThatThrownBy(() -> cache.fetch(request(url).build()))
                    .isInstanceOf(DownloadFailedException.class)
                    .hasMessageContaining(url.toString())
                    .satisfies(e -> assertThat(((DownloadFailedException) e).url()).isEqualTo(url));
            thread.join();
            assertNothingStored(url);
        }
    }

    @Test
    void aStalledBodyEndsAfterTheIdleTimeout() throws Exception {
        byte[] image = TestImages.raw(200_000, 10);
        server.handle("/stall.img", exchange -> {
            exchange.sendResponseHeaders(200, image.length);
            OutputStream out = exchange.getResponseBody();
            out.write(image, 0, 50_000);
            out.flush();
            try {
                Thread.sleep(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        URI url = server.uri("/stall.img");
        long started = System.nanoTime();

        assertThatThrownBy(() -> cache.fetch(request(url).build()))
                .isInstanceOf(DownloadFailedException.class)
                .hasMessageContaining(url.toString())
                .hasMessageContaining("read timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
        assertNothingStored(url);
    }

    @Test
    void aRefusedConnectionIsADownloadFailure() throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        URI url = URI.create("http://127.0.0.1:" + port + "/nobody.img");

        assertThatThrownBy(() -> cache.fetch(request(url).build()))
                .isInstanceOf(DownloadFailedException.class)
                .hasMessageContaining(url.toString());
        assertNothingStored(url);
    }

    @Test
    void aWrongChecksumIsRefusedBeforeTheFileBecomesAnEntry() throws Exception {
        byte[] image = TestImages.raw(50_000, 11);
        server.serve("/sum.img", image);
        URI url = server.uri("/sum.img");
        Checksum wrong = TestImages.sha256(TestImages.raw(50_000, 12));

        assertThatThrownBy(() -> cache.fetch(request(url).checksum(wrong).build()))
                .isInstanceOfSatisfying(ChecksumMismatchException.class, e -> {
                    assertThat(e.url()).isEqualTo(url);
                    assertThat(e.expected()).isEqualTo(wrong);
                    assertThat(e.actual()).isEqualTo(TestImages.sha256(image));
                })
                .hasMessageContaining(url.toString());
        assertNothingStored(url);
    }

    @Test
    void anImageTheGateRefusesIsDeletedAndTheErrorNamesUrlAndReason() throws Exception {
        byte[] evil = TestImages.raw(10_000, 13);
        System.arraycopy(TestImages.REFUSED_MAGIC, 0, evil, 0, TestImages.REFUSED_MAGIC.length);
        server.serve("/evil.img", evil);
        URI url = server.uri("/evil.img");

        assertThatThrownBy(() -> cache.fetch(request(url).build()))
                .isInstanceOf(ImageRefusedException.class)
                .hasMessageContaining(url.toString())
                .hasMessageContaining("starts with EVIL");
        assertNothingStored(url);
    }

    @Test
    void aDeclaredFormatTheBytesContradictIsRefused() throws Exception {
        server.serve("/raw.img", TestImages.raw(10_000, 14));
        URI url = server.uri("/raw.img");

        assertThatThrownBy(() -> cache.fetch(request(url).gate(TestImages.GATE, Optional.of(DiskFormat.QCOW2)).build()))
                .isInstanceOf(ImageRefusedException.class)
                .hasMessageContaining("declared qcow2");
        assertNothingStored(url);
    }

    @Test
    void aCachedEntryIsAdmittedAgainWhenACallerDeclaresAnotherFormat() throws Exception {
        server.serve("/raw2.img", TestImages.raw(10_000, 15));
        URI url = server.uri("/raw2.img");
        cache.fetch(request(url).build()).close();

        assertThatThrownBy(() -> cache.fetch(request(url).gate(TestImages.GATE, Optional.of(DiskFormat.QCOW2)).build()))
                .isInstanceOf(ImageRefusedException.class);
        // The entry stays: it is fine for callers that do not claim qcow2.
        assertThat(cache.list()).hasSize(1);
        assertThat(server.gets("/raw2.img")).isEqualTo(1);
    }

    @Test
    void aDownloadThatDoesNotFitTheFileSystemIsRefusedBeforeItStarts() throws Exception {
        byte[] image = TestImages.raw(10_000, 16);
        server.serve("/big.img", image);
        URI url = server.uri("/big.img");
        ImageCache tight = ImageCache.open(temp.resolve("cache"),
                new CacheOptions(Duration.ofSeconds(5), Duration.ofSeconds(5), Long.MAX_VALUE / 4));

        assertThatThrownBy(() -> tight.fetch(request(url).build()))
                .isInstanceOf(NotEnoughSpaceException.class)
                .hasMessageContaining(url.toString());
        assertNothingStored(url);
    }

    @Test
    void aFileSystemThatFillsUpMidDownloadIsNotEnoughSpaceAndLeavesNoPartialFile() throws Exception {
        assertThat(System.getProperty("user.name")).as("this test mounts a tmpfs, so it runs as root (as CI does)")
                .isEqualTo("root");
        Path small = temp.resolve("small");
        Files.createDirectories(small);
        assertThat(new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.toString())
                .inheritIO().start().waitFor()).isZero();
        try {
            ImageCache tight = ImageCache.open(small, new CacheOptions(Duration.ofSeconds(5), Duration.ofSeconds(5), 0));
            byte[] image = TestImages.raw(2 << 20, 18);
            URI url = URI.create("https://mirror.invalid/big.img");
            // No length: nothing to check up front, so the file system fills up midway.
            ByteSource unsized = () -> new Download(new java.io.ByteArrayInputStream(image),
                    java.util.OptionalLong.empty());

            assertThatThrownBy(() -> tight.fetch(request(url).source(unsized).build()))
                    .isInstanceOfSatisfying(NotEnoughSpaceException.class,
                            e -> assertThat(e.mountPoint()).isEqualTo(small))
                    .hasMessageContaining(url.toString());
            try (Stream<Path> files = Files.list(tight.entryDirectory(url))) {
                assertThat(files.map(p -> p.getFileName().toString())).containsOnly(".lock");
            }

            server.serve("/big.img", image);
            URI served = server.uri("/big.img");
            assertThatThrownBy(() -> tight.fetch(request(served).build()))
                    .as("with a length, refused before the body is read")
                    .isInstanceOf(NotEnoughSpaceException.class);
            assertThat(tight.list()).isEmpty();
        } finally {
            new ProcessBuilder("umount", small.toString()).inheritIO().start().waitFor();
        }
    }

    @Test
    void aSourceShorterThanItsAnnouncedLengthIsADownloadFailure() throws Exception {
        URI url = URI.create("https://mirror.invalid/short.img");
        byte[] image = TestImages.raw(1_000, 17);
        ByteSource shortSource = () -> new Download(new java.io.ByteArrayInputStream(image),
                java.util.OptionalLong.of(2_000));

        assertThatThrownBy(() -> cache.fetch(request(url).source(shortSource).build()))
                .isInstanceOf(DownloadFailedException.class)
                .hasMessageContaining("ended after 1000 of the 2000 bytes");
        assertNothingStored(url);
    }

    @Test
    void aMissingFileUrlIsImageNotFound() throws Exception {
        URI url = temp.resolve("nothing-here.img").toUri();

        assertThatThrownBy(() -> cache.fetch(request(url).build()))
                .isInstanceOf(ImageNotFoundException.class)
                .hasMessageContaining(url.toString());
    }

    @Test
    void anUnsupportedSchemeIsRefused() {
        URI url = URI.create("ftp://mirror.invalid/a.img");

        assertThatThrownBy(() -> cache.fetch(request(url).build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only http, https and file");
    }

    @Test
    void requestsWithoutAGateOrWithUnsafeFileNamesAreRefused() {
        URI url = URI.create("https://mirror.invalid/a.img");
        assertThatThrownBy(() -> CacheRequest.builder(url, "a.img").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("needs a gate");
        for (String bad : List.of("", ".hidden", "../a", "a/b", "a\nb", "x".repeat(CacheRequest.MAX_FILE_NAME + 1))) {
            assertThatThrownBy(() -> CacheRequest.builder(url, bad))
                    .as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> CacheRequest.builder(URI.create("relative/a.img"), "a.img"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
