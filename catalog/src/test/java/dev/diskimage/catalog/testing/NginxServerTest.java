package dev.diskimage.catalog.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nginx fixture: a real nginx on 127.0.0.1 with directory listings, gone after close(). */
class NginxServerTest {
    @TempDir
    Path root;

    private static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesFilesAndListsDirectoriesUntilClosed() throws Exception {
        Files.createDirectories(root.resolve("releases/40"));
        Files.writeString(root.resolve("releases/40/CHECKSUM"), "hello\n");
        URI base;
        int port;
        try (NginxServer nginx = NginxServer.serve(root)) {
            base = nginx.baseUrl();
            port = base.getPort();
            assertThat(base.getHost()).isEqualTo("127.0.0.1");
            assertThat(get(base.resolve("releases/40/CHECKSUM")).body()).isEqualTo("hello\n");
            HttpResponse<String> listing = get(base.resolve("releases/"));
            assertThat(listing.statusCode()).isEqualTo(200);
            assertThat(listing.body()).contains("<a href=\"40/\">40/</a>");
            assertThat(get(base.resolve("missing")).statusCode()).isEqualTo(404);
            assertThat(nginx.awaitGets("/releases/40/CHECKSUM", 1)).isEqualTo(1);
            assertThat(nginx.isRunning()).isTrue();
        }
        try (Socket socket = new Socket()) {
            assertThatThrownBy(() -> socket.connect(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000))
                    .isInstanceOf(IOException.class);
        }
        assertThat(Files.readString(root.resolve("releases/40/CHECKSUM"))).isEqualTo("hello\n");
    }
}
