package dev.diskimage.catalog.templates;

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
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TemplateRepositoryTest {

    @TempDir
    Path dir;

    static final String REPO = """
            {
              "name": "lab",
              "sources": {
                "local": {"type": "file", "args": {"root": "images"}},
                "web": {"type": "http", "args": {"baseurl": "http://127.0.0.1:1/repo"}}
              },
              "templates": {
                "el7-base": {"versions": {
                  "v1": {"source": "local", "handle": "el7/v1.qcow2", "timestamp": 1428328144},
                  "v2": {"source": "web", "handle": "el7/v2.qcow2", "timestamp": 1528328144.25}
                }},
                "fc40": {"versions": {
                  "a": {"source": "web", "handle": "fc40", "timestamp": 5},
                  "b": {"source": "web", "handle": "fc40b", "timestamp": 5}
                }, "description": "ignored"}
              },
              "extra": "ignored"
            }
            """;

    private Path write(String json) throws IOException {
        Path file = dir.resolve("repo.json");
        Files.writeString(file, json);
        return file;
    }

    private TemplateRepositoryException refused(String json) throws IOException {
        Path file = write(json);
        return (TemplateRepositoryException) org.assertj.core.api.Assertions.catchThrowable(
                () -> TemplateRepository.fromUrl(file.toString()));
    }

    @Test
    void readsLocalRepositoryWithFileAndHttpSources() throws IOException {
        TemplateRepository repo = TemplateRepository.fromUrl(write(REPO).toString());

        assertThat(repo.name()).isEqualTo("lab");
        assertThat(repo.sources()).containsOnlyKeys("local", "web");
        assertThat(repo.sources().get("local")).isEqualTo(new FileTemplateSource("local", dir.resolve("images")));
        assertThat(((HttpTemplateSource) repo.sources().get("web")).baseUrl())
                .isEqualTo(URI.create("http://127.0.0.1:1/repo/"));
        TemplateVersion v1 = repo.template("el7-base").version("v1");
        assertThat(v1.storeName()).isEqualTo("lab:el7-base:v1");
        assertThat(v1.handle()).isEqualTo("el7/v1.qcow2");
        assertThat(v1.timestamp()).isEqualTo(Instant.ofEpochSecond(1428328144));
        assertThat(repo.templates()).containsOnlyKeys("el7-base", "fc40");
    }

    @Test
    void latestVersionIsTheNewestTimestampAndTiesGoToTheGreatestName() throws IOException {
        TemplateRepository repo = TemplateRepository.fromUrl(write(REPO).toString());

        TemplateVersion latest = repo.template("el7-base").latest();
        assertThat(latest.version()).isEqualTo("v2");
        assertThat(latest.timestamp()).isEqualTo(Instant.ofEpochSecond(1528328144, 250_000_000));
        assertThat(repo.template("fc40").latest().version()).isEqualTo("b");
        assertThat(repo.version("el7-base").version()).isEqualTo("v2");
        assertThat(repo.version("el7-base:v1").version()).isEqualTo("v1");
    }

    @Test
    void fileUrlsAndHomeRelativeRootsResolve() throws IOException {
        Path file = write(REPO.replace("\"root\": \"images\"", "\"root\": \"~/tpl\""));
        TemplateRepository repo = TemplateRepository.fromUrl(file.toUri().toString());

        assertThat(((FileTemplateSource) repo.sources().get("local")).root())
                .isEqualTo(Path.of(System.getProperty("user.home"), "tpl"));
    }

    @Test
    void unknownTemplateAndVersionNameWhatThereIs() throws IOException {
        TemplateRepository repo = TemplateRepository.fromUrl(write(REPO).toString());

        assertThatThrownBy(() -> repo.template("nope")).isInstanceOf(TemplateNotFoundException.class)
                .hasMessageContaining("template nope does not exist in repository lab")
                .hasMessageContaining("templates: el7-base, fc40");
        assertThatThrownBy(() -> repo.version("el7-base:v9")).isInstanceOf(TemplateNotFoundException.class)
                .hasMessageContaining("has no version v9 (versions: v1, v2)");
    }

    @Test
    void missingRepositoryFileIsNotFound() {
        assertThatThrownBy(() -> TemplateRepository.fromUrl(dir.resolve("none.json").toString()))
                .isInstanceOf(TemplateNotFoundException.class)
                .hasMessageContaining("none.json does not exist");
    }

    @Test
    void fetchesRepositoryOverHttpAndRefusesItsFileSources() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        String httpOnly = REPO.replace("\"type\": \"file\", \"args\": {\"root\": \"images\"}",
                "\"type\": \"http\", \"args\": {\"baseurl\": \"https://mirror.example/x\"}");
        server.createContext("/repo.json", exchange -> send(exchange, 200, httpOnly));
        server.createContext("/with-file.json", exchange -> send(exchange, 200, REPO));
        server.createContext("/broken.json", exchange -> send(exchange, 500, "oops"));
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            TemplateRepository repo = TemplateRepository.fromUrl(base + "/repo.json");
            assertThat(repo.location()).isEqualTo(base + "/repo.json");
            assertThat(((HttpTemplateSource) repo.sources().get("local")).resolve("el7/v1.qcow2"))
                    .isEqualTo(URI.create("https://mirror.example/x/el7/v1.qcow2"));

            assertThatThrownBy(() -> TemplateRepository.fromUrl(base + "/with-file.json"))
                    .isInstanceOf(TemplateRepositoryException.class)
                    .hasMessageContaining("field sources.local.type")
                    .hasMessageContaining("may not declare file sources");
            assertThatThrownBy(() -> TemplateRepository.fromUrl(base + "/missing.json"))
                    .isInstanceOf(TemplateNotFoundException.class)
                    .hasMessageContaining(base + "/missing.json does not exist (HTTP 404)");
            assertThatThrownBy(() -> TemplateRepository.fromUrl(base + "/broken.json"))
                    .isInstanceOf(TemplateRepositoryException.class)
                    .hasMessageContaining("could not be fetched: HTTP status 500");
        } finally {
            server.stop(0);
        }
    }

    private static void send(com.sun.net.httpserver.HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Test
    void malformedJsonNamesTheRepository() throws IOException {
        TemplateRepositoryException e = refused("{\"name\": \"lab\", ");
        assertThat(e.repository()).endsWith("repo.json");
        assertThat(e).hasMessageContaining("malformed JSON").hasMessageContaining("at line 1");
    }

    @Test
    void duplicateKeysAreRefused() throws IOException {
        assertThat(refused("{\"name\": \"a\", \"name\": \"b\", \"sources\": {}, \"templates\": {}}"))
                .hasMessageContaining("Duplicate field 'name'");
    }

    @Test
    void missingAndMistypedFieldsNameTheField() throws IOException {
        assertThat(refused(REPO.replace("\"handle\": \"fc40b\", ", "")).field())
                .isEqualTo("templates.fc40.versions.b.handle");
        assertThat(refused(REPO.replace("\"timestamp\": 5}", "\"timestamp\": \"5\"}")))
                .hasMessageContaining("field templates.fc40.versions.a.timestamp: is not a number");
        assertThat(refused(REPO.replace("\"timestamp\": 1428328144", "\"timestamp\": -1")).field())
                .isEqualTo("templates.el7-base.versions.v1.timestamp");
        assertThat(refused(REPO.replace("\"timestamp\": 1428328144", "\"timestamp\": 1e30")))
                .hasMessageContaining("is not between 0 and 253402300799");
        assertThat(refused(REPO.replace("\"timestamp\": 1428328144", "\"timestamp\": 1e999")))
                .hasMessageContaining("field templates.el7-base.versions.v1.timestamp: is not a finite number");
        assertThat(refused(REPO.replace("\"timestamp\": 1428328144", "\"timestamp\": 2.6e11")).field())
                .isEqualTo("templates.el7-base.versions.v1.timestamp");
        assertThat(refused("[1, 2]")).hasMessageContaining("not a JSON object");
        assertThat(refused(REPO.replace("\"name\": \"lab\",", "")).field()).isEqualTo("name");
        assertThat(refused(REPO.replace("\"versions\": {\n      \"a\"", "\"versions\": {\"a\"")
                .replace("\"fc40\": {\"versions\": {", "\"fc40\": {\"versions\": [], \"x\": {")).field())
                .isEqualTo("templates.fc40.versions");
    }

    @Test
    void sourcesMustBeKnownAndDeclared() throws IOException {
        assertThat(refused(REPO.replace("\"type\": \"http\"", "\"type\": \"gluster\"")))
                .hasMessageContaining("field sources.web.type: unknown source type 'gluster' (known: file, http)");
        assertThat(refused(REPO.replace("\"source\": \"local\"", "\"source\": \"elsewhere\"")))
                .hasMessageContaining("field templates.el7-base.versions.v1.source")
                .hasMessageContaining("does not declare (sources: local, web)");
        assertThat(refused(REPO.replace("http://127.0.0.1:1/repo", "ftp://example.com/")))
                .hasMessageContaining("field sources.web.args.baseurl: not an http or https URL: ftp://example.com/");
        assertThat(refused(REPO.replace("http://127.0.0.1:1/repo", "https://user:pw@example.com/")))
                .hasMessageContaining("field sources.web.args.baseurl: a base URL may not carry credentials")
                .hasMessageNotContaining("pw@");
        assertThat(refused(REPO.replace("http://127.0.0.1:1/repo", "https://example.com/?a=b")).field())
                .isEqualTo("sources.web.args.baseurl");
        assertThat(refused(REPO.replace("http://127.0.0.1:1/repo", "http://exa mple/")))
                .hasMessageContaining("field sources.web.args.baseurl: is not a URL");
    }

    @Test
    void handlesStayBelowTheirRoot() throws IOException {
        for (String handle : new String[] {"/etc/passwd", "../secret", "el7/../../x", "a//b", "a\\\\b", "a/./b", "a\\u0007b"}) {
            assertThat(refused(REPO.replace("el7/v1.qcow2", handle)).field())
                    .as(handle).isEqualTo("templates.el7-base.versions.v1.handle");
        }
    }

    @Test
    void namesMustBeUsableAsStoreFileNames() throws IOException {
        assertThat(refused(REPO.replace("\"v1\":", "\"v/1\":")).field()).isEqualTo("templates.el7-base.versions.v/1");
        assertThat(refused(REPO.replace("\"lab\"", "\"a:b\"")).field()).isEqualTo("name");
        assertThat(refused(REPO.replace("\"fc40\"", "\".hidden\"")).field()).isEqualTo("templates..hidden");
        assertThat(refused(REPO.replace("\"lab\"", "\"" + "x".repeat(129) + "\"")))
                .hasMessageContaining("is 129 characters long");
    }

    @Test
    void oversizedDocumentIsRefused() throws IOException {
        Path file = dir.resolve("big.json");
        Files.write(file, new byte[TemplateRepository.MAX_DOCUMENT_BYTES + 1]);
        assertThatThrownBy(() -> TemplateRepository.fromUrl(file.toString()))
                .isInstanceOf(TemplateRepositoryException.class)
                .hasMessageContaining("more than the 8388608 bytes accepted");
    }

    @Test
    void httpHandlesArePercentEncodedBelowTheBase() {
        HttpTemplateSource source = new HttpTemplateSource("s", URI.create("https://h.example/a%20b"));
        assertThat(source.resolve("x y/z?#.qcow2.xz").toString())
                .isEqualTo("https://h.example/a%20b/x%20y/z%3F%23.qcow2.xz");
        assertThat(source.resolve("t:1")).isEqualTo(URI.create("https://h.example/a%20b/t:1"));
    }
}
