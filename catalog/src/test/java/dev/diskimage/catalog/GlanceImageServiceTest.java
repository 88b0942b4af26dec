package dev.diskimage.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.catalog.testing.GlanceServer;
import dev.diskimage.core.ImageNotFoundException;
import dev.diskimage.core.service.ImageChanges;
import dev.diskimage.core.service.ImageConflictException;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageQuery;
import dev.diskimage.core.service.ImageQuotaExceededException;
import dev.diskimage.core.service.ImageServiceAuthorizationException;
import dev.diskimage.core.service.ImageServiceException;
import dev.diskimage.core.service.ImageStatus;
import dev.diskimage.core.service.NewImage;
import dev.diskimage.core.service.RequestContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link GlanceImageService} against a real glance-api (one per class, without Keystone). */
class GlanceImageServiceTest {
    private static final int SIZE_CAP = 2 << 20;

    private static GlanceServer glance;
    private static GlanceImageService service;
    private final RequestContext ctx = GlanceServer.context();

    @BeforeAll
    static void startGlance() {
        glance = GlanceServer.builder().option("DEFAULT", "image_size_cap", Integer.toString(SIZE_CAP)).start();
        service = GlanceImageService.connect(glance.baseUrl(), GlanceOptions.defaults()
                .withReadTimeout(Duration.ofSeconds(30))
                .withRetries(3, Duration.ofMillis(50), Duration.ofMillis(200)));
    }

    @AfterAll
    static void stopGlance() {
        if (glance != null) {
            glance.close();
        }
    }

    @Test
    void uploadsAndDownloadsWithGlancesChecksumAndMultihashMatchingLocalOnes() throws Exception {
        byte[] data = randomBytes((1 << 20) + 17, 1);
        ImageMeta created = service.create(ctx, NewImage.of("round-trip", "raw").withProperties(Map.of("origin", "test")));
        assertThat(created.status()).isEqualTo(ImageStatus.QUEUED);
        assertThat(created.owner()).contains(GlanceServer.PROJECT);
        assertThat(created.property("origin")).contains("test");

        ImageMeta uploaded = service.upload(ctx, created.id(), new ByteArrayInputStream(data), OptionalLong.of(data.length));

        assertThat(uploaded.status()).isEqualTo(ImageStatus.ACTIVE);
        assertThat(uploaded.size()).hasValue(data.length);
        assertThat(uploaded.checksum()).contains(hex("MD5", data));
        assertThat(uploaded.osHashAlgo()).contains("sha512");
        assertThat(uploaded.osHashValue()).contains(hex("SHA-512", data));
        assertThat(uploaded.properties()).doesNotContainKeys("locations", "file", "self", "schema", "stores")
                .containsEntry("min_disk", "0").containsEntry("protected", "false").containsEntry("tags", "[]");
        try (InputStream in = service.download(ctx, created.id())) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        assertThat(glance.awaitDownloads(created.id(), 1)).isEqualTo(1);
        assertThat(service.get(ctx, created.id())).isEqualTo(uploaded);
    }

    @Test
    void uploadsAFileAndAStreamOfUnknownLength(@TempDir Path dir) throws Exception {
        byte[] data = randomBytes(300_000, 2);
        Path file = Files.write(dir.resolve("disk.raw"), data);
        ImageMeta fromFile = service.upload(ctx, service.create(ctx, NewImage.of("file", "raw")).id(), file);
        ImageMeta fromStream = service.upload(ctx, service.create(ctx, NewImage.of("stream", "raw")).id(),
                new ByteArrayInputStream(data), OptionalLong.empty());
        assertThat(fromFile.checksum()).contains(hex("MD5", data));
        assertThat(fromStream.checksum()).contains(hex("MD5", data));
        assertThat(fromStream.size()).hasValue(data.length);
    }

    @Test
    void downloadGivesTheStoredBytesUnverified() throws Exception {
        byte[] data = randomBytes(4096, 3);
        String id = service.create(ctx, NewImage.of("tampered", "raw")).id();
        service.upload(ctx, id, new ByteArrayInputStream(data), OptionalLong.of(data.length));
        byte[] altered = data.clone();
        altered[100] ^= 1;
        Files.write(glance.storedFile(id), altered);

        try (InputStream in = service.download(ctx, id)) {
            byte[] read = in.readAllBytes();
            assertThat(read).isEqualTo(altered);
            assertThat(hex("MD5", read)).isNotEqualTo(service.get(ctx, id).checksum().orElseThrow());
        }
    }

