package dev.diskimage.catalog;

import static dev.diskimage.catalog.FakeHttpServer.respond;
import static dev.diskimage.catalog.FakeHttpServer.respondJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageQuery;
import dev.diskimage.core.service.ImageServiceAuthorizationException;
import dev.diskimage.core.service.ImageServiceException;
import dev.diskimage.core.service.ImageServiceUnavailableException;
import dev.diskimage.core.service.NewImage;
import dev.diskimage.core.service.RequestContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link GlanceImageService} against a raw local HTTP server that misbehaves on purpose. */
@Timeout(30)
class GlanceFaultsTest {
    private static final String ID = "4b2f0c1e-0000-4000-8000-000000000001";
    private static final String TOKEN = "s3cret-t0ken-value";
    private static final String IMAGE = "{\"id\": \"" + ID + "\", \"name\": \"fake\", \"status\": \"active\","
            + " \"disk_format\": \"raw\", \"container_format\": \"bare\", \"size\": 5, \"visibility\": \"private\","
            + " \"checksum\": null, \"min_disk\": 0, \"tags\": [\"a\"], \"hw_disk_bus\": \"virtio\","
            + " \"locations\": [], \"self\": \"/v2/images/" + ID + "\"}";

    private final CountDownLatch release = new CountDownLatch(1);
    private FakeHttpServer server;

    private static final GlanceOptions FAST = GlanceOptions.defaults()
            .withConnectTimeout(Duration.ofSeconds(2))
            .withReadTimeout(Duration.ofMillis(700))
            .withRetries(3, Duration.ofMillis(10), Duration.ofMillis(40));

    @AfterEach
    void stop() throws IOException {
        release.countDown();
        if (server != null) {
            server.close();
        }
    }

    private GlanceImageService start(FakeHttpServer.Handler handler, GlanceOptions options) throws IOException {
        server = new FakeHttpServer(handler);
        return GlanceImageService.connect(server.uri(), options);
    }

    @Test
    void mapsGlanceJsonToTheRecordWithExtraKeysAsProperties() throws IOException {
        GlanceImageService glance = start((request, out) -> respondJson(out, 200, IMAGE), FAST);
        ImageMeta meta = glance.get(RequestContext.anonymous(), ID);
        assertThat(meta.name()).contains("fake");
        assertThat(meta.size()).hasValue(5);
        assertThat(meta.checksum()).isEmpty();
        assertThat(meta.properties()).containsEntry("min_disk", "0").containsEntry("tags", "[\"a\"]")
                .containsEntry("hw_disk_bus", "virtio").doesNotContainKeys("locations", "self", "checksum");
    }

    @Test
    void sendsTheContextsHeadersAndTheExtraOnes() throws IOException {
        GlanceImageService glance = start((request, out) -> respondJson(out, 200, IMAGE),
                FAST.withHeader("X-Service-Token", "service-secret"));
        RequestContext ctx = RequestContext.withToken(TOKEN).identity("u1", "p1", List.of("member", "reader"));
        glance.get(ctx, ID);
        FakeHttpServer.Request request = server.requests().get(0);
        assertThat(request.header("X-Auth-Token")).isEqualTo(TOKEN);
        assertThat(request.header("X-User-Id")).isEqualTo("u1");
        assertThat(request.header("X-Project-Id")).isEqualTo("p1");
        assertThat(request.header("X-Tenant-Id")).isEqualTo("p1");
        assertThat(request.header("X-Roles")).isEqualTo("member,reader");
        assertThat(request.header("X-Identity-Status")).isNull();
        assertThat(request.header("X-Openstack-Request-Id")).isEqualTo(ctx.requestId());
        assertThat(request.header("X-Service-Token")).isEqualTo("service-secret");
        assertThat(glance.options().toString()).doesNotContain("service-secret");

        glance.get(RequestContext.anonymous().identity("u1", "p1", List.of("member")), ID);
        assertThat(server.requests().get(1).header("X-Identity-Status")).isEqualTo("Confirmed");
        assertThat(server.requests().get(1).header("X-Auth-Token")).isNull();
    }

    @Test
    void a500ThenA200IsRetriedForAGet() throws IOException {
        AtomicInteger calls = new AtomicInteger();
        GlanceImageService glance = start((request, out) -> {
            if (calls.incrementAndGet() == 1) {
                respond(out, 500, "text/plain", "database locked".getBytes(StandardCharsets.UTF_8));
            } else {
                respondJson(out, 200, IMAGE);
            }
        }, FAST);
        assertThat(glance.get(RequestContext.anonymous(), ID).id()).isEqualTo(ID);
        assertThat(calls).hasValue(2);
    }

