package dev.diskimage.catalog.templates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpServer;
import dev.diskimage.catalog.cache.Checksum;
import dev.diskimage.catalog.cache.ChecksumAlgorithm;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edges of a template repository's bounds and of the small documents (hash, metadata,
 * repository) read for it: the last value accepted and the first one refused.
 */
class TemplateLimitsTest {
    @TempDir
    Path dir;

    private static String repo(String name, String sourceName, String handle, String timestamp) {
        return "{\"name\": \"" + name + "\", \"sources\": {\"" + sourceName + "\": {\"type\": \"http\", \"args\":"
                + " {\"baseurl\": \"https://h.example/r\"}}}, \"templates\": {\"t\": {\"versions\": {\"v\":"
                + " {\"source\": \"" + sourceName + "\", \"handle\": \"" + handle + "\", \"timestamp\": " + timestamp
                + "}}}}}";
    }

    private static TemplateRepository parse(String json) {
        return TemplateRepository.parse("test.json", json.getBytes(StandardCharsets.UTF_8), Optional.of(Path.of("/")));
    }

    private static TemplateRepositoryException refused(String json) {
        Throwable thrown = catchThrowable(() -> parse(json));
        assertThat(thrown).as(json.length() > 300 ? json.substring(0, 300) : json)
                .isInstanceOf(TemplateRepositoryException.class);
        return (TemplateRepositoryException) thrown;
    }

    @Test
    void namesOf128CharactersWithEveryAllowedCharacterAreAccepted() {
        String longest = "A" + "z9._+@-".repeat(18) + "Z";
        assertThat(longest).hasSize(TemplateRepository.MAX_NAME_CHARS);
        TemplateRepository repository = parse(repo(longest, longest, "h", "1"));
        assertThat(repository.name()).isEqualTo(longest);
        assertThat(repository.sources()).containsOnlyKeys(longest);
        assertThat(parse(repo("0", "9", "h", "1")).name()).isEqualTo("0");

        TemplateRepositoryException e = refused(repo("lab", longest + "x", "h", "1"));
        assertThat(e.field()).isEqualTo("sources." + longest + "x");
        assertThat(e).hasMessageContaining("is not 1 to 128 of A-Z a-z 0-9");
        for (String bad : new String[] {"-a", "_a", "a b", "a:b", "ä"}) {
            assertThat(refused(repo("lab", bad, "h", "1")).field()).as(bad).isEqualTo("sources." + bad);
        }
    }

    @Test
    void timestampsFromZeroToTheEndOfYear9999AreAcceptedToTheNanosecond() {
        assertThat(parse(repo("lab", "s", "h", "0")).version("t").timestamp()).isEqualTo(Instant.EPOCH);
        assertThat(parse(repo("lab", "s", "h", "253402300799")).version("t").timestamp())
                .isEqualTo(Instant.parse("9999-12-31T23:59:59Z"));
        assertThat(parse(repo("lab", "s", "h", "1.000000001")).version("t").timestamp())
                .isEqualTo(Instant.ofEpochSecond(1, 1));
        assertThat(refused(repo("lab", "s", "h", "253402300799.5")))
                .hasMessage("template repository test.json, field templates.t.versions.v.timestamp:"
                        + " 253402300799.5 is not between 0 and 253402300799 seconds since 1970-01-01 UTC");
        assertThat(refused(repo("lab", "s", "h", "-0.5")).field()).isEqualTo("templates.t.versions.v.timestamp");
    }

    @Test
    void handlesOfUpTo1024CharactersWithoutEmptySegmentsAreAccepted() {
        String longest = "d/".repeat(511) + "xy";
        assertThat(longest).hasSize(TemplateRepository.MAX_HANDLE_CHARS);
        assertThat(parse(repo("lab", "s", longest, "1")).version("t").handle()).isEqualTo(longest);
        assertThat(refused(repo("lab", "s", longest + "z", "1")))
                .hasMessageContaining("is 1025 characters long, more than the 1024 accepted");
        for (String bad : new String[] {"a/", ".", "..", "a/..", "", "/a", "\\\\a"}) {
            assertThat(refused(repo("lab", "s", bad, "1")).field()).as(bad).isEqualTo("templates.t.versions.v.handle");
        }
        assertThat(refused(repo("lab", "s", "", "1"))).hasMessageEndingWith("is empty");
        assertThat(parse(repo("lab", "s", "a.b/..c/d..", "1")).version("t").handle()).isEqualTo("a.b/..c/d..");
    }

