package dev.diskimage.catalog.distro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading listings and small files: redirects, stalls, 404 and 410, file: mirrors. */
class MirrorReaderTest {
    @TempDir
    Path dir;

    private HttpServer server;
    private final CountDownLatch release = new CountDownLatch(1);
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/moved/", exchange -> {
            exchange.getResponseHeaders().add("Location", "/listing/");
            exchange.sendResponseHeaders(301, -1);
            exchange.close();
        });
        server.createContext("/listing/", exchange -> {
            byte[] body = "<a href=\"40/\">40/</a><a href=\"a.img\">a.img</a>".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext("/gone", exchange -> {
            exchange.sendResponseHeaders(410, -1);
            exchange.close();
        });
        server.createContext("/stall/", exchange -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        server.setExecutor(threads);
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
        threads.shutdownNow();
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Test
    void followsARedirectToTheListing() {
        assertThat(new MirrorReader().list(url("/moved/"))).hasValueSatisfying(entries ->
                assertThat(entries).containsExactly("40/", "a.img"));
    }

    @Test
    void aMissingOrGoneFileIsEmpty() {
        assertThat(new MirrorReader().read(url("/nothing-here"), 100)).isEmpty();
        assertThat(new MirrorReader().read(url("/gone"), 100)).isEmpty();
    }

    @Test
    void aStalledServerIsAMirrorErrorAfterTheTimeout() {
        long started = System.nanoTime();
        assertThatThrownBy(() -> new MirrorReader(Duration.ofMillis(300)).list(url("/stall/")))
                .isInstanceOf(MirrorException.class)
                .hasMessageContaining(url("/stall/").toString())
                .hasMessageContaining("no answer within 300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aFileMirrorListsPlainNamesAndMarksDirectories() throws IOException {
        Files.createDirectories(dir.resolve("m/41"));
        Files.writeString(dir.resolve("m/SHA256SUMS"), "x");
        Files.writeString(dir.resolve("m/.hidden"), "x");
        Files.writeString(dir.resolve("m/with space"), "x");
        MirrorReader reader = new MirrorReader();
        assertThat(reader.list(dir.resolve("m").toUri())).hasValueSatisfying(entries ->
                assertThat(entries).containsExactly("41/", "SHA256SUMS"));
        assertThat(reader.list(dir.resolve("none").toUri())).isEmpty();
        assertThat(reader.read(dir.resolve("m/SHA256SUMS").toUri(), 10)).contains("x");
        assertThat(reader.read(dir.resolve("m/none").toUri(), 10)).isEmpty();
        assertThatThrownBy(() -> reader.read(dir.resolve("m/SHA256SUMS").toUri(), 0))
                .isInstanceOf(MirrorException.class).hasMessageContaining("larger than 0 bytes");
    }
}
