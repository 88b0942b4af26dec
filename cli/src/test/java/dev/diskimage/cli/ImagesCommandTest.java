package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diskimage.catalog.LocalImageService;
import dev.diskimage.core.service.HashAlgorithm;
import dev.diskimage.core.service.ImageChanges;
import dev.diskimage.core.service.ImageDigests;
import dev.diskimage.core.service.ImageHasher;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageStatus;
import dev.diskimage.core.service.NewImage;
import dev.diskimage.core.service.RequestContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** diskimage upload and diskimage images list|show|delete against a local image directory. */
class ImagesCommandTest {
    private static final RequestContext CTX = RequestContext.anonymous();

    @TempDir
    Path dir;

    private Path store;
    private Path raw;
    private byte[] rawBytes;

    @BeforeEach
    void files() throws IOException {
        store = dir.resolve("store");
        raw = dir.resolve("disk.raw");
        rawBytes = new byte[3 * 65536 + 11];
        new Random(7).nextBytes(rawBytes);
        // A raw image whose first bytes no format inspector claims.
        for (int i = 0; i < 4096; i++) {
            rawBytes[i] = 0;
        }
        Files.write(raw, rawBytes);
    }

    private static ImageCheckTest.Run diskimage(String... args) {
        return DiskimageTest.diskimage(args);
    }

    private static JsonNode json(String line) throws IOException {
        return new ObjectMapper().readTree(line);
    }

    private static void oneLineError(ImageCheckTest.Run run, int exit, String mentions) {
        assertThat(run.exit()).as(run.err()).isEqualTo(exit);
        assertThat(run.err().strip().split("\n")[0]).contains(mentions).doesNotContain("Exception", "dev.diskimage");
        assertThat(run.err()).doesNotContain("\tat ");
    }

    private List<String> storeFiles() throws IOException {
        if (!Files.exists(store)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(store)) {
            return files.map(p -> p.getFileName().toString()).collect(Collectors.toList());
        }
    }

    private String upload(String name) {
        ImageCheckTest.Run run = diskimage("upload", "--service", store.toString(), "--name", name, "--disk-format",
                "raw", raw.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        return run.out().strip();
    }

    // ------------------------------------------------------------ upload

    @Test
    void uploadPrintsTheIdOfAnActiveImageWithTheFilesHashes() {
        String id = upload("disk");

        assertThat(UUID.fromString(id).toString()).isEqualTo(id);
        ImageMeta meta = LocalImageService.open(store).get(CTX, id);
        assertThat(meta.status()).isEqualTo(ImageStatus.ACTIVE);
        assertThat(meta.name()).contains("disk");
        assertThat(meta.diskFormat()).contains("raw");
        assertThat(meta.containerFormat()).contains("bare");
        assertThat(meta.visibility()).isEqualTo("private");
        ImageHasher hasher = ImageHasher.of(HashAlgorithm.SHA512);
        hasher.update(rawBytes, 0, rawBytes.length);
        hasher.digests().verify(meta, false);
    }

    @Test
    void uploadJsonIsOneLineWithTheHashes() throws IOException {
        ImageCheckTest.Run run = diskimage("upload", "--service", store.toString(), "--name", "disk", "--disk-format",
                "raw", "--visibility", "public", "--property", "os_distro=cirros", "--json", raw.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out().strip().lines()).hasSize(1);
        JsonNode root = json(run.out());
        ImageHasher hasher = ImageHasher.of(HashAlgorithm.SHA512);
        hasher.update(rawBytes, 0, rawBytes.length);
        ImageDigests digests = hasher.digests();
        assertThat(root.get("checksum").asText()).isEqualTo(digests.md5());
        assertThat(root.get("os_hash_algo").asText()).isEqualTo("sha512");
        assertThat(root.get("os_hash_value").asText()).isEqualTo(digests.multihash());
        assertThat(root.get("size").asLong()).isEqualTo(rawBytes.length);
        ImageMeta meta = LocalImageService.open(store).get(CTX, root.get("id").asText());
        assertThat(meta.visibility()).isEqualTo("public");
        assertThat(meta.property("os_distro")).contains("cirros");
    }

    @Test
    void aRefusedImageIsNotUploadedAndCreatesNothing() throws IOException {
        // Declared qcow2, but the bytes are raw: declared must equal detected.
        ImageCheckTest.Run run = diskimage("upload", "--service", store.toString(), "--name", "disk", "--disk-format",
                "qcow2", raw.toString());

        oneLineError(run, 1, raw.toString());
        assertThat(run.out()).isEmpty();
        assertThat(storeFiles()).isEmpty();
    }

    @Test
    void aMissingFileIsAnErrorAndCreatesNothing() throws IOException {
        ImageCheckTest.Run run = diskimage("upload", "--service", store.toString(), "--name", "disk", "--disk-format",
                "raw", dir.resolve("missing.raw").toString());

        oneLineError(run, 2, "missing.raw");
        assertThat(storeFiles()).isEmpty();
    }

    @Test
    void uploadRefusesAnUnknownFormatAndMissingOptions() {
        oneLineError(diskimage("upload", "--service", store.toString(), "--name", "d", "--disk-format", "exe",
                raw.toString()), 2, "unknown format 'exe'");
        oneLineError(diskimage("upload", "--service", store.toString(), "--disk-format", "raw", raw.toString()), 2,
                "--name");
        oneLineError(diskimage("upload", "--name", "d", "--disk-format", "raw", raw.toString()), 2, "--service");
    }

    @Test
    void aServiceThatRefusesTheRecordLeavesNothing() throws IOException {
        ImageCheckTest.Run run = diskimage("upload", "--service", store.toString(), "--name", "d", "--disk-format",
                "raw", "--visibility", "everyone", raw.toString());

        oneLineError(run, 2, "visibility 'everyone'");
        assertThat(storeFiles()).isEmpty();
    }

    // ------------------------------------------------------------ choosing the service

    @Test
    void anUnreachableGlanceIsAOneLineServiceErrorThatNeverShowsTheToken() throws IOException {
        int port;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            port = closed.getLocalPort();
        }
        ImageCheckTest.Run run = diskimage("images", "--glance", "http://127.0.0.1:" + port, "--token", "secret-token",
                "--roles", "admin", "--user", "u", "--project", "p", "list");

        oneLineError(run, 2, "127.0.0.1:" + port);
        assertThat(run.err()).doesNotContain("secret-token");
    }

