package dev.diskimage.catalog;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.ImageNotFoundException;
import dev.diskimage.core.OrphanedFiles;
import dev.diskimage.core.service.HashAlgorithm;
import dev.diskimage.core.service.ImageChanges;
import dev.diskimage.core.service.ImageConflictException;
import dev.diskimage.core.service.ImageDigests;
import dev.diskimage.core.service.ImageHasher;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageQuery;
import dev.diskimage.core.service.ImageServiceException;
import dev.diskimage.core.service.ImageStatus;
import dev.diskimage.core.service.NewImage;
import dev.diskimage.core.service.RequestContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LocalImageServiceTest {
    private static final RequestContext CTX = RequestContext.anonymous();

    @TempDir
    Path dir;

    /** A clock that moves one second on every reading, so creation order is sort order. */
    static final class TickingClock extends Clock {
        private final AtomicInteger ticks = new AtomicInteger();

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return Instant.parse("2026-01-01T00:00:00Z").plusSeconds(ticks.getAndIncrement());
        }
    }

    private LocalImageService service() {
        return LocalImageService.open(dir, new TickingClock());
    }

    private static byte[] bytes(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    private static ImageDigests digests(byte[] data) {
        ImageHasher hasher = ImageHasher.of(HashAlgorithm.SHA512);
        hasher.update(data, 0, data.length);
        return hasher.digests();
    }

    private List<String> filesIn() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    // ------------------------------------------------------------ create and get

    @Test
    void createsAQueuedImageWithARandomUuidAndReadsItBack() {
        LocalImageService service = service();
        ImageMeta created = service.create(CTX, NewImage.of("cirros", "qcow2").withProperties(Map.of("os", "linux")));

        assertThat(UUID.fromString(created.id()).toString()).isEqualTo(created.id());
        assertThat(created.status()).isEqualTo(ImageStatus.QUEUED);
        assertThat(created.name()).contains("cirros");
        assertThat(created.diskFormat()).contains("qcow2");
        assertThat(created.containerFormat()).contains("bare");
        assertThat(created.visibility()).isEqualTo("private");
        assertThat(created.size()).isEmpty();
        assertThat(created.checksum()).isEmpty();
        assertThat(created.properties()).containsEntry("os", "linux").containsEntry("min_disk", "0")
                .containsEntry("min_ram", "0").containsEntry("protected", "false");
        assertThat(service.get(CTX, created.id())).isEqualTo(created);
        assertThat(dir.resolve(created.id() + ".json")).isRegularFile();
        assertThat(dir.resolve(created.id() + ".data")).doesNotExist();
    }

    @Test
    void storesTimestampsInTheFileOnly() throws IOException {
        ImageMeta created = service().create(CTX, NewImage.of("a", "raw"));
        String json = Files.readString(dir.resolve(created.id() + ".json"));
        assertThat(json).contains("\"created_at\":\"2026-01-01T00:00:00Z\"")
                .contains("\"updated_at\":\"2026-01-01T00:00:00Z\"");
        assertThat(created.properties()).doesNotContainKeys("created_at", "updated_at");
    }

    @Test
    void theOwnerIsTheContextsProject() {
        RequestContext ctx = RequestContext.anonymous().identity("alice", "project-1", List.of("member"));
        assertThat(service().create(ctx, NewImage.of("a", "raw")).owner()).contains("project-1");
    }

    @Test
    void createsWithAGivenIdAndRefusesItTwice() {
        LocalImageService service = service();
        String id = UUID.randomUUID().toString();
        assertThat(service.create(CTX, NewImage.of("a", "raw").withId(id)).id()).isEqualTo(id);
        assertThatThrownBy(() -> service.create(CTX, NewImage.of("b", "raw").withId(id)))
                .isInstanceOf(ImageConflictException.class).hasMessageContaining(id);
        assertThat(service.get(CTX, id).name()).contains("a");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../escape", "../../etc/passwd", "/etc/passwd", "a/b", "..", ".", "",
        "6B1C0000-0000-4000-8000-000000000000", "6b1c0000000040008000000000000000",
        "{6b1c0000-0000-4000-8000-000000000000}", "6b1c0000-0000-4000-8000-000000000000/../x",
        "6b1c0000-0000-4000-8000-000000000000\n", "6b1c0000-0000-4000-8000-00000000000\u0000"})
    void refusesIdsThatAreNotCanonicalUuids(String id) throws IOException {
        LocalImageService service = service();
        assertThatThrownBy(() -> service.create(CTX, NewImage.of("a", "raw").withId(id)))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("canonical lower-case UUID");
        assertThatThrownBy(() -> service.get(CTX, id)).isInstanceOf(ImageNotFoundException.class);
        assertThatThrownBy(() -> service.download(CTX, id)).isInstanceOf(ImageNotFoundException.class);
        assertThatThrownBy(() -> service.delete(CTX, id)).isInstanceOf(ImageNotFoundException.class);
        assertThatThrownBy(() -> service.update(CTX, id, ImageChanges.setting(Map.of("a", "b")), false))
                .isInstanceOf(ImageNotFoundException.class);
        assertThatThrownBy(() -> service.upload(CTX, id, new ByteArrayInputStream(new byte[1]), OptionalLong.empty()))
                .isInstanceOf(ImageNotFoundException.class);
        assertThat(filesIn()).isEmpty();
        assertThat(dir.getParent().resolve("escape")).doesNotExist();
    }

    @Test
    void unknownIdsAreNotFound() throws IOException {
        LocalImageService service = service();
        String id = UUID.randomUUID().toString();
        assertThatThrownBy(() -> service.get(CTX, id)).isInstanceOf(ImageNotFoundException.class)
                .hasMessageContaining(id);
        assertThatThrownBy(() -> service.download(CTX, id)).isInstanceOf(ImageNotFoundException.class);
        assertThatThrownBy(() -> service.delete(CTX, id)).isInstanceOf(ImageNotFoundException.class);
        assertThatThrownBy(() -> service.upload(CTX, id, new ByteArrayInputStream(new byte[1]), OptionalLong.empty()))
                .isInstanceOf(ImageNotFoundException.class);
        assertThatThrownBy(() -> service.update(CTX, id, ImageChanges.setting(Map.of("a", "b")), false))
                .isInstanceOf(ImageNotFoundException.class);
        assertThat(filesIn()).as("no lock file for an image that does not exist").isEmpty();
    }

    @Test
    void refusesUnknownFormatsAndReadOnlyAttributes() {
        LocalImageService service = service();
        assertThatThrownBy(() -> service.create(CTX, NewImage.of("a", "qcow3")))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("disk_format 'qcow3'");
        assertThatThrownBy(() -> service.create(CTX, NewImage.of("a", "raw").withVisibility("everyone")))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("visibility");
        assertThatThrownBy(() -> service.create(CTX, NewImage.of("a", "raw").withProperties(Map.of("status", "active"))))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("status is read-only");
        assertThatThrownBy(() -> service.create(CTX, NewImage.of("a", "raw").withProperties(Map.of("checksum", "0"))))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("read-only");
    }

    @Test
    void locationNamesTheRealDirectory() throws IOException {
        assertThat(service().location()).isEqualTo("directory " + dir.toRealPath());
    }

    @Test
    void opensADirectoryItCreatesAndRefusesAFile() throws IOException {
        Path nested = dir.resolve("a/b");
        assertThat(LocalImageService.open(nested).directory()).isEqualTo(nested.toRealPath());
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertThatThrownBy(() -> LocalImageService.open(file)).isInstanceOf(ImageServiceException.class)
                .hasMessageContaining(file.toString());
    }

    // ------------------------------------------------------------ upload and download

    @Test
    void uploadMakesTheImageActiveWithGlancesHashes() throws IOException {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        byte[] data = bytes(3 * (1 << 20) + 17, 1);

        ImageMeta active = service.upload(CTX, id, new ByteArrayInputStream(data), OptionalLong.of(data.length));

        ImageDigests expected = digests(data);
        assertThat(active.status()).isEqualTo(ImageStatus.ACTIVE);
        assertThat(active.size()).hasValue(data.length);
        assertThat(active.checksum()).contains(expected.md5());
        assertThat(active.osHashAlgo()).contains("sha512");
        assertThat(active.osHashValue()).contains(expected.multihash());
        expected.verify(active, false);
        assertThat(service.get(CTX, id)).isEqualTo(active);
        try (InputStream in = service.download(CTX, id)) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        assertThat(filesIn()).containsExactlyInAnyOrder(id + ".json", id + ".data", "." + id + ".lock");
    }

    @Test
    void uploadsAFileAndAnEmptyImage() throws IOException {
        LocalImageService service = service();
        Path file = Files.write(dir.resolve("../upload-source"), bytes(1000, 2));
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        assertThat(service.upload(CTX, id, file).size()).hasValue(1000);
        String empty = service.create(CTX, NewImage.of("b", "raw")).id();
        ImageMeta meta = service.upload(CTX, empty, new ByteArrayInputStream(new byte[0]), OptionalLong.empty());
        assertThat(meta.size()).hasValue(0);
        assertThat(meta.checksum()).contains("d41d8cd98f00b204e9800998ecf8427e");
        Files.delete(file);
    }

    @Test
    void dataIsUploadedOnce() {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        service.upload(CTX, id, new ByteArrayInputStream(bytes(10, 1)), OptionalLong.of(10));
        assertThatThrownBy(() -> service.upload(CTX, id, new ByteArrayInputStream(bytes(10, 2)), OptionalLong.of(10)))
                .isInstanceOf(ImageConflictException.class).hasMessageContaining("active");
        assertThat(service.get(CTX, id).checksum()).contains(digests(bytes(10, 1)).md5());
    }

    @Test
    void aQueuedImageCannotBeDownloaded() {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        assertThatThrownBy(() -> service.download(CTX, id)).isInstanceOf(ImageServiceException.class)
                .isNotInstanceOf(ImageNotFoundException.class).hasMessageContaining("queued, not active");
    }

    /** A stream that gives some bytes and then fails, as a dropped connection does. */
    private static InputStream failingAfter(int bytes) {
        return new InputStream() {
            private int given;

            @Override
            public int read() throws IOException {
                if (given >= bytes) {
                    throw new IOException("connection reset");
                }
                given++;
                return 7;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (given >= bytes) {
                    throw new IOException("connection reset");
                }
                int n = Math.min(len, bytes - given);
                given += n;
                return n;
            }
        };
    }

    @Test
    void aStreamThatFailsMidUploadLeavesNoPartialAndTheImageQueued() throws IOException {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();

        assertThatThrownBy(() -> service.upload(CTX, id, failingAfter(3 << 20), OptionalLong.empty()))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("connection reset")
                .hasMessageContaining(id);

        assertThat(service.get(CTX, id).status()).isEqualTo(ImageStatus.QUEUED);
        assertThat(filesIn()).containsExactlyInAnyOrder(id + ".json", "." + id + ".lock");
        // and the upload can be tried again
        assertThat(service.upload(CTX, id, new ByteArrayInputStream(bytes(5, 1)), OptionalLong.of(5)).status())
                .isEqualTo(ImageStatus.ACTIVE);
    }

    private static boolean run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        return process.waitFor(20, TimeUnit.SECONDS) && process.exitValue() == 0;
    }

    @Test
    void aFullDiskLeavesNoPartialAndTheImageQueued() throws Exception {
        Path mount = Files.createDirectories(dir.resolve("small"));
        // Needs root to mount a 4 MiB tmpfs; skipped otherwise.
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name"))
                && run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount.toString()), "needs root for a tmpfs");
        try {
            LocalImageService service = LocalImageService.open(mount);
            String id = service.create(CTX, NewImage.of("a", "raw")).id();
            byte[] data = bytes(8 << 20, 3);

            assertThatThrownBy(() -> service.upload(CTX, id, new ByteArrayInputStream(data), OptionalLong.of(data.length)))
                    .isInstanceOf(ImageServiceException.class).hasMessageContaining("No space left on device");

            assertThat(service.get(CTX, id).status()).isEqualTo(ImageStatus.QUEUED);
            try (Stream<Path> files = Files.list(mount)) {
                assertThat(files.map(p -> p.getFileName().toString()))
                        .containsExactlyInAnyOrder(id + ".json", "." + id + ".lock");
            }
        } finally {
            run("umount", mount.toString());
        }
    }

    @Test
    void anUncheckedFailureOfTheStreamAlsoLeavesNothing() throws IOException {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        InputStream broken = new InputStream() {
            @Override
            public int read() {
                throw new IllegalStateException("boom");
            }
        };
        assertThatThrownBy(() -> service.upload(CTX, id, broken, OptionalLong.empty()))
                .isInstanceOf(IllegalStateException.class);
        assertThat(service.get(CTX, id).status()).isEqualTo(ImageStatus.QUEUED);
        assertThat(filesIn()).containsExactlyInAnyOrder(id + ".json", "." + id + ".lock");
    }

    @ParameterizedTest
    @ValueSource(ints = {99, 101, 0})
    void refusesDataWhoseSizeIsNotTheDeclaredOne(int actual) throws IOException {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        assertThatThrownBy(() -> service.upload(CTX, id, new ByteArrayInputStream(bytes(actual, 1)), OptionalLong.of(100)))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("100");
        assertThat(service.get(CTX, id).status()).isEqualTo(ImageStatus.QUEUED);
        assertThat(filesIn()).containsExactlyInAnyOrder(id + ".json", "." + id + ".lock");
    }

    @Test
    void anImageDeletedDuringItsUploadStaysDeleted() throws IOException {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        InputStream deletingMidway = new InputStream() {
            private boolean deleted;

            @Override
            public int read() {
                if (!deleted) {
                    deleted = true;
                    service.delete(CTX, id);
                    return 1;
                }
                return -1;
            }
        };
        assertThatThrownBy(() -> service.upload(CTX, id, deletingMidway, OptionalLong.empty()))
                .isInstanceOf(ImageNotFoundException.class);
        assertThat(filesIn()).isEmpty();
    }

    // ------------------------------------------------------------ update and delete

    @Test
    void updatesAttributesAndProperties() throws IOException {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw").withProperties(Map.of("keep", "1", "drop", "2"))).id();
        String createdJson = Files.readString(dir.resolve(id + ".json"));

        ImageMeta changed = service.update(CTX, id, new ImageChanges(Map.of("name", "b", "disk_format", "qcow2",
                "container_format", "ova", "visibility", "public", "min_disk", "10", "min_ram", "512",
                "protected", "true", "hw_disk_bus", "virtio"), Set.of("drop", "never-set")), false);

        assertThat(changed.name()).contains("b");
        assertThat(changed.diskFormat()).contains("qcow2");
        assertThat(changed.containerFormat()).contains("ova");
        assertThat(changed.visibility()).isEqualTo("public");
        assertThat(changed.properties()).containsEntry("min_disk", "10").containsEntry("min_ram", "512")
                .containsEntry("protected", "true").containsEntry("hw_disk_bus", "virtio").containsEntry("keep", "1")
                .doesNotContainKey("drop");
        assertThat(service.get(CTX, id)).isEqualTo(changed);
        String json = Files.readString(dir.resolve(id + ".json"));
        assertThat(json).contains("\"created_at\":\"2026-01-01T00:00:00Z\"")
                .contains("\"updated_at\":\"2026-01-01T00:00:01Z\"");
        assertThat(createdJson).contains("\"updated_at\":\"2026-01-01T00:00:00Z\"");
    }

    @Test
    void purgePropsRemovesTheExtraPropertiesTheChangesDoNotSet() {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")
                .withProperties(Map.of("a", "1", "b", "2", "min_disk", "5"))).id();
        ImageMeta changed = service.update(CTX, id, ImageChanges.setting(Map.of("b", "3", "c", "4")), true);
        assertThat(changed.properties()).containsOnly(Map.entry("b", "3"), Map.entry("c", "4"),
                Map.entry("min_disk", "5"), Map.entry("min_ram", "0"), Map.entry("protected", "false"));
        assertThat(changed.name()).contains("a");
    }

    @Test
    void refusesChangesToReadOnlyAttributesAndBadValues() {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        for (Map<String, String> bad : List.of(Map.of("status", "active"), Map.of("size", "1"), Map.of("id", "x"),
                Map.of("checksum", "x"), Map.of("os_hash_value", "00"), Map.of("created_at", "2020-01-01T00:00:00Z"),
                Map.of("owner", "x"), Map.of("min_disk", "-1"), Map.of("min_ram", "1.5"), Map.of("min_disk", "+1"),
                Map.of("protected", "yes"), Map.of("disk_format", "exe"), Map.of("visibility", "all"))) {
            assertThatThrownBy(() -> service.update(CTX, id, ImageChanges.setting(bad), false))
                    .as("%s", bad).isInstanceOf(ImageServiceException.class).hasMessageContaining(id);
        }
        assertThatThrownBy(() -> service.update(CTX, id, ImageChanges.setting(Map.of()).andRemove("name"), false))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("cannot be removed");
        ImageMeta unchanged = service.get(CTX, id);
        assertThat(unchanged.status()).isEqualTo(ImageStatus.QUEUED);
        assertThat(unchanged.properties()).containsEntry("min_disk", "0");
    }

    @Test
    void attributesAndPropertiesHaveGlancesLimits() {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("n".repeat(255), "raw")).id();
        assertThatThrownBy(() -> service.create(CTX, NewImage.of("n".repeat(256), "raw")))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("name is longer than 255");
        service.update(CTX, id, ImageChanges.setting(Map.of("k".repeat(255), "v".repeat(65_535), "min_disk", "0")),
                false);
        assertThatThrownBy(() -> service.update(CTX, id, ImageChanges.setting(Map.of("k".repeat(256), "v")), false))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("1 to 255 characters");
        assertThatThrownBy(() -> service.update(CTX, id, ImageChanges.setting(Map.of("", "v")), false))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("1 to 255 characters");
        assertThatThrownBy(() -> service.update(CTX, id, ImageChanges.setting(Map.of("k", "v".repeat(65_536))), false))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("longer than 65535");
        Map<String, String> many = new java.util.HashMap<>();
        for (int i = 0; i < 127; i++) {
            many.put("p" + i, "v");
        }
        service.update(CTX, id, ImageChanges.setting(many), false);
        assertThat(service.get(CTX, id).properties()).hasSize(128 + 3);
        assertThatThrownBy(() -> service.update(CTX, id, ImageChanges.setting(Map.of("one-more", "v")), false))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("more than 128 properties");
    }

    @Test
    void aDeclaredSizeOfZeroIsAnEmptyImage() {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        assertThat(service.upload(CTX, id, new ByteArrayInputStream(new byte[0]), OptionalLong.of(0)).size()).hasValue(0);
    }

    @Test
    void thePartialFileIsAHiddenSiblingNamedWithThePidAndARandomPart() {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        List<String> seen = new ArrayList<>();
        InputStream looking = new InputStream() {
            @Override
            public int read() throws IOException {
                if (seen.isEmpty()) {
                    seen.addAll(filesIn());
                    return 1;
                }
                return -1;
            }
        };
        service.upload(CTX, id, looking, OptionalLong.empty());
        assertThat(seen).filteredOn(name -> name.contains("partial")).singleElement().asString()
                .matches("\\." + id + "\\.data\\.partial-" + OrphanedFiles.ownerTag() + "-[0-9a-f]{16}");
    }

    @Test
    void filtersOnTheValuesAnUploadSets() throws IOException {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        ImageMeta active = service.upload(CTX, id, new ByteArrayInputStream(bytes(5, 1)), OptionalLong.of(5));
        service.create(CTX, NewImage.of("b", "raw"));
        for (Map.Entry<String, String> filter : Map.of("size", "5", "checksum", active.checksum().orElseThrow(),
                "os_hash_algo", "sha512", "os_hash_value", active.osHashValue().orElseThrow()).entrySet()) {
            assertThat(names(service.list(CTX, ImageQuery.all().where(filter.getKey(), filter.getValue()))))
                    .as(filter.getKey()).containsExactly("a");
        }
        String json = Files.readString(dir.resolve(id + ".json"));
        assertThat(json).endsWith("}\n");
        String other = UUID.randomUUID().toString();
        record(other, valid(other).replace("}", ",\"size\":0,\"virtual_size\":0}"));
        assertThat(names(service.list(CTX, ImageQuery.all().where("virtual_size", "0")))).containsExactly("-");
        assertThat(service.get(CTX, other).size()).hasValue(0);
    }

    @Test
    void aRecordWithoutAnIdSaysSo() throws IOException {
        String id = UUID.randomUUID().toString();
        record(id, valid(id).replace("\"id\":\"" + id + "\",", ""));
        assertThatThrownBy(() -> service().get(CTX, id)).hasMessageContaining("its id is missing");
    }

    @Test
    void refusesANegativeDeclaredSize() {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        assertThatThrownBy(() -> service.upload(CTX, id, new ByteArrayInputStream(new byte[0]), OptionalLong.of(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anUploadToAnActiveImageIsRefusedBeforeReadingAByte() {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        service.upload(CTX, id, new ByteArrayInputStream(bytes(10, 1)), OptionalLong.of(10));
        ByteArrayInputStream second = new ByteArrayInputStream(bytes(10, 2));
        assertThatThrownBy(() -> service.upload(CTX, id, second, OptionalLong.of(10)))
                .isInstanceOf(ImageConflictException.class);
        assertThat(second.available()).isEqualTo(10);
    }

    @Test
    void anImageAnotherProcessMadeActiveDuringAnUploadKeepsTheOtherData() throws IOException {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        Path recordFile = dir.resolve(id + ".json");
        byte[] theirs = bytes(7, 9);
        ImageDigests theirDigests = digests(theirs);
        InputStream racing = new InputStream() {
            private boolean raced;

            @Override
            public int read() throws IOException {
                if (!raced) {
                    raced = true;
                    // What another process's finished upload leaves: its data and an active record.
                    Files.write(dir.resolve(id + ".data"), theirs);
                    Files.writeString(recordFile, Files.readString(recordFile)
                            .replace("\"status\":\"queued\"", "\"status\":\"active\",\"size\":7,\"checksum\":\""
                                    + theirDigests.md5() + "\",\"os_hash_algo\":\"sha512\",\"os_hash_value\":\""
                                    + theirDigests.multihash() + "\""));
                    return 1;
                }
                return -1;
            }
        };
        assertThatThrownBy(() -> service.upload(CTX, id, racing, OptionalLong.empty()))
                .isInstanceOf(ImageConflictException.class);
        try (InputStream in = service.download(CTX, id)) {
            assertThat(in.readAllBytes()).isEqualTo(theirs);
        }
        assertThat(filesIn()).noneMatch(name -> name.contains("partial"));
    }

    @Test
    void deleteRemovesBothFiles() throws IOException {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        service.upload(CTX, id, new ByteArrayInputStream(bytes(10, 1)), OptionalLong.of(10));
        String other = service.create(CTX, NewImage.of("b", "raw")).id();

        service.delete(CTX, id);

        assertThat(filesIn()).containsExactlyInAnyOrder(other + ".json", "." + other + ".lock");
        assertThatThrownBy(() -> service.get(CTX, id)).isInstanceOf(ImageNotFoundException.class);
        assertThatThrownBy(() -> service.delete(CTX, id)).isInstanceOf(ImageNotFoundException.class);
        // the id can be used again
        assertThat(service.create(CTX, NewImage.of("c", "raw").withId(id)).status()).isEqualTo(ImageStatus.QUEUED);
    }

    @Test
    void aProtectedImageIsNotDeleted() {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw").withProperties(Map.of("protected", "true"))).id();
        assertThatThrownBy(() -> service.delete(CTX, id)).isInstanceOf(ImageConflictException.class)
                .hasMessageContaining("protected");
        service.update(CTX, id, ImageChanges.setting(Map.of("protected", "false")), false);
        service.delete(CTX, id);
        assertThatThrownBy(() -> service.get(CTX, id)).isInstanceOf(ImageNotFoundException.class);
    }

    // ------------------------------------------------------------ list

    private List<String> names(Stream<ImageMeta> images) {
        try (images) {
            return images.map(m -> m.name().orElse("-")).collect(Collectors.toList());
        }
    }

    @Test
    void listsNewestFirstByDefaultAndSortsEitherWay() {
        LocalImageService service = service();
        for (String name : List.of("c", "a", "d", "b")) {
            service.create(CTX, NewImage.of(name, "raw"));
        }
        assertThat(names(service.list(CTX, ImageQuery.all()))).containsExactly("b", "d", "a", "c");
        assertThat(names(service.list(CTX, ImageQuery.all().sortedBy("created_at", true))))
                .containsExactly("c", "a", "d", "b");
        assertThat(names(service.list(CTX, ImageQuery.all().sortedBy("name", true)))).containsExactly("a", "b", "c", "d");
        assertThat(names(service.list(CTX, ImageQuery.all().sortedBy("name", false)))).containsExactly("d", "c", "b", "a");
    }

    @Test
    void sortsBySizeWithImagesWithoutDataFirst() {
        LocalImageService service = service();
        for (int size : new int[] {30, 10, 20}) {
            String id = service.create(CTX, NewImage.of("s" + size, "raw")).id();
            service.upload(CTX, id, new ByteArrayInputStream(new byte[size]), OptionalLong.of(size));
        }
        service.create(CTX, NewImage.of("none", "raw"));
        assertThat(names(service.list(CTX, ImageQuery.all().sortedBy("size", true))))
                .containsExactly("none", "s10", "s20", "s30");
        assertThat(names(service.list(CTX, ImageQuery.all().sortedBy("size", false))))
                .containsExactly("s30", "s20", "s10", "none");
    }

    @Test
    void pagesThroughEveryImageInOrder() {
        LocalImageService service = service();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            expected.add(String.format("img-%02d", i));
            service.create(CTX, NewImage.of(expected.get(i), "raw"));
        }
        for (int pageSize : new int[] {1, 2, 5, 23, 1000}) {
            assertThat(names(service.list(CTX, ImageQuery.all().pageSize(pageSize).sortedBy("created_at", true))))
                    .as("page size %d", pageSize).containsExactlyElementsOf(expected);
        }
        assertThat(names(service.list(CTX, ImageQuery.all().pageSize(4).sortedBy("name", true)).limit(6)))
                .containsExactlyElementsOf(expected.subList(0, 6));
    }

    @Test
    void filtersOnAttributesAndPropertiesExactly() {
        LocalImageService service = service();
        RequestContext project = RequestContext.anonymous().identity("u", "p1", List.of());
        String a = service.create(project, NewImage.of("cirros", "qcow2").withVisibility("public")
                .withProperties(Map.of("os_distro", "cirros"))).id();
        service.upload(CTX, a, new ByteArrayInputStream(bytes(4, 1)), OptionalLong.of(4));
        service.create(CTX, NewImage.of("cirros-2", "raw").withProperties(Map.of("os_distro", "cirros")));
        service.create(CTX, new NewImage(java.util.Optional.empty(), "debian", "qcow2", "ova", "shared", Map.of()));

        assertThat(names(service.list(CTX, ImageQuery.all().where("name", "cirros")))).containsExactly("cirros");
        assertThat(names(service.list(CTX, ImageQuery.all().where("name", "cirr")))).isEmpty();
        assertThat(names(service.list(CTX, ImageQuery.all().where("status", "active")))).containsExactly("cirros");
        assertThat(names(service.list(CTX, ImageQuery.all().where("status", "queued").sortedBy("name", true))))
                .containsExactly("cirros-2", "debian");
        assertThat(names(service.list(CTX, ImageQuery.all().where("disk_format", "qcow2").sortedBy("name", true))))
                .containsExactly("cirros", "debian");
        assertThat(names(service.list(CTX, ImageQuery.all().where("container_format", "ova")))).containsExactly("debian");
        assertThat(names(service.list(CTX, ImageQuery.all().where("visibility", "public")))).containsExactly("cirros");
        assertThat(names(service.list(CTX, ImageQuery.all().where("owner", "p1")))).containsExactly("cirros");
        assertThat(names(service.list(CTX, ImageQuery.all().where("os_distro", "cirros").sortedBy("name", true))))
                .containsExactly("cirros", "cirros-2");
        assertThat(names(service.list(CTX, ImageQuery.all().where("os_distro", "cirros").where("disk_format", "raw"))))
                .containsExactly("cirros-2");
        assertThat(names(service.list(CTX, ImageQuery.all().where("nothing", "x")))).isEmpty();
    }

    @Test
    void theListIsReadWhenConsumedAndSkipsImagesDeletedMeanwhile() {
        LocalImageService service = service();
        service.create(CTX, NewImage.of("a", "raw"));
        Stream<ImageMeta> images = service.list(CTX, ImageQuery.all().pageSize(1).sortedBy("name", true));
        String b = service.create(CTX, NewImage.of("b", "raw")).id();
        service.create(CTX, NewImage.of("c", "raw"));
        java.util.Iterator<ImageMeta> it = images.iterator();
        assertThat(it.next().name()).as("the scan happens on first use").contains("a");
        service.delete(CTX, b);
        service.create(CTX, NewImage.of("d", "raw"));
        assertThat(it.next().name()).as("b was deleted after the scan").contains("c");
        assertThat(it.hasNext()).as("d came after the scan").isFalse();
    }

    @Test
    void sortsByTheOtherKeys() {
        LocalImageService service = service();
        String a = service.create(CTX, NewImage.of("a", "raw").withProperties(Map.of("min_disk", "3", "min_ram", "1"))).id();
        String b = service.create(CTX, NewImage.of("b", "qcow2").withProperties(Map.of("min_disk", "1", "min_ram", "2",
                "protected", "true")))
                .id();
        service.update(CTX, a, ImageChanges.setting(Map.of("touched", "yes")), false);
        assertThat(names(service.list(CTX, ImageQuery.all().sortedBy("updated_at", false)))).containsExactly("a", "b");
        assertThat(names(service.list(CTX, ImageQuery.all().sortedBy("min_disk", true)))).containsExactly("b", "a");
        assertThat(names(service.list(CTX, ImageQuery.all().sortedBy("min_ram", true)))).containsExactly("a", "b");
        assertThat(names(service.list(CTX, ImageQuery.all().sortedBy("disk_format", true)))).containsExactly("b", "a");
        assertThat(names(service.list(CTX, ImageQuery.all().sortedBy("id", true))))
                .containsExactly(a.compareTo(b) < 0 ? new String[] {"a", "b"} : new String[] {"b", "a"});
        for (String key : List.of("id", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value",
                "min_disk", "min_ram", "protected", "created_at", "updated_at")) {
            ImageMeta first = service.get(CTX, a);
            String value = key.equals("id") ? a : key.equals("min_disk") ? "3" : key.equals("min_ram") ? "1"
                    : key.equals("protected") ? "false" : key.equals("created_at") ? "2026-01-01T00:00:00Z"
                    : key.equals("updated_at") ? "2026-01-01T00:00:02Z" : null;
            if (value != null) {
                assertThat(names(service.list(CTX, ImageQuery.all().where(key, value)))).as(key).containsExactly("a");
            } else {
                assertThat(names(service.list(CTX, ImageQuery.all().where(key, "x")))).as(key).isEmpty();
            }
            assertThat(first.id()).isEqualTo(a);
        }
    }

    @Test
    void refusesAnUnknownSortKey() {
        assertThatThrownBy(() -> service().list(CTX, ImageQuery.all().sortedBy("checksum", true)))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("sort keys");
    }

    @Test
    void ignoresFilesThatAreNotImageRecords() throws IOException {
        LocalImageService service = service();
        Files.writeString(dir.resolve("notes.json"), "not json");
        Files.writeString(dir.resolve("README"), "x");
        service.create(CTX, NewImage.of("a", "raw"));
        assertThat(names(service.list(CTX, ImageQuery.all()))).containsExactly("a");
    }

    // ------------------------------------------------------------ hostile metadata

    private Path record(String id, String content) throws IOException {
        return Files.writeString(dir.resolve(id + ".json"), content);
    }

    private static String valid(String id) {
        return "{\"id\":\"" + id + "\",\"status\":\"queued\",\"visibility\":\"private\","
                + "\"created_at\":\"2026-01-01T00:00:00Z\",\"updated_at\":\"2026-01-01T00:00:00Z\"}";
    }

    @Test
    void readsARecordWrittenByHandWithDefaults() throws IOException {
        String id = UUID.randomUUID().toString();
        record(id, valid(id));
        ImageMeta meta = service().get(CTX, id);
        assertThat(meta.name()).isEmpty();
        assertThat(meta.properties()).containsOnly(Map.entry("min_disk", "0"), Map.entry("min_ram", "0"),
                Map.entry("protected", "false"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "not json",
        "",
        "[]",
        "null",
        "{\"id\":\"ID\",\"status\":\"queued\"",
        "{\"id\":\"ID\",\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\"}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"size\":\"12\"}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"size\":-1}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"size\":99999999999999999999999}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"name\":null}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"name\":[\"a\"]}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"properties\":{\"a\":1}}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"properties\":{\"status\":\"active\"}}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"protected\":\"true\"}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"unknown_key\":1}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"yesterday\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\"}",
        "{\"id\":\"ID\",\"status\":\"bogus\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\"}",
        "{\"id\":\"ID\",\"status\":\"active\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\"}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"world\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\"}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"checksum\":\"../../x\"}",
        "{\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\"}",
        "{\"id\":\"00000000-0000-4000-8000-000000000000\",\"status\":\"queued\",\"visibility\":\"private\","
            + "\"created_at\":\"2026-01-01T00:00:00Z\",\"updated_at\":\"2026-01-01T00:00:00Z\"}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\"} trailing",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"tomorrow\"}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\"}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"virtual_size\":-1}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"min_disk\":-1}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"min_ram\":-1}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"os_hash_algo\":\"sha512\",\"os_hash_value\":\"xyz\"}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"os_hash_value\":\"00ff\"}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"os_hash_algo\":\"sha512\"}",
        "{\"id\":\"ID\",\"status\":\"queued\",\"visibility\":\"private\",\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"properties\":{\"\":\"empty name\"}}",
    })
    void refusesCorruptOrHostileRecordsNamingTheFile(String content) throws IOException {
        String id = UUID.randomUUID().toString();
        Path file = record(id, content.replace("ID", id));
        LocalImageService service = service();
        assertThatThrownBy(() -> service.get(CTX, id)).isInstanceOf(ImageRecordCorruptException.class)
                .hasMessageContaining(file.getFileName().toString())
                .satisfies(e -> assertThat(((ImageRecordCorruptException) e).file().getFileName())
                        .isEqualTo(file.getFileName()));
        assertThatThrownBy(() -> service.list(CTX, ImageQuery.all()).count())
                .isInstanceOf(ImageRecordCorruptException.class);
        assertThatThrownBy(() -> service.update(CTX, id, ImageChanges.setting(Map.of("a", "b")), false))
                .isInstanceOf(ImageRecordCorruptException.class);
        assertThat(Files.readString(file)).as("left for an administrator").isEqualTo(content.replace("ID", id));
    }

    @Test
    void refusesRecordsBeyondThePropertyLimits() throws IOException {
        String id = UUID.randomUUID().toString();
        LocalImageService service = service();
        String head = valid(id).replace("}", ",\"properties\":{");
        StringBuilder many = new StringBuilder(head);
        for (int i = 0; i <= 128; i++) {
            many.append(i == 0 ? "" : ",").append("\"p").append(i).append("\":\"v\"");
        }
        record(id, many + "}}");
        assertThatThrownBy(() -> service.get(CTX, id)).hasMessageContaining("more than 128 properties");
        record(id, head + "\"" + "k".repeat(256) + "\":\"v\"}}");
        assertThatThrownBy(() -> service.get(CTX, id)).hasMessageContaining("longer than 255");
        record(id, head + "\"k\":\"" + "v".repeat(65_536) + "\"}}");
        assertThatThrownBy(() -> service.get(CTX, id)).hasMessageContaining("longer than 65535");
        record(id, head + "\"" + "k".repeat(255) + "\":\"" + "v".repeat(65_535) + "\"}}");
        assertThat(service.get(CTX, id).properties()).containsEntry("k".repeat(255), "v".repeat(65_535));
    }

    @Test
    void aRecordOfExactlyTheLimitIsRead() throws IOException {
        String id = UUID.randomUUID().toString();
        String content = valid(id);
        String padded = content.replace("{", "{" + " ".repeat((int) LocalImageService.MAX_RECORD_BYTES - content.length()));
        assertThat(padded.length()).isEqualTo(LocalImageService.MAX_RECORD_BYTES);
        record(id, padded);
        assertThat(service().get(CTX, id).id()).isEqualTo(id);
        record(id, " " + padded);
        assertThatThrownBy(() -> service().get(CTX, id)).hasMessageContaining("larger than");
    }

    @Test
    void aMissingStatusIsNamedAsMissing() throws IOException {
        String id = UUID.randomUUID().toString();
        record(id, valid(id).replace("\"status\":\"queued\",", ""));
        assertThatThrownBy(() -> service().get(CTX, id)).hasMessageContaining("status (missing)");
    }

    @Test
    void refusesAHugeRecordWithoutReadingItAll() throws IOException {
        String id = UUID.randomUUID().toString();
        String padding = " ".repeat((int) LocalImageService.MAX_RECORD_BYTES);
        record(id, valid(id).replace("{", "{" + padding));
        assertThatThrownBy(() -> service().get(CTX, id)).isInstanceOf(ImageRecordCorruptException.class)
                .hasMessageContaining("larger than 1048576 bytes");
    }

    @Test
    void refusesARecordThatIsALink() throws IOException {
        String id = UUID.randomUUID().toString();
        Path target = Files.writeString(dir.resolve("elsewhere"), valid(id));
        Files.createSymbolicLink(dir.resolve(id + ".json"), target);
        assertThatThrownBy(() -> service().get(CTX, id)).isInstanceOf(ImageRecordCorruptException.class)
                .hasMessageContaining("symbolic link");
    }

    @Test
    void sanitizesHostileTextInMessages() throws IOException {
        String id = UUID.randomUUID().toString();
        record(id, valid(id).replace("\"queued\"", "\"\\u001b[31mred\\n\""));
        assertThatThrownBy(() -> service().get(CTX, id)).isInstanceOf(ImageRecordCorruptException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u001b").doesNotContain("\n"));
    }

    // ------------------------------------------------------------ stale files

    static long deadPid() throws IOException, InterruptedException {
        Process process = new ProcessBuilder("true").start();
        process.waitFor();
        return process.pid();
    }

    @Test
    void removesPartialFilesOfDeadProcessesOnOpen() throws Exception {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        Path deadData = Files.write(dir.resolve("." + id + ".data.partial-" + deadPid() + "-0123456789abcdef"),
                new byte[100]);
        Path deadJson = Files.writeString(dir.resolve("." + id + ".json.partial-" + deadPid() + "-0123456789abcdef"),
                "{");
        Path live = Files.write(dir.resolve("." + id + ".data.partial-" + OrphanedFiles.ownerTag()
                + "-0123456789abcdef"), new byte[1]);
        String orphanId = UUID.randomUUID().toString();
        Path orphanData = Files.write(dir.resolve(orphanId + ".data"), new byte[3]);
        Path unrelated = Files.write(dir.resolve("something.data"), new byte[3]);

        LocalImageService.open(dir);

        assertThat(deadData).doesNotExist();
        assertThat(deadJson).doesNotExist();
        assertThat(orphanData).as("a crashed delete's data").doesNotExist();
        assertThat(live).exists();
        assertThat(unrelated).exists();
        assertThat(service.get(CTX, id).status()).isEqualTo(ImageStatus.QUEUED);
    }

    // ------------------------------------------------------------ concurrency

    private static <T> List<Future<T>> runTogether(int threads, IntFunctionCallable<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int index = i;
                futures.add(pool.submit((Callable<T>) () -> {
                    start.await();
                    return task.call(index);
                }));
            }
            start.countDown();
            for (Future<T> future : futures) {
                try {
                    future.get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    // inspected by the caller
                }
            }
            return futures;
        } finally {
            pool.shutdownNow();
        }
    }

    @FunctionalInterface
    interface IntFunctionCallable<T> {
        T call(int index) throws Exception;
    }

    @Test
    void threadsUploadDifferentImagesAtOnce() throws Exception {
        LocalImageService service = service();
        int count = 8;
        List<String> ids = IntStream.range(0, count)
                .mapToObj(i -> service.create(CTX, NewImage.of("img" + i, "raw")).id()).collect(Collectors.toList());
        List<Future<ImageMeta>> results = runTogether(count, i -> {
            byte[] data = bytes(200_000 + i, i);
            return service.upload(CTX, ids.get(i), new ByteArrayInputStream(data), OptionalLong.of(data.length));
        });
        for (int i = 0; i < count; i++) {
            ImageMeta meta = results.get(i).get();
            digests(bytes(200_000 + i, i)).verify(meta, false);
            try (InputStream in = service.download(CTX, ids.get(i))) {
                assertThat(in.readAllBytes()).isEqualTo(bytes(200_000 + i, i));
            }
        }
        assertThat(filesIn()).noneMatch(name -> name.contains("partial"));
    }

    @Test
    void threadsUploadingOneImageLeaveExactlyOneWinner() throws Exception {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        List<Future<ImageMeta>> results = runTogether(6, i -> {
            byte[] data = bytes(500_000, i);
            return service.upload(CTX, id, new ByteArrayInputStream(data), OptionalLong.of(data.length));
        });
        List<ImageMeta> winners = new ArrayList<>();
        for (Future<ImageMeta> result : results) {
            try {
                winners.add(result.get());
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(ImageConflictException.class);
            }
        }
        assertThat(winners).hasSize(1);
        ImageMeta stored = service.get(CTX, id);
        assertThat(stored).isEqualTo(winners.get(0));
        try (InputStream in = service.download(CTX, id)) {
            ImageDigests actual = digests(in.readAllBytes());
            actual.verify(stored, false);
        }
        assertThat(filesIn()).noneMatch(name -> name.contains("partial"));
    }

    @Test
    void concurrentUpdatesOfOneImageLoseNoChange() throws Exception {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        // two instances, as two processes would have
        LocalImageService other = LocalImageService.open(dir);
        int threads = 8;
        int each = 15;
        List<Future<Void>> results = runTogether(threads, t -> {
            LocalImageService s = t % 2 == 0 ? service : other;
            for (int i = 0; i < each; i++) {
                s.update(CTX, id, ImageChanges.setting(Map.of("p" + t + "-" + i, "v")), false);
            }
            return null;
        });
        for (Future<Void> result : results) {
            result.get();
        }
        assertThat(service.get(CTX, id).properties()).hasSize(threads * each + 3);
    }

    @Test
    void concurrentUpdatesFromAnotherProcessLoseNoChange() throws Exception {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        int each = 40;
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), UpdatingProcess.class.getName(), dir.toString(), id,
                Integer.toString(each))
                .redirectErrorStream(true).start();
        for (int i = 0; i < each; i++) {
            service.update(CTX, id, ImageChanges.setting(Map.of("parent-" + i, "v")), false);
        }
        String output = new String(child.getInputStream().readAllBytes(), UTF_8);
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as(output).isZero();
        Map<String, String> properties = service.get(CTX, id).properties();
        assertThat(properties.keySet().stream().filter(k -> k.startsWith("parent-"))).hasSize(each);
        assertThat(properties.keySet().stream().filter(k -> k.startsWith("child-"))).hasSize(each);
    }

    /** The other process of {@link #concurrentUpdatesFromAnotherProcessLoseNoChange()}. */
    static final class UpdatingProcess {
        public static void main(String[] args) {
            LocalImageService service = LocalImageService.open(Path.of(args[0]));
            for (int i = 0; i < Integer.parseInt(args[2]); i++) {
                service.update(CTX, args[1], ImageChanges.setting(Map.of("child-" + i, "v")), false);
            }
        }
    }

    @Test
    void aProcessKilledMidUploadLeavesAQueuedImageAndAPartialTheNextOpenRemoves() throws Exception {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), EndlessUpload.class.getName(), dir.toString(), id)
                .redirectErrorStream(true).start();
        try {
            // Wait until the child has written some data into its partial file.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (filesIn().stream().noneMatch(name -> name.contains(".data.partial-" + child.pid() + "-"))
                    || partialSize() < (1 << 20)) {
                assertThat(child.isAlive()).as(new String(child.getInputStream().readNBytes(
                        child.getInputStream().available()), UTF_8)).isTrue();
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(20);
            }
        } finally {
            child.destroyForcibly(); // SIGKILL: no cleanup runs in the child
            child.waitFor(60, TimeUnit.SECONDS);
        }
        assertThat(filesIn()).anyMatch(name -> name.contains(".data.partial-"));
        assertThat(service.get(CTX, id).status()).isEqualTo(ImageStatus.QUEUED);

        LocalImageService reopened = LocalImageService.open(dir);

        assertThat(filesIn()).containsExactlyInAnyOrder(id + ".json", "." + id + ".lock");
        assertThat(reopened.upload(CTX, id, new ByteArrayInputStream(bytes(3, 1)), OptionalLong.of(3)).status())
                .isEqualTo(ImageStatus.ACTIVE);
    }

    private long partialSize() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().contains(".data.partial-"))
                    .mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** The child of {@link #aProcessKilledMidUploadLeavesAQueuedImageAndAPartialTheNextOpenRemoves()}. */
    static final class EndlessUpload {
        public static void main(String[] args) {
            InputStream endless = new InputStream() {
                @Override
                public int read() {
                    return 1;
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    java.util.Arrays.fill(b, off, off + len, (byte) 1);
                    return len;
                }
            };
            LocalImageService.open(Path.of(args[0])).upload(CTX, args[1], endless, OptionalLong.empty());
        }
    }

    @Test
    void deletesAndCreatesWithOneIdDoNotInterleave() throws Exception {
        LocalImageService service = service();
        String id = UUID.randomUUID().toString();
        service.create(CTX, NewImage.of("a", "raw").withId(id));
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        runTogether(4, t -> {
            for (int i = 0; i < 30; i++) {
                try {
                    if (t % 2 == 0) {
                        service.delete(CTX, id);
                    } else {
                        service.create(CTX, NewImage.of("a", "raw").withId(id));
                    }
                } catch (ImageNotFoundException | ImageConflictException e) {
                    // expected outcomes of the race
                } catch (RuntimeException e) {
                    errors.add(e.toString());
                }
            }
            return null;
        });
        assertThat(errors).isEmpty();
        assertThat(filesIn()).allMatch(name -> name.equals(id + ".json") || name.equals("." + id + ".lock"));
    }

    @Test
    void aLongRunningUploadDoesNotBlockUpdatesOfTheSameImage() throws Exception {
        LocalImageService service = service();
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch updated = new CountDownLatch(1);
        InputStream slow = new InputStream() {
            private int calls;

            @Override
            public int read() throws IOException {
                calls++;
                if (calls == 1) {
                    reading.countDown();
                    try {
                        if (!updated.await(30, TimeUnit.SECONDS)) {
                            throw new IOException("the update never happened");
                        }
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                    return 1;
                }
                return -1;
            }
        };
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<ImageMeta> upload = pool.submit(() -> service.upload(CTX, id, slow, OptionalLong.empty()));
            assertThat(reading.await(30, TimeUnit.SECONDS)).isTrue();
            service.update(CTX, id, ImageChanges.setting(Map.of("during", "upload")), false);
            assertThatThrownBy(() -> service.upload(CTX, id, new ByteArrayInputStream(new byte[1]), OptionalLong.empty()))
                    .isInstanceOf(ImageConflictException.class).hasMessageContaining("another upload");
            updated.countDown();
            ImageMeta done = upload.get(30, TimeUnit.SECONDS);
            assertThat(done.status()).isEqualTo(ImageStatus.ACTIVE);
            assertThat(done.properties()).containsEntry("during", "upload");
            assertThat(done.size()).hasValue(1);
        } finally {
            pool.shutdownNow();
        }
    }
}