    @Test
    void listsSevenImagesInPagesOfThreeFollowingTheNextLinks() {
        String batch = UUID.randomUUID().toString();
        for (int i = 0; i < 7; i++) {
            service.create(ctx, NewImage.of("paged-" + i, i % 2 == 0 ? "qcow2" : "raw")
                    .withProperties(Map.of("batch", batch)));
        }
        long pagesBefore = listRequests();

        List<String> names = service.list(ctx, ImageQuery.all().where("batch", batch).pageSize(3).sortedBy("name", true))
                .map(image -> image.name().orElseThrow()).collect(Collectors.toList());

        assertThat(names).containsExactly("paged-0", "paged-1", "paged-2", "paged-3", "paged-4", "paged-5", "paged-6");
        assertThat(awaitListRequests(pagesBefore + 3) - pagesBefore).isEqualTo(3);
        assertThat(service.list(ctx, ImageQuery.all().where("batch", batch).sortedBy("name", false)).findFirst())
                .hasValueSatisfying(image -> assertThat(image.name()).contains("paged-6"));
        assertThat(service.list(ctx, ImageQuery.all().where("batch", batch).where("disk_format", "qcow2")))
                .hasSize(4).allSatisfy(image -> assertThat(image.diskFormat()).contains("qcow2"));
    }

    @Test
    void listIsLazy() {
        String batch = UUID.randomUUID().toString();
        for (int i = 0; i < 4; i++) {
            service.create(ctx, NewImage.of("lazy-" + i, "raw").withProperties(Map.of("batch", batch)));
        }
        long before = listRequests();
        try (Stream<ImageMeta> images = service.list(ctx, ImageQuery.all().where("batch", batch).pageSize(2))) {
            assertThat(listRequests()).isEqualTo(before);
            assertThat(images.limit(1).count()).isEqualTo(1);
        }
        assertThat(awaitListRequests(before + 1) - before).isEqualTo(1);
    }

    @Test
    void filtersByStatusAndName() {
        String name = "filter-" + UUID.randomUUID();
        String queued = service.create(ctx, NewImage.of(name, "raw")).id();
        String active = service.create(ctx, NewImage.of(name, "raw")).id();
        service.upload(ctx, active, new ByteArrayInputStream(new byte[512]), OptionalLong.of(512));

        assertThat(service.list(ctx, ImageQuery.all().where("name", name)).map(ImageMeta::id))
                .containsExactlyInAnyOrder(queued, active);
        assertThat(service.list(ctx, ImageQuery.all().where("name", name).where("status", "active")).map(ImageMeta::id))
                .containsExactly(active);
    }

    @Test
    void updateAddsReplacesAndRemovesProperties() {
        String id = service.create(ctx, NewImage.of("before", "raw")
                .withProperties(Map.of("keep", "1", "change", "old", "drop", "x"))).id();

        ImageMeta updated = service.update(ctx, id, ImageChanges.setting(Map.of("name", "after", "change", "new",
                "added", "yes", "min_disk", "2")).andRemove("drop").andRemove("never-there"), false);

        assertThat(updated.name()).contains("after");
        assertThat(updated.properties()).containsEntry("keep", "1").containsEntry("change", "new")
                .containsEntry("added", "yes").containsEntry("min_disk", "2").doesNotContainKey("drop");
        assertThat(service.get(ctx, id)).isEqualTo(updated);
    }

    @Test
    void purgeRemovesExtraPropertiesTheChangesDoNotSetButNeverCoreAttributes() {
        String id = service.create(ctx, NewImage.of("purged", "raw")
                .withProperties(Map.of("a", "1", "b", "2", "hw_disk_bus", "virtio"))).id();
        service.update(ctx, id, ImageChanges.setting(Map.of("min_ram", "128", "tags", "[\"x\"]")), false);

        ImageMeta purged = service.update(ctx, id, ImageChanges.setting(Map.of("a", "10")), true);

        assertThat(purged.properties()).containsEntry("a", "10").doesNotContainKeys("b", "hw_disk_bus")
                .containsEntry("min_ram", "128").containsEntry("tags", "[\"x\"]").containsKey("created_at");
        assertThat(purged.name()).contains("purged");
        assertThat(purged.diskFormat()).contains("raw");
        assertThat(purged.owner()).contains(GlanceServer.PROJECT);
    }