    @Test
    void aTypeIsAStringOfAtMost64Characters() {
        String json = repo("lab", "s", "h", "1");
        assertThat(refused(json.replace("\"type\": \"http\"", "\"type\": 7")))
                .hasMessageEndingWith("field sources.s.type: is not a string");
        assertThat(refused(json.replace("\"type\": \"http\"", "\"type\": \"" + "x".repeat(65) + "\"")))
                .hasMessageContaining("is 65 characters long, more than the 64 accepted");
        assertThat(refused(json.replace("\"type\": \"http\"", "\"type\": \"" + "x".repeat(64) + "\"")))
                .hasMessageContaining("unknown source type");
        assertThat(refused(json.replace("\"sources\": {\"s\": {", "\"sources\": {\"s\": [], \"s2\": {")).field())
                .isEqualTo("sources.s");
        assertThat(refused(json.replace("\"t\": {\"versions\"", "\"t\": 1, \"t2\": {\"versions\"")).field())
                .isEqualTo("templates.t");
        assertThat(refused(json.replace("\"v\": {", "\"v\": 1, \"w\": {")).field()).isEqualTo("templates.t.versions.v");
        assertThat(refused(json.replace("\"sources\": {", "\"sources\": 1, \"x\": {")).field()).isEqualTo("sources");
    }

    @Test
    void atMost1000SourcesAreRead() {
        StringBuilder sources = new StringBuilder();
        for (int i = 0; i < TemplateRepository.MAX_SOURCES; i++) {
            sources.append("\"s").append(i).append("\": {\"type\": \"http\", \"args\": {\"baseurl\": \"https://h/\"}},");
        }
        String most = repo("lab", "s", "h", "1").replace("\"sources\": {", "\"sources\": {" + sources);
        assertThat(refused(most)).hasMessageContaining("field sources: has 1001 entries, more than the 1000 accepted");
        assertThat(parse(most.replace("\"s0\": {\"type\": \"http\", \"args\": {\"baseurl\": \"https://h/\"}},", ""))
                .sources()).hasSize(TemplateRepository.MAX_SOURCES);
    }

    @Test
    void atMost100000VersionsAreReadCountingEveryTemplate() {
        int half = TemplateRepository.MAX_VERSIONS / 2;
        String most = twoTemplates(half, half);
        TemplateRepository repository = parse(most);
        assertThat(repository.template("a").versions()).hasSize(half);
        assertThat(repository.template("b").versions()).hasSize(half);

        TemplateRepositoryException e = refused(twoTemplates(half, half + 1));
        assertThat(e.field()).isEqualTo("templates.b.versions");
        assertThat(e).hasMessageContaining("the repository lists more than 100000 versions");
    }

    private static String twoTemplates(int first, int second) {
        StringBuilder json = new StringBuilder("{\"name\": \"lab\", \"sources\": {\"s\": {\"type\": \"http\", \"args\":"
                + " {\"baseurl\": \"https://h/\"}}}, \"templates\": {");
        int[] counts = {first, second};
        String[] names = {"a", "b"};
        for (int t = 0; t < 2; t++) {
            json.append(t == 0 ? "" : ",").append('"').append(names[t]).append("\": {\"versions\": {");
            for (int i = 0; i < counts[t]; i++) {
                json.append(i == 0 ? "" : ",").append("\"").append(i)
                        .append("\":{\"source\":\"s\",\"handle\":\"h\",\"timestamp\":1}");
            }
            json.append("}}");
        }
        return json.append("}}").toString();
    }

    @Test
    void anUnknownTemplateListsTheFirst20Names() {
        StringBuilder templates = new StringBuilder();
        for (int i = 10; i < 31; i++) {
            templates.append("\"t").append(i).append("\": {\"versions\": {\"v\": {\"source\": \"s\", \"handle\": \"h\","
                    + " \"timestamp\": 1}}},");
        }
        String json = repo("lab", "s", "h", "1").replace("\"templates\": {", "\"templates\": {" + templates);
        assertThatThrownBy(() -> parse(json).template("nope")).isInstanceOf(TemplateNotFoundException.class)
                .hasMessageContaining("templates: t, t10, t11")
                .hasMessageEndingWith(", t28, ... (22 in all))");
        String twenty = json.replace("\"t29\": {\"versions\": {\"v\": {\"source\": \"s\", \"handle\": \"h\","
                + " \"timestamp\": 1}}},", "").replace("\"t30\": {\"versions\": {\"v\": {\"source\": \"s\", \"handle\":"
                + " \"h\", \"timestamp\": 1}}},", "");
        assertThatThrownBy(() -> parse(twenty).template("nope")).hasMessageEndingWith(", t27, t28)");
        assertThatThrownBy(() -> parse(json).version("t10:")).isInstanceOf(TemplateNotFoundException.class)
                .hasMessageContaining("has no version  (versions: v)");
        assertThat(parse(json).version("t10:v").storeName()).isEqualTo("lab:t10:v");
        assertThatThrownBy(() -> parse(json).version(":v")).isInstanceOf(TemplateNotFoundException.class)
                .hasMessageStartingWith("template  does not exist in repository lab");
        assertThat(parse(json)).hasToString("TemplateRepository[lab from test.json]");
    }