    @Test
    void a5xxIsUnavailableOnceTheAttemptsAreSpent() throws IOException {
        GlanceImageService glance = start((request, out) ->
                respond(out, 503, "text/plain", "maintenance\u001b[2J".getBytes(StandardCharsets.UTF_8)), FAST);
        assertThatThrownBy(() -> glance.get(RequestContext.anonymous(), ID))
                .isInstanceOf(ImageServiceUnavailableException.class)
                .hasMessageContaining("503").hasMessageContaining("maintenance").hasMessageContaining("after 3 attempts")
                .hasMessageNotContaining("\u001b")
                .satisfies(e -> assertThat(((ImageServiceException) e).httpStatus()).hasValue(503));
        assertThat(server.requests()).hasSize(3);
    }

    @Test
    void aPostIsNotRetriedAfterA500() throws IOException {
        GlanceImageService glance = start((request, out) -> {
            request.readBody();
            respond(out, 500, "text/plain", new byte[0]);
        }, FAST);
        assertThatThrownBy(() -> glance.create(RequestContext.anonymous(), NewImage.of("x", "raw")))
                .isInstanceOf(ImageServiceUnavailableException.class).hasMessageContaining("POST /v2/images");
        assertThat(server.requests()).hasSize(1);
    }

    @Test
    void unauthorizedIsTypedAndNeverShowsTheToken() throws IOException {
        GlanceImageService glance = start((request, out) -> respond(out, 401, "text/html",
                "<html><title>401 Unauthorized</title><body><h1>401 Unauthorized</h1>Token expired<br /></body></html>"
                        .getBytes(StandardCharsets.UTF_8)), FAST);
        assertThatThrownBy(() -> glance.get(RequestContext.withToken(TOKEN), ID))
                .isInstanceOf(ImageServiceAuthorizationException.class)
                .hasMessageContaining(server.uri().toString()).hasMessageContaining("GET /v2/images/" + ID)
                .hasMessageContaining("401").hasMessageContaining("Token expired").hasMessageContaining("req-fake")
                .hasMessageNotContaining(TOKEN).hasMessageNotContaining("<");
        assertThat(server.requests()).hasSize(1);
    }

