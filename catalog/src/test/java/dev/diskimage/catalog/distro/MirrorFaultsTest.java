package dev.diskimage.catalog.distro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.diskimage.catalog.cache.DownloadFailedException;
import dev.diskimage.catalog.cache.ImageCache;
import dev.diskimage.core.ImageNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults a real mirror can show, from the JDK's HTTP server: a connection cut mid-download, a
 * listed file that is gone (404), a listing that fails or is too large, hand-written listing
 * markup.
 */
class MirrorFaultsTest {
    private static final String IMAGES = "/releases/41/Cloud/x86_64/images/";
    private static final String FILE = "Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2";

    @TempDir
    Path work;

    private HttpServer server;
    private byte[] image;
    private final AtomicReference<String> imageMode = new AtomicReference<>("ok");
    private final AtomicReference<String> releasesListing = new AtomicReference<>();
    private final AtomicInteger imageRequests = new AtomicInteger();
    private ImageCache cache;
    private MirrorTree.MagicGate gate;

    @BeforeEach
    void start() throws IOException {
        image = Files.readAllBytes(new MirrorTree(work.resolve("src")).qcow2("image.qcow2"));
        releasesListing.set("<html><body><pre><a href=\"../\">../</a>\n<a href=\"40/\">40/</a>\n"
                + "<a href=\"41/\">41/</a>\n</pre></body></html>");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
        cache = ImageCache.open(work.resolve("cache"));
        gate = new MirrorTree.MagicGate();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        switch (path) {
            case "/releases/" -> {
                String listing = releasesListing.get();
                if (listing.equals("500")) {
                    send(exchange, 500, "oops".getBytes(StandardCharsets.UTF_8));
                } else {
                    send(exchange, 200, listing.getBytes(StandardCharsets.UTF_8));
                }
            }
            case IMAGES -> send(exchange, 200, ("<a href=\"" + FILE + "\">" + FILE + "</a>").getBytes(StandardCharsets.UTF_8));
            case IMAGES + FILE -> image(exchange);
            default -> send(exchange, 404, "not found".getBytes(StandardCharsets.UTF_8));
        }
    }

    private void image(HttpExchange exchange) throws IOException {
        imageRequests.incrementAndGet();
        switch (imageMode.get()) {
            case "reset" -> {
                // Announce the whole image, send half, then drop the connection.
                exchange.sendResponseHeaders(200, image.length);
                OutputStream body = exchange.getResponseBody();
                body.write(image, 0, image.length / 2);
                body.flush();
                throw new IOException("connection dropped on purpose");
            }
            case "404" -> send(exchange, 404, "gone".getBytes(StandardCharsets.UTF_8));
            default -> send(exchange, 200, image);
        }
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private DistroRequest request() {
        return DistroRequest.builder("fedora", gate).mirror(base()).cache(cache).arch("x86_64")
                .snapshotDir(work.resolve("snapshots")).build();
    }

    @Test
    void aConnectionCutMidDownloadLeavesNothingAndTheNextGetDownloadsAgain() {
        imageMode.set("reset");
        assertThatThrownBy(() -> DistroImage.get(request()))
                .isInstanceOf(DownloadFailedException.class)
                .hasMessageContaining(base().resolve(IMAGES.substring(1) + FILE).toString());
        assertThat(cache.list()).isEmpty();
        assertThat(gate.seen).isEmpty();
        assertThat(work.resolve("snapshots")).doesNotExist();

        imageMode.set("ok");
        Image got = DistroImage.get(request());
        assertThat(got.baseImage()).hasBinaryContent(image);
        assertThat(imageRequests.get()).isEqualTo(2);
    }

    @Test
    void aListedFileThatIsGoneIsNotFound() {
        imageMode.set("404");
        assertThatThrownBy(() -> DistroImage.get(request()))
                .isInstanceOf(ImageNotFoundException.class)
                .hasMessageContaining(FILE);
        assertThat(cache.list()).isEmpty();
    }

    @Test
    void aFailingListingIsAMirrorErrorNamingTheUrl() {
        releasesListing.set("500");
        assertThatThrownBy(() -> DistroImage.get(request()))
                .isInstanceOf(MirrorException.class)
                .hasMessageContaining(base().resolve("releases/").toString())
                .hasMessageContaining("HTTP 500");
    }

    @Test
    void aListingLargerThanTheBoundIsRefused() {
        releasesListing.set("<a href=\"41/\">41/</a>" + " ".repeat(DirectoryListing.MAX_BYTES));
        assertThatThrownBy(() -> DistroImage.get(request()))
                .isInstanceOf(MirrorException.class)
                .hasMessageContaining("larger than " + DirectoryListing.MAX_BYTES + " bytes");
    }

    @Test
    void findsVersionsInHandWrittenMarkup() {
        releasesListing.set("<!DOCTYPE html><TABLE>\n<TR><TD><A\nHREF='40/'>40</A></TD></TR>"
                + "<!-- <a href=\"99/\">not yet</a> -->\n"
                + "<tr><td><a class=dir href=" + base().resolve("releases/41/") + ">41</a>"
                + "<a href=\"http://elsewhere.example/releases/98/\">98</a>"
                + "<a href='?C=M;O=D'>sort</a><a href=\"/releases/97/sub/\">97</a></TABLE>");
        Image got = DistroImage.get(request());
        assertThat(got.version()).isEqualTo("41");
        assertThat(got.baseImage()).hasBinaryContent(image);
    }

    @Test
    void unreachableMirrorIsAMirrorError() {
        server.stop(0);
        assertThatThrownBy(() -> DistroImage.get(request()))
                .isInstanceOf(MirrorException.class)
                .hasMessageContaining(base().resolve("releases/").toString())
                .hasMessageEndingWith("connection refused");
    }
}
