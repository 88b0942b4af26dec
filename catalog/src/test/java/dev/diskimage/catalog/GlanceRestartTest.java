package dev.diskimage.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.catalog.testing.GlanceServer;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageServiceUnavailableException;
import dev.diskimage.core.service.NewImage;
import dev.diskimage.core.service.RequestContext;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link GlanceImageService} across restarts of a real glance-api. */
@Timeout(120)
class GlanceRestartTest {
    private static GlanceServer glance;
    private final RequestContext ctx = GlanceServer.context();

    @BeforeAll
    static void startGlance() {
        glance = GlanceServer.start();
    }

    @AfterAll
    static void stopGlance() {
        if (glance != null) {
            glance.close();
        }
    }

    @AfterEach
    void running() {
        glance.startAgain();
    }

    @Test
    void callsWorkAfterARestartBetweenThem() throws Exception {
        GlanceImageService service = GlanceImageService.connect(glance.baseUrl(), GlanceOptions.defaults()
                .withRetries(1, Duration.ZERO, Duration.ZERO));
        byte[] data = GlanceImageServiceTest.randomBytes(70_000, 7);
        ImageMeta image = service.create(ctx, NewImage.of("restarted", "raw"));
        service.upload(ctx, image.id(), new ByteArrayInputStream(data), OptionalLong.of(data.length));

        glance.restart();

        // a new POST goes out on a fresh connection, not one the old process closed
        assertThat(service.create(ctx, NewImage.of("after-restart", "raw")).id()).isNotEqualTo(image.id());
        try (InputStream in = service.download(ctx, image.id())) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        assertThat(service.get(ctx, image.id()).checksum()).contains(GlanceImageServiceTest.hex("MD5", data));
    }

    @Test
    void aGetDuringTheDowntimeRetriesUntilGlanceIsBack() {
        GlanceImageService service = GlanceImageService.connect(glance.baseUrl(), GlanceOptions.defaults()
                .withRetries(20, Duration.ofMillis(100), Duration.ofMillis(1000)));
        String id = service.create(ctx, NewImage.of("downtime", "raw")).id();
        glance.stop();
        CompletableFuture<Void> back = CompletableFuture.runAsync(() -> {
            sleep(500);
            glance.startAgain();
        });

        ImageMeta meta = service.get(ctx, id);

        assertThat(meta.name()).contains("downtime");
        back.join();
    }

    @Test
    void aGetDuringTheDowntimeFailsTypedWhenTheRetriesAreSpent() {
        GlanceImageService service = GlanceImageService.connect(glance.baseUrl(), GlanceOptions.defaults()
                .withRetries(3, Duration.ofMillis(20), Duration.ofMillis(50)));
        String id = service.create(ctx, NewImage.of("down", "raw")).id();
        glance.stop();

        assertThatThrownBy(() -> service.get(ctx, id)).isInstanceOf(ImageServiceUnavailableException.class)
                .hasMessageContaining(glance.baseUrl().toString()).hasMessageContaining("GET /v2/images/" + id)
                .hasMessageContaining("after 3 attempts");

        glance.startAgain();
        assertThat(service.get(ctx, id).id()).isEqualTo(id);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
