package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.diskimage.core.testing.RealQemuImg;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * diskimage template get against a repository served by the JDK's HTTP server on 127.0.0.1 and a
 * file source, images made by the real qemu-img, admitted by the real validator.
 */
class TemplateCommandTest {
    @TempDir
    Path dir;
    private Path served;
    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private byte[] raw;

    @BeforeEach
    void setUp() throws Exception {
        served = Files.createDirectories(dir.resolve("served"));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::serve);
        server.start();
        raw = new byte[2 << 20];
        for (int i = 0; i < raw.length; i += 512) {
            raw[i] = (byte) (i / 512);
        }
        Files.write(dir.resolve("disk.raw"), raw);
        RealQemuImg.run("convert", "-q", "-f", "raw", "-O", "qcow2", dir.resolve("disk.raw").toString(),
                dir.resolve("disk.qcow2").toString());
        Files.write(dir.resolve("base.raw"), new byte[4096]);
        RealQemuImg.run("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw",
                dir.resolve("child.qcow2").toString());
        publish(served, "el7.qcow2", Files.readAllBytes(dir.resolve("disk.qcow2")), true);
        publish(served, "backed.qcow2", Files.readAllBytes(dir.resolve("child.qcow2")), false);
        Path local = Files.createDirectories(dir.resolve("local"));
        publish(local, "fc.raw", raw, false);
        Files.writeString(dir.resolve("repo.json"), """
                {"name": "lab",
                 "sources": {"web": {"type": "http", "args": {"baseurl": "http://127.0.0.1:%d/"}},
                             "disk": {"type": "file", "args": {"root": "local"}}},
                 "templates": {
                   "el7": {"versions": {"v1": {"source": "web", "handle": "nothing", "timestamp": 1},
                                        "v2": {"source": "web", "handle": "el7.qcow2", "timestamp": 2}}},
                   "backed": {"versions": {"v1": {"source": "web", "handle": "backed.qcow2", "timestamp": 1}}},
                   "fc": {"versions": {"v1": {"source": "disk", "handle": "fc.raw", "timestamp": 1}}}
                 }}
                """.formatted(server.getAddress().getPort()));
    }

    @AfterEach
    void tearDown() {
        server.stop(0);
    }

    private void serve(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        requests.add(path);
        Path file = served.resolve(path.substring(1));
        if (!Files.isRegularFile(file)) {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
            return;
        }
        byte[] body = Files.readAllBytes(file);
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static void publish(Path base, String handle, byte[] image, boolean xz) throws Exception {
        if (xz) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (XZOutputStream out = new XZOutputStream(bytes, new LZMA2Options(1))) {
                out.write(image);
            }
            Files.write(base.resolve(handle + ".xz"), bytes.toByteArray());
        } else {
            Files.write(base.resolve(handle), image);
        }
        Files.writeString(base.resolve(handle + ".hash"),
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(image)));
        Files.writeString(base.resolve(handle + ".metadata"), "{\"distro\": \"el7\"}");
    }

    private ImageCheckTest.Run get(String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("template", "get", "--store", dir.resolve("store").toString(),
                "--cache-dir", dir.resolve("cache").toString()));
        args.addAll(List.of(more));
        return DiskimageTest.diskimage(args.toArray(String[]::new));
    }

    private static void failed(ImageCheckTest.Run run, int exit, String mentions) {
        assertThat(run.exit()).as(run.err()).isEqualTo(exit);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().strip().lines()).hasSize(1);
        assertThat(run.err()).startsWith("diskimage template get: ").contains(mentions).doesNotContain("Exception", "\tat ");
    }

    @Test
    void getsTheLatestVersionAsRawOnceAndPrintsItsPath() throws IOException {
        ImageCheckTest.Run run = get("--json", dir.resolve("repo.json").toString(), "el7");

        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        Path stored = dir.resolve("store/lab:el7:v2");
        assertThat(json.get("path").asText()).isEqualTo(stored.toString());
        assertThat(json.get("format").asText()).isEqualTo("raw");
        assertThat(json.get("version").asText()).isEqualTo("v2");
        assertThat(json.get("hash").asText()).startsWith("sha1:");
        assertThat(json.get("created").asBoolean()).isTrue();
        assertThat(Files.readAllBytes(stored)).isEqualTo(raw);
        assertThat(requests).contains("/el7.qcow2.xz").doesNotContain("/el7.qcow2");

        requests.clear();
        ImageCheckTest.Run again = get(dir.resolve("repo.json").toString(), "el7:v2");
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(again.out().strip()).isEqualTo(stored.toString());
        assertThat(requests).isEmpty();
    }

    @Test
    void keepFormatStoresTheAdmittedFormat() throws IOException {
        ImageCheckTest.Run run = get("--keep-format", "--json", dir.resolve("repo.json").toString(), "el7");

        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("path").asText()).isEqualTo(dir.resolve("store/lab:el7:v2.qcow2").toString());
        assertThat(json.get("format").asText()).isEqualTo("qcow2");
        assertThat(Files.readAllBytes(dir.resolve("store/lab:el7:v2.qcow2")))
                .isEqualTo(Files.readAllBytes(dir.resolve("disk.qcow2")));
    }

    @Test
    void aFileSourceIsStoredFromTheLocalPath() {
        ImageCheckTest.Run run = get("-q", dir.resolve("repo.json").toString(), "fc");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).isEmpty();
        assertThat(dir.resolve("store/lab:fc:v1")).exists();
    }

    @Test
    void theValidatorRefusesAQcow2WithABackingFile() throws IOException {
        failed(get(dir.resolve("repo.json").toString(), "backed"), 1, "backed.qcow2");
        try (var files = Files.list(dir.resolve("store"))) {
            assertThat(files.map(p -> p.getFileName().toString())).allMatch(n -> n.endsWith(".lock"));
        }
    }

    @Test
    void aBadHashIsARefusal() throws IOException {
        Files.writeString(served.resolve("el7.qcow2.hash"), "0".repeat(40));

        failed(get(dir.resolve("repo.json").toString(), "el7"), 1, "el7.qcow2.xz");
    }

    @Test
    void missingThingsAreRefusalsAndBrokenRepositoriesErrors() throws IOException {
        failed(get(dir.resolve("repo.json").toString(), "nope"), 1, "template nope does not exist in repository lab");
        failed(get(dir.resolve("repo.json").toString(), "el7:v9"), 1, "has no version v9");
        failed(get(dir.resolve("repo.json").toString(), "el7:v1"), 1, "has no .hash file");
        failed(get(dir.resolve("none.json").toString(), "el7"), 1, "none.json does not exist");
        Files.writeString(dir.resolve("broken.json"), "{\"name\": ");
        failed(get(dir.resolve("broken.json").toString(), "el7"), 2, "broken.json: malformed JSON");
    }

    @Test
    void theDefaultStoreFollowsTheEnvironment() {
        assertThat(TemplateGetCommand.defaultStore(Map.of("DISKIMAGE_TEMPLATE_STORE", "/s")))
                .isEqualTo(Path.of("/s"));
        assertThat(TemplateGetCommand.defaultStore(Map.of("XDG_DATA_HOME", "/data")))
                .isEqualTo(Path.of("/data/diskimage/templates"));
        assertThat(TemplateGetCommand.defaultStore(Map.of("XDG_DATA_HOME", "relative")))
                .isEqualTo(Path.of(System.getProperty("user.home"), ".local/share/diskimage/templates"));
    }

    @Test
    void templateAloneIsAUsageError() {
        ImageCheckTest.Run run = DiskimageTest.diskimage("template");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("get");
    }
}