    @Test
    void updateRefusesReadOnlyAttributesBeforeCallingGlance() {
        String id = service.create(ctx, NewImage.of("readonly", "raw")).id();
        assertThatThrownBy(() -> service.update(ctx, id, ImageChanges.setting(Map.of("checksum", "00")), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("checksum");
        assertThatThrownBy(() -> service.update(ctx, id, ImageChanges.setting(Map.of()).andRemove("name"), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
    }

    @Test
    void deleteRemovesTheImage() {
        String id = service.create(ctx, NewImage.of("deleted", "raw")).id();
        service.delete(ctx, id);
        assertThatThrownBy(() -> service.get(ctx, id)).isInstanceOf(ImageNotFoundException.class);
        assertThatThrownBy(() -> service.delete(ctx, id)).isInstanceOf(ImageNotFoundException.class);
    }

    @Test
    void unknownImagesAreNotFoundWithGlancesTextInTheMessage() {
        String id = UUID.randomUUID().toString();
        assertThatThrownBy(() -> service.get(ctx, id)).isInstanceOf(ImageNotFoundException.class)
                .hasMessageContaining(glance.baseUrl().toString()).hasMessageContaining("GET /v2/images/" + id)
                .hasMessageContaining("404").hasMessageContaining("No image found with ID " + id)
                .hasMessageContaining("[req-").hasMessageNotContaining("<");
        assertThatThrownBy(() -> service.download(ctx, id)).isInstanceOf(ImageNotFoundException.class);
        assertThatThrownBy(() -> service.update(ctx, id, ImageChanges.setting(Map.of("a", "b")), false))
                .isInstanceOf(ImageNotFoundException.class);
    }

    @Test
    void uploadingTwiceIsAConflict() {
        String id = service.create(ctx, NewImage.of("twice", "raw")).id();
        service.upload(ctx, id, new ByteArrayInputStream(new byte[1024]), OptionalLong.of(1024));
        assertThatThrownBy(() -> service.upload(ctx, id, new ByteArrayInputStream(new byte[1024]), OptionalLong.of(1024)))
                .isInstanceOf(ImageConflictException.class)
                .hasMessageContaining("PUT /v2/images/" + id + "/file").hasMessageContaining("409")
                .hasMessageContaining("active to saving");
    }

    @Test
    void dataShorterOrLongerThanDeclaredIsRefusedAndTheImageKeepsNoData() {
        String id = service.create(ctx, NewImage.of("short", "raw")).id();
        assertThatThrownBy(() -> service.upload(ctx, id, new ByteArrayInputStream(new byte[500]), OptionalLong.of(1000)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has 500 bytes, not the 1000 declared");
        assertThatThrownBy(() -> service.upload(ctx, id, new ByteArrayInputStream(new byte[1500]), OptionalLong.of(1000)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not the 1000 declared");
        assertThat(service.get(ctx, id).status()).isNotEqualTo(ImageStatus.ACTIVE);
    }

    @Test
    void pagingParametersAreNotFilters() {
        assertThatThrownBy(() -> service.list(ctx, ImageQuery.all().where("marker", "x")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void downloadingAQueuedImageSaysItHasNoData() {
        String id = service.create(ctx, NewImage.of("queued", "raw")).id();
        assertThatThrownBy(() -> service.download(ctx, id))
                .isInstanceOf(ImageServiceException.class).isNotInstanceOf(ImageNotFoundException.class)
                .hasMessageContaining("no data");
    }

    @Test
    void dataOverGlancesSizeCapIsAQuotaError() {
        String id = service.create(ctx, NewImage.of("too-big", "raw")).id();
        byte[] data = new byte[SIZE_CAP + 1];
        assertThatThrownBy(() -> service.upload(ctx, id, new ByteArrayInputStream(data), OptionalLong.of(data.length)))
                .isInstanceOf(ImageQuotaExceededException.class).hasMessageContaining("413");
    }

    @Test
    void callsWithoutIdentityAreRefusedAndTheTokenNeverShows() {
        RequestContext tokenOnly = RequestContext.withToken("s3cret-t0ken");
        assertThatThrownBy(() -> service.list(tokenOnly, ImageQuery.all()).findFirst())
                .isInstanceOf(ImageServiceAuthorizationException.class)
                .hasMessageContaining("401").hasMessageContaining("GET /v2/images?")
                .hasMessageNotContaining("s3cret-t0ken");
        assertThatThrownBy(() -> service.get(RequestContext.anonymous(), UUID.randomUUID().toString()))
                .isInstanceOf(ImageServiceAuthorizationException.class);
    }

    @Test
    void aReaderCannotCreateImages() {
        RequestContext reader = RequestContext.anonymous().identity("someone", GlanceServer.PROJECT, List.of("reader"));
        assertThatThrownBy(() -> service.create(reader, NewImage.of("nope", "raw")))
                .isInstanceOf(ImageServiceAuthorizationException.class).hasMessageContaining("403")
                .hasMessageContaining("POST /v2/images");
    }

    @Test
    void theRequestIdReachesGlancesLog() throws IOException, InterruptedException {
        RequestContext traced = GlanceServer.context();
        service.list(traced, ImageQuery.all().pageSize(1)).findFirst();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!Files.readString(glance.logFile()).contains(traced.requestId()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(Files.readString(glance.logFile())).contains(traced.requestId());
    }

    /** Glance writes an access log line after the answer: wait a little for the count expected. */
    private static long awaitListRequests(long expected) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        long count = listRequests();
        while (count < expected && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            count = listRequests();
        }
        return count;
    }

    private static long listRequests() {
        try (Stream<String> lines = Files.lines(glance.logFile())) {
            return lines.filter(line -> line.contains("\"GET /v2/images?")).count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    static String hex(String algorithm, byte[] data) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
    }
}