    @Test
    void fileRootsResolveAgainstTheDocumentAndTheHome() {
        String json = repo("lab", "s", "h", "1").replace("\"type\": \"http\", \"args\": {\"baseurl\": \"https://h.example/r\"}",
                "\"type\": \"file\", \"args\": {\"root\": \"~\"}");
        TemplateRepository home = TemplateRepository.parse("x", json.getBytes(StandardCharsets.UTF_8),
                Optional.of(dir));
        assertThat(((FileTemplateSource) home.sources().get("s")).root())
                .isEqualTo(Path.of(System.getProperty("user.home")));
        TemplateRepository absolute = TemplateRepository.parse("x", json.replace("\"~\"", "\"/srv/t\"")
                .getBytes(StandardCharsets.UTF_8), Optional.of(dir));
        assertThat(((FileTemplateSource) absolute.sources().get("s")).root()).isEqualTo(Path.of("/srv/t"));
        TemplateRepository tilde = TemplateRepository.parse("x", json.replace("\"~\"", "\"~x\"")
                .getBytes(StandardCharsets.UTF_8), Optional.of(dir));
        assertThat(((FileTemplateSource) tilde.sources().get("s")).root()).isEqualTo(dir.resolve("~x"));
    }

    @Test
    void sourcesCheckTheirUrlsAndRoots() {
        assertThat(new HttpTemplateSource("s", URI.create("HTTPS://h.example")).baseUrl())
                .isEqualTo(URI.create("https://h.example/"));
        assertThat(new HttpTemplateSource("s", URI.create("http://h.example:8080/a/")).resolve("b"))
                .isEqualTo(URI.create("http://h.example:8080/a/b"));
        assertThat(new HttpTemplateSource("s", URI.create("http://h.example/a")).describe("b c"))
                .isEqualTo("http://h.example/a/b%20c");
        assertThatThrownBy(() -> new HttpTemplateSource("s", URI.create("http:/no-host/")))
                .hasMessageStartingWith("the URL names no host");
        assertThatThrownBy(() -> new HttpTemplateSource("s", URI.create("https://h.example/#f")))
                .hasMessageStartingWith("a base URL has no query or fragment");
        assertThatThrownBy(() -> new HttpTemplateSource("s", URI.create("/relative")))
                .hasMessageStartingWith("not an http or https URL");

        FileTemplateSource files = new FileTemplateSource("f", Path.of("/srv/./t"));
        assertThat(files.root()).isEqualTo(Path.of("/srv/t"));
        assertThat(files.resolve("a/../b")).isEqualTo(Path.of("/srv/t/b"));
        assertThat(files.describe("b")).isEqualTo("/srv/t/b");
        for (String leaving : new String[] {"..", "a/../..", "", "../tt"}) {
            assertThatThrownBy(() -> files.resolve(leaving)).as(leaving).hasMessageContaining("leaves the source root");
        }
        assertThatThrownBy(() -> new FileTemplateSource("f", Path.of("relative")))
                .hasMessageContaining("must be absolute");
    }

    @Test
    void aTemplateNeedsAVersionAndAVersionIsNamedByItsStoreName() {
        TemplateSource source = new HttpTemplateSource("s", URI.create("https://h/"));
        assertThatThrownBy(() -> new Template("r", "t", Map.of())).hasMessage("template t has no version");
        TemplateVersion version = new TemplateVersion("r", "t", "v", source, "h", Instant.EPOCH);
        assertThat(version).hasToString("r:t:v");
        assertThatThrownBy(() -> new Template("r", "t", Map.of("v", version)).version("w"))
                .isInstanceOf(TemplateNotFoundException.class)
                .hasMessage("template t of repository r has no version w (versions: v)");
        TemplateRepositoryException plain = new TemplateRepositoryException("r", "", "broken");
        assertThat(plain).hasMessage("template repository r: broken");
        assertThat(plain.field()).isEmpty();
        assertThat(plain.repository()).isEqualTo("r");
    }

