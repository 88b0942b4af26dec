package dev.diskimage.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * Runs the real {@code bin/diskimage} launcher for {@code template get} against a lago repository
 * served over HTTP on 127.0.0.1, with images made by qemu-img: two launchers at once download the
 * template once, the download is an entry of the shared cache ({@code cache list}), and the real
 * validator refuses a qcow2 with a backing file.
 */
class TemplateEndToEndIT {
    private static final Path ROOT = Path.of(System.getProperty("diskimage.root", "..")).toAbsolutePath().normalize();
    private static final Path DISKIMAGE = ROOT.resolve("bin/diskimage");

    @TempDir
    Path dir;
    private Path served;
    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    @BeforeEach
    void serve() throws Exception {
        served = Files.createDirectories(dir.resolve("served"));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::answer);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        Path raw = dir.resolve("disk.raw");
        byte[] bytes = new byte[8 << 20];
        // 2 MiB that xz cannot shrink: the slow download below lasts about 2.5 s.
        byte[] noise = new byte[2 << 20];
        new java.util.Random(17).nextBytes(noise);
        System.arraycopy(noise, 0, bytes, 1 << 20, noise.length);
        Files.write(raw, bytes);
        ImageCheckEndToEndIT.qemuImg("convert", "-q", "-f", "raw", "-O", "qcow2", raw.toString(),
                dir.resolve("disk.qcow2").toString());
        Files.write(dir.resolve("base.raw"), new byte[4096]);
        ImageCheckEndToEndIT.qemuImg("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw",
                dir.resolve("child.qcow2").toString());
        publish("el7.qcow2", Files.readAllBytes(dir.resolve("disk.qcow2")), true);
        publish("backed.qcow2", Files.readAllBytes(dir.resolve("child.qcow2")), false);
        Files.writeString(dir.resolve("repo.json"), """
                {"name": "e2e",
                 "sources": {"web": {"type": "http", "args": {"baseurl": "http://127.0.0.1:%d/templates"}}},
                 "templates": {
                   "el7": {"versions": {"v1": {"source": "web", "handle": "el7.qcow2", "timestamp": 1428328144}}},
                   "backed": {"versions": {"v1": {"source": "web", "handle": "backed.qcow2", "timestamp": 1}}}
                 }}
                """.formatted(server.getAddress().getPort()));
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void answer(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        requests.add(path);
        String prefix = "/templates/";
        Path file = path.startsWith(prefix) ? served.resolve(path.substring(prefix.length())).normalize() : null;
        if (file == null || !file.startsWith(served) || !Files.isRegularFile(file)) {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
            return;
        }
        byte[] body = Files.readAllBytes(file);
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            // Slowly, so the second launcher arrives while the first downloads.
            for (int offset = 0; offset < body.length; offset += 16384) {
                out.write(body, offset, Math.min(16384, body.length - offset));
                out.flush();
                sleep(path.endsWith(".xz") ? 20 : 0);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void publish(String handle, byte[] image, boolean xz) throws Exception {
        if (xz) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (XZOutputStream out = new XZOutputStream(bytes, new LZMA2Options(0))) {
                out.write(image);
            }
            Files.write(served.resolve(handle + ".xz"), bytes.toByteArray());
        } else {
            Files.write(served.resolve(handle), image);
        }
        Files.writeString(served.resolve(handle + ".hash"),
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(image)));
        Files.writeString(served.resolve(handle + ".metadata"), "{\"distro\": \"el7\", \"root-password\": \"123456\"}");
    }

    private CompletableFuture<ImageCheckEndToEndIT.Run> get(String... more) {
        List<String> args = new ArrayList<>(List.of("template", "get", "--store", dir.resolve("store").toString(),
                "--cache-dir", dir.resolve("cache").toString(), "--json", dir.resolve("repo.json").toString()));
        args.addAll(List.of(more));
        return CompletableFuture.supplyAsync(() -> {
            try {
                return ImageCheckEndToEndIT.launch(DISKIMAGE, args, builder -> { });
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void twoLaunchersDownloadOnceIntoTheSharedCacheAndStoreOnce() throws Exception {
        CompletableFuture<ImageCheckEndToEndIT.Run> first = get("el7");
        CompletableFuture<ImageCheckEndToEndIT.Run> second = get("el7:v1");
        List<JsonNode> results = new ArrayList<>();
        for (ImageCheckEndToEndIT.Run run : List.of(first.get(), second.get())) {
            assertThat(run.exit()).as(run.err()).isZero();
            results.add(new ObjectMapper().readTree(run.out()));
        }

        Path stored = dir.resolve("store/e2e:el7:v1");
        assertThat(results).allSatisfy(json -> assertThat(json.get("path").asText()).isEqualTo(stored.toString()));
        assertThat(results.stream().filter(json -> json.get("created").asBoolean())).hasSize(1);
        assertThat(requests.stream().filter("/templates/el7.qcow2.xz"::equals)).hasSize(1);
        assertThat(Files.readAllBytes(stored)).isEqualTo(Files.readAllBytes(dir.resolve("disk.raw")));
        assertThat(Files.readString(dir.resolve("store/e2e:el7:v1.metadata"))).contains("root-password");

        ImageCheckEndToEndIT.Run cache = ImageCheckEndToEndIT.launch(DISKIMAGE,
                List.of("cache", "list", "--cache-dir", dir.resolve("cache").toString(), "--json"), builder -> { });
        assertThat(cache.exit()).as(cache.err()).isZero();
        assertThat(cache.out()).contains("/templates/el7.qcow2.xz", "\"format\":\"qcow2\"");
    }

    @Test
    void theValidatorRefusesABackingFileAndNothingIsStored() throws Exception {
        ImageCheckEndToEndIT.Run run = get("backed").get();

        assertThat(run.exit()).as(run.err()).isEqualTo(1);
        assertThat(run.out()).isEmpty();
        // One error line and nothing else: no log line before it, no stack trace.
        assertThat(run.err().strip().lines()).hasSize(1).allMatch(line -> line.startsWith("diskimage template get: "));
        assertThat(run.err()).contains("backed.qcow2", "QCOW2_BACKING_FILE").doesNotContain("Exception", "\tat ");
        try (Stream<Path> files = Files.list(dir.resolve("store"))) {
            assertThat(files.map(p -> p.getFileName().toString())).allMatch(name -> name.endsWith(".lock"));
        }
    }
}