    @Test
    void glanceOptionsAreCheckedFirst() {
        oneLineError(diskimage("images", "--glance", "ftp://host", "list"), 2, "http:// or https://");
        oneLineError(diskimage("images", "--glance", "http://user:pw@host", "list"), 2, "no user info");
        oneLineError(diskimage("images", "--glance", "http://host", "--header", "no-colon", "list"), 2,
                "NAME:VALUE");
        oneLineError(diskimage("images", "--glance", "http://host", "--header", "Bad Name:x", "list"), 2,
                "NAME:VALUE");
    }

    @Test
    void serviceAndGlanceExcludeEachOtherAndOneIsNeeded() {
        oneLineError(diskimage("images", "--service", store.toString(), "--glance", "http://h", "list"), 2,
                "mutually exclusive");
        oneLineError(diskimage("images", "list"), 2, "--service");
        oneLineError(diskimage("images", "--service", store.toString(), "--token", "t", "list"), 2,
                "--token and --header go with --glance");
    }

    @Test
    void imagesAloneIsAUsageError() {
        ImageCheckTest.Run run = diskimage("images", "--service", store.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("list", "show", "delete");
    }

    @Test
    void aServicePathThatIsAFileIsAnError() {
        oneLineError(diskimage("images", "--service", raw.toString(), "list"), 2, raw.toString());
    }

    // ------------------------------------------------------------ images list, show, delete

    @Test
    void listsShowsAndDeletesUploadedImages() throws IOException {
        String first = upload("first");
        String second = upload("second");

        ImageCheckTest.Run list = diskimage("images", "--service", store.toString(), "list");
        assertThat(list.exit()).as(list.err()).isZero();
        List<String> lines = list.out().strip().lines().collect(Collectors.toList());
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith(second).contains("active", "raw", Integer.toString(rawBytes.length),
                "second");
        assertThat(lines.get(1)).startsWith(first);

        ImageCheckTest.Run listJson = diskimage("images", "--service", store.toString(), "list", "--json",
                "--sort", "name:asc");
        List<String> jsonLines = listJson.out().strip().lines().collect(Collectors.toList());
        assertThat(jsonLines).hasSize(2);
        assertThat(json(jsonLines.get(0)).get("name").asText()).isEqualTo("first");
        assertThat(json(jsonLines.get(1)).get("id").asText()).isEqualTo(second);

        ImageCheckTest.Run show = diskimage("images", "--service", store.toString(), "show", first);
        assertThat(show.exit()).as(show.err()).isZero();
        assertThat(show.out()).contains("id: " + first, "name: first", "status: active", "disk format: raw",
                "size: " + rawBytes.length + " bytes", "multihash: sha512 ", "property min_disk: 0");

        ImageCheckTest.Run showJson = diskimage("images", "--service", store.toString(), "show", "--json", first);
        JsonNode root = json(showJson.out());
        assertThat(showJson.out().strip().lines()).hasSize(1);
        assertThat(root.get("id").asText()).isEqualTo(first);
        assertThat(root.get("status").asText()).isEqualTo("active");
        assertThat(root.get("size").asLong()).isEqualTo(rawBytes.length);
        assertThat(root.get("virtual_size").isNull()).isTrue();
        assertThat(root.get("properties").get("protected").asText()).isEqualTo("false");

        ImageCheckTest.Run delete = diskimage("images", "--service", store.toString(), "delete", first);
        assertThat(delete.exit()).as(delete.err()).isZero();
        assertThat(delete.out().strip()).isEqualTo("deleted " + first);
        ImageCheckTest.Run deleteJson = diskimage("images", "--service", store.toString(), "delete", "--json", second);
        assertThat(json(deleteJson.out()).get("deleted").asBoolean()).isTrue();
        assertThat(diskimage("images", "--service", store.toString(), "list").out()).isEmpty();
    }

    @Test
    void listFiltersAndSorts() {
        LocalImageService service = LocalImageService.open(store);
        service.create(CTX, NewImage.of("b", "qcow2"));
        service.create(CTX, NewImage.of("a", "raw").withProperties(Map.of("os_distro", "debian")));
        service.create(CTX, NewImage.of("c", "raw"));

        ImageCheckTest.Run raws = diskimage("images", "--service", store.toString(), "list", "--filter",
                "disk_format=raw", "--sort", "name:desc");
        assertThat(raws.exit()).as(raws.err()).isZero();
        assertThat(names(raws)).containsExactly("c", "a");
        assertThat(names(diskimage("images", "--service", store.toString(), "list", "--filter", "os_distro=debian")))
                .containsExactly("a");
        assertThat(names(diskimage("images", "--service", store.toString(), "list", "--sort", "name")))
                .containsExactly("c", "b", "a");
        oneLineError(diskimage("images", "--service", store.toString(), "list", "--sort", "checksum"), 2, "sort keys");
        oneLineError(diskimage("images", "--service", store.toString(), "list", "--sort", "name:up"), 2,
                "asc or desc");
    }

    private static List<String> names(ImageCheckTest.Run run) {
        List<String> names = new ArrayList<>();
        run.out().strip().lines().forEach(line -> names.add(line.substring(line.lastIndexOf(' ') + 1)));
        return names;
    }

    @Test
    void anUnknownIdIsNotFoundWithExitOne() {
        String id = UUID.randomUUID().toString();
        oneLineError(diskimage("images", "--service", store.toString(), "show", id), 1, "no image " + id);
        oneLineError(diskimage("images", "--service", store.toString(), "delete", id), 1, "no image " + id);
        oneLineError(diskimage("images", "--service", store.toString(), "show", "../../etc/passwd"), 1,
                "no image '../../etc/passwd'");
    }

    @Test
    void aHostileIdIsPrintedEscaped() {
        ImageCheckTest.Run run = diskimage("images", "--service", store.toString(), "show", "\u001b[2Jx\ny");
        oneLineError(run, 1, "no image");
        assertThat(run.err()).doesNotContain("\u001b").hasLineCount(1);
    }

    @Test
    void aProtectedImageIsRefusedWithExitOne() {
        LocalImageService service = LocalImageService.open(store);
        String id = service.create(CTX, NewImage.of("a", "raw")).id();
        service.update(CTX, id, ImageChanges.setting(Map.of("protected", "true")), false);

        oneLineError(diskimage("images", "--service", store.toString(), "delete", id), 1, "protected");
        assertThat(service.get(CTX, id).name()).contains("a");
    }

    @Test
    void aCorruptRecordIsAnErrorNamingTheFile() throws IOException {
        Files.createDirectories(store);
        String id = UUID.randomUUID().toString();
        Path record = Files.writeString(store.resolve(id + ".json"), "{\"id\": 1}");

        oneLineError(diskimage("images", "--service", store.toString(), "list"), 2, record.getFileName().toString());
        oneLineError(diskimage("images", "--service", store.toString(), "show", id), 2, "is corrupt");
    }

    @Test
    void quietPrintsNothing() {
        upload("a");
        ImageCheckTest.Run run = diskimage("images", "--service", store.toString(), "list", "--quiet");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).isEmpty();
    }

    @Test
    void helpOfTheSubcommandsWorksWithoutAService() {
        for (String sub : List.of("list", "show", "delete")) {
            ImageCheckTest.Run run = diskimage("images", sub, "--help");
            assertThat(run.exit()).as(sub + ": " + run.err()).isZero();
            assertThat(run.out()).contains("Usage: diskimage images " + sub);
        }
        assertThat(diskimage("images", "--help").out()).contains("--service", "--glance", "--token", "--header");
        assertThat(diskimage("upload", "--help").out()).contains("--service", "--glance", "--disk-format");
        assertThat(diskimage("--help").out()).contains("upload", "images");
    }

    @Test
    void downloadedBytesAreTheUploadedOnes() throws IOException {
        String id = upload("a");
        try (InputStream in = LocalImageService.open(store).download(CTX, id)) {
            assertThat(in.readAllBytes()).isEqualTo(rawBytes);
        }
    }
}