    @Test
    void hashFilesGiveTheAlgorithmByNameOrByLength() {
        for (ChecksumAlgorithm algorithm : ChecksumAlgorithm.values()) {
            String hex = "c".repeat(algorithm.digestBytes() * 2);
            assertThat(HashText.parse((hex + "  image.qcow2\n").getBytes(StandardCharsets.US_ASCII)))
                    .isEqualTo(new Checksum(algorithm, hex));
        }
        assertThat(HashText.parse(("\n sha256:" + "d".repeat(64) + " x").getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(new Checksum(ChecksumAlgorithm.SHA256, "d".repeat(64)));
        for (String bad : new String[] {":" + "d".repeat(32), "d".repeat(33), "", "sha1:" + "d".repeat(32)}) {
            assertThatThrownBy(() -> HashText.parse(bad.getBytes(StandardCharsets.US_ASCII))).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> HashText.parse(("x".repeat(10)).getBytes(StandardCharsets.US_ASCII)))
                .hasMessage("not a hex digest of 32, 40, 64 or 128 digits, nor algorithm:hex: 'xxxxxxxxxx'");
    }

    @Test
    void aLocalDocumentIsReadUpToItsLimitAndMustBeAFile() throws IOException {
        Path file = dir.resolve("doc");
        Files.write(file, new byte[100]);
        assertThat(SmallDocument.read(file, 100)).hasValueSatisfying(bytes -> assertThat(bytes).hasSize(100));
        assertThatThrownBy(() -> SmallDocument.read(file, 99)).hasMessage("more than the 99 bytes accepted");
        assertThat(SmallDocument.read(dir.resolve("none"), 10)).isEmpty();
        Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("none"));
        assertThatThrownBy(() -> SmallDocument.read(dir.resolve("dangling"), 10)).hasMessage("not a regular file");
        Files.createSymbolicLink(dir.resolve("link"), file);
        assertThat(SmallDocument.read(dir.resolve("link"), 100)).isPresent();
        assertThatThrownBy(() -> SmallDocument.read(dir, 10)).hasMessage("not a regular file");
    }

    @Test
    void anHttpDocumentIsReadUpToItsLimitAnd404Or410MeanNone() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            int status = Integer.parseInt(path.substring(1, 4));
            byte[] body = new byte[Integer.parseInt(path.substring(5))];
            if (status == 302) {
                exchange.getResponseHeaders().add("Location", "/200/7");
            }
            exchange.sendResponseHeaders(status, status == 204 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(status == 204 ? new byte[0] : body);
            }
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            assertThat(SmallDocument.get(URI.create(base + "/200/100"), 100)).hasValueSatisfying(
                    bytes -> assertThat(bytes).hasSize(100));
            assertThatThrownBy(() -> SmallDocument.get(URI.create(base + "/200/101"), 100))
                    .hasMessage("the answer has 101 bytes, more than the 100 accepted");
            assertThat(SmallDocument.get(URI.create(base + "/404/0"), 100)).isEmpty();
            assertThat(SmallDocument.get(URI.create(base + "/410/0"), 100)).isEmpty();
            assertThat(SmallDocument.get(URI.create(base + "/299/3"), 100)).hasValueSatisfying(
                    bytes -> assertThat(bytes).hasSize(3));
            assertThat(SmallDocument.get(URI.create(base + "/302/0"), 100)).hasValueSatisfying(
                    bytes -> assertThat(bytes).hasSize(7));
            for (int status : new int[] {300, 403, 500}) {
                assertThatThrownBy(() -> SmallDocument.get(URI.create(base + "/" + status + "/0"), 100))
                        .as("%d", status).hasMessage("HTTP status " + status);
            }
        } finally {
            server.stop(0);
        }
        assertThatThrownBy(() -> SmallDocument.get(dir.toUri(), 100)).hasMessage("not an http or https URL");
    }

    @Test
    void aStoreNeedsAGateAndAPositiveImageLimit() {
        assertThatThrownBy(() -> TemplateStore.builder(dir.resolve("s")).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("needs a gate");
        assertThatThrownBy(() -> TemplateStore.builder(dir.resolve("s")).maxImageBytes(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxImageBytes must be positive: 0");
        TemplateStore store = TemplateStore.builder(dir.resolve("s/./t")).maxImageBytes(1)
                .gate((image, declared) -> dev.diskimage.core.DiskFormat.RAW).build();
        assertThat(store.root()).isEqualTo(dir.resolve("s/t"));
        assertThat(dir.resolve("s/t")).isDirectory();
    }

    @Test
    void aStoreLockLeavesNoDescriptorOpen() throws IOException {
        Path lockFile = dir.resolve("lab:t:v.lock");
        long before = openDescriptors();
        for (int i = 0; i < 40; i++) {
            try (StoreLock lock = StoreLock.acquire(lockFile)) {
                assertThat(lockFile).exists();
            }
        }
        assertThat(openDescriptors()).isLessThan(before + 10);
    }

    private static long openDescriptors() throws IOException {
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