    @Test
    void aConnectionResetInTheMiddleOfADownloadFailsTheRead() throws IOException {
        GlanceImageService glance = start((request, out) -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(new byte[20_000]);
            out.flush();
            request.socket().setSoLinger(true, 0);
            request.socket().close();
        }, FAST);
        InputStream in = glance.download(RequestContext.anonymous(), ID);
        assertThatThrownBy(in::readAllBytes).isInstanceOf(ImageServiceUnavailableException.class)
                .hasMessageContaining("GET /v2/images/" + ID + "/file").hasMessageContaining("broke off");
        in.close();
    }

    @Test
    void aShortBodyFailsTheRead() throws IOException {
        GlanceImageService glance = start((request, out) -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(new byte[1000]);
            out.flush();
            request.socket().shutdownOutput();
        }, FAST);
        try (InputStream in = glance.download(RequestContext.anonymous(), ID)) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(ImageServiceUnavailableException.class)
                    .hasMessageContaining("broke off");
        }
    }

    @Test
    void aStalledBodyEndsWithAReadTimeout() throws IOException {
        GlanceImageService glance = start((request, out) -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(new byte[1000]);
            out.flush();
            release.await(30, TimeUnit.SECONDS);
        }, FAST);
        long start = System.nanoTime();
        try (InputStream in = glance.download(RequestContext.anonymous(), ID)) {
            assertThat(in.readNBytes(1000)).hasSize(1000);
            assertThatThrownBy(in::read).isInstanceOf(ImageServiceUnavailableException.class)
                    .hasMessageContaining("read timeout").hasMessageContaining("after 1000 bytes");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aServerThatNeverAnswersTimesOutAndIsRetriedForAGet() throws IOException {
        GlanceImageService glance = start((request, out) -> release.await(30, TimeUnit.SECONDS), FAST);
        assertThatThrownBy(() -> glance.get(RequestContext.anonymous(), ID))
                .isInstanceOf(ImageServiceUnavailableException.class).hasMessageContaining("after 3 attempts");
        assertThat(server.requests()).hasSize(3);
    }

    @Test
    void anUploadThatMakesNoProgressTimesOutAndIsNotRetried() throws IOException {
        GlanceImageService glance = start((request, out) -> release.await(30, TimeUnit.SECONDS), FAST);
        byte[] data = new byte[32 << 20];
        long start = System.nanoTime();
        assertThatThrownBy(() -> glance.upload(RequestContext.anonymous(), ID, new ByteArrayInputStream(data),
                OptionalLong.of(data.length)))
                .isInstanceOf(ImageServiceUnavailableException.class).hasMessageContaining("PUT /v2/images/" + ID + "/file")
                .hasMessageContaining("no progress");
        assertThat(server.requests()).hasSize(1);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void aHugeMetadataAnswerIsRefused() throws IOException {
        GlanceOptions small = FAST.withMaxMetadataBytes(64 * 1024);
        GlanceImageService glance = start((request, out) -> {
            out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{\"id\": \""
                    .getBytes(StandardCharsets.ISO_8859_1));
            for (int i = 0; i < 1000; i++) {
                out.write(new byte[1024]);
            }
        }, small);
        assertThatThrownBy(() -> glance.get(RequestContext.anonymous(), ID))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("refused a metadata answer")
                .hasMessageContaining("65536");

        server.handler((request, out) -> {
            out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            byte[] chunk = new byte[8192];
            java.util.Arrays.fill(chunk, (byte) ' ');
            for (int i = 0; i < 100; i++) {
                out.write(("2000\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        });
        assertThatThrownBy(() -> glance.get(RequestContext.anonymous(), ID))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("over 65536 bytes");
    }

    @Test
    void malformedJsonIsATypedError() throws IOException {
        GlanceImageService glance = start((request, out) -> respondJson(out, 200, "{\"id\": \"a\", \"id\": \"b\"}"), FAST);
        assertThatThrownBy(() -> glance.get(RequestContext.anonymous(), ID))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("malformed JSON");
    }

    @Test
    void aNextLinkToAnotherHostIsRefused() throws IOException {
        GlanceImageService glance = start((request, out) -> respondJson(out, 200, "{\"images\": [" + IMAGE
                + "], \"next\": \"http://evil.example/v2/images?marker=x\"}"), FAST);
        assertThatThrownBy(() -> glance.list(RequestContext.withToken(TOKEN), ImageQuery.all()).count())
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("refused the next page link");
        assertThat(server.requests()).hasSize(1);
    }

    @Test
    void aDeleteRetriedAfterALostAnswerThatFindsTheImageGoneSucceeds() throws IOException {
        AtomicInteger calls = new AtomicInteger();
        GlanceImageService glance = start((request, out) -> {
            if (calls.incrementAndGet() == 1) {
                request.socket().setSoLinger(true, 0);
                request.socket().close();
            } else {
                respond(out, 404, "text/plain", "No image found".getBytes(StandardCharsets.UTF_8));
            }
        }, FAST);
        glance.delete(RequestContext.anonymous(), ID);
        assertThat(calls).hasValue(2);
    }

    @Test
    void aRefusedConnectionIsRetriedThenUnavailable() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        GlanceImageService glance = GlanceImageService.connect(URI.create("http://127.0.0.1:" + port + "/v2/"), FAST);
        assertThat(glance.location()).isEqualTo("glance http://127.0.0.1:" + port);
        assertThatThrownBy(() -> glance.create(RequestContext.anonymous(), NewImage.of("x", "raw")))
                .isInstanceOf(ImageServiceUnavailableException.class)
                .hasMessageContaining("http://127.0.0.1:" + port).hasMessageContaining("POST /v2/images")
                .hasMessageContaining("after 3 attempts").hasMessageContaining("connection refused")
                .satisfies(e -> assertThat(((ImageServiceException) e).httpStatus()).isEmpty());
    }

    @Test
    void endpointsWithCredentialsOrQueriesAreRefused() {
        assertThatThrownBy(() -> GlanceImageService.connect(URI.create("http://user:pw@glance:9292")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("pw");
        assertThatThrownBy(() -> GlanceImageService.connect(URI.create("ftp://glance")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GlanceImageService.connect(URI.create("http://glance:9292/?a=b")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GlanceOptions.defaults().withHeader("X-Auth-Token", "x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GlanceOptions.defaults().withHeader("X-Evil", "a\r\nInjected: 1"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
