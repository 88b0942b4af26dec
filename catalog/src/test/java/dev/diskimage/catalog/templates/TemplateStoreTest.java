package dev.diskimage.catalog.templates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.diskimage.catalog.cache.ChecksumMismatchException;
import dev.diskimage.catalog.cache.ImageCache;
import dev.diskimage.catalog.cache.ImageRefusedException;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageException;
import dev.diskimage.core.ImageGate;
import dev.diskimage.core.ImageNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * The store against real images made by qemu-img, a repository served over HTTP by the JDK's
 * server on 127.0.0.1 and a file source, through a real {@link ImageCache}.
 */
class TemplateStoreTest {

    /** A gate that reads magic bytes: qcow2 or raw, and refuses files that start with "EVIL". */
    static final ImageGate MAGIC_GATE = (image, declared) -> {
        byte[] head = new byte[4];
        try (var in = Files.newInputStream(image)) {
            int n = in.readNBytes(head, 0, 4);
            if (n == 4 && new String(head, StandardCharsets.ISO_8859_1).equals("EVIL")) {
                throw new ImageException("image " + image + " is refused: it starts with EVIL");
            }
            return n == 4 && head[0] == 'Q' && head[1] == 'F' && head[2] == 'I' && (head[3] & 0xff) == 0xfb
                    ? DiskFormat.QCOW2 : DiskFormat.RAW;
        } catch (IOException e) {
            throw new ImageException("could not read " + image, e);
        }
    };

    @TempDir
    Path dir;

    Path served;
    Path local;
    HttpServer server;
    final List<String> requests = new CopyOnWriteArrayList<>();
    byte[] rawContent;
    volatile boolean slowImages;

    @BeforeEach
    void setUp() throws Exception {
        served = Files.createDirectories(dir.resolve("served"));
        local = Files.createDirectories(dir.resolve("local"));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::serve);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        rawContent = new byte[1 << 20];
        for (int i = 0; i < rawContent.length; i += 4096) {
            rawContent[i] = (byte) (i / 4096 + 1);
        }
    }

    @AfterEach
    void tearDown() {
        server.stop(0);
    }

    private void serve(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        requests.add(path);
        if (slowImages && path.endsWith(".xz")) {
            // Keeps the first download going while the other process arrives.
            try {
                Thread.sleep(1500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Path file = served.resolve(path.substring(1));
        if (!file.normalize().startsWith(served) || !Files.isRegularFile(file)) {
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

    private String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/repo";
    }

    /** A qcow2 image holding {@link #rawContent}, made by qemu-img. */
    private byte[] qcow2() throws Exception {
        Path raw = dir.resolve("content.raw");
        Files.write(raw, rawContent);
        Path qcow2 = dir.resolve("content.qcow2");
        Files.deleteIfExists(qcow2);
        qemuImg("convert", "-f", "raw", "-O", "qcow2", raw.toString(), qcow2.toString());
        return Files.readAllBytes(qcow2);
    }

    static String qemuImg(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("qemu-img"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }

    static byte[] xz(byte[] content) throws IOException {
        var bytes = new java.io.ByteArrayOutputStream();
        try (XZOutputStream out = new XZOutputStream(bytes, new LZMA2Options(1))) {
            out.write(content);
        }
        return bytes.toByteArray();
    }

    static String sha1(byte[] content) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(content));
    }

    /** Publishes an image under {@code base/handle} with its sidecars (lago's plain names). */
    static void publish(Path base, String handle, byte[] image, boolean compressed, String hash) throws IOException {
        Path file = base.resolve(handle);
        Files.createDirectories(file.getParent());
        if (compressed) {
            Files.write(base.resolve(handle + ".xz"), xz(image));
        } else {
            Files.write(file, image);
        }
        Files.writeString(base.resolve(handle + ".hash"), hash + "\n");
        Files.writeString(base.resolve(handle + ".metadata"), "{\"distro\": \"el7\", \"root-password\": \"secret\"}");
    }

    private TemplateRepository repository() throws IOException {
        String json = """
                {"name": "lab",
                 "sources": {"web": {"type": "http", "args": {"baseurl": "%s"}},
                             "disk": {"type": "file", "args": {"root": "local"}}},
                 "templates": {
                   "el7": {"versions": {"v1": {"source": "web", "handle": "el7/disk.qcow2", "timestamp": 1}}},
                   "plain": {"versions": {"v1": {"source": "web", "handle": "plain.qcow2", "timestamp": 1}}},
                   "fc": {"versions": {"v1": {"source": "disk", "handle": "fc/disk", "timestamp": 1},
                                       "v2": {"source": "disk", "handle": "fc/raw.img", "timestamp": 2}}},
                   "missing": {"versions": {"v1": {"source": "web", "handle": "nothing", "timestamp": 1},
                                            "v2": {"source": "disk", "handle": "nothing", "timestamp": 2}}}
                 }}
                """.formatted(baseUrl());
        Path file = dir.resolve("repo.json");
        Files.writeString(file, json);
        return TemplateRepository.fromUrl(file.toString());
    }

    private TemplateStore store(ImageGate gate) {
        return TemplateStore.builder(dir.resolve("store")).cache(ImageCache.open(dir.resolve("cache"))).gate(gate).build();
    }

    private long requestsFor(String path) {
        return requests.stream().filter(path::equals).count();
    }

    private List<String> storeFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("store"))) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void storesHttpXzTemplateAsRawAndSecondGetFetchesNothing() throws Exception {
        byte[] qcow2 = qcow2();
        publish(served.resolve("repo"), "el7/disk.qcow2", qcow2, true, sha1(qcow2));
        TemplateStore store = store(MAGIC_GATE);
        TemplateVersion version = repository().version("el7");

        StoredTemplate stored = store.get(version);

        assertThat(stored.created()).isTrue();
        assertThat(stored.path()).isEqualTo(dir.resolve("store/lab:el7:v1"));
        assertThat(stored.format()).isEqualTo(DiskFormat.RAW);
        assertThat(Files.readAllBytes(stored.path())).isEqualTo(rawContent);
        assertThat(qemuImg("info", "-f", "raw", "--output=json", stored.path().toString())).contains("\"virtual-size\": 1048576");
        assertThat(Files.readString(dir.resolve("store/lab:el7:v1.hash"))).isEqualTo(sha1(qcow2));
        assertThat(Files.readString(dir.resolve("store/lab:el7:v1.metadata"))).contains("\"distro\":\"el7\"");
        assertThat(stored.checksum().hex()).isEqualTo(sha1(qcow2));
        assertThat(requestsFor("/repo/el7/disk.qcow2.xz")).isEqualTo(1);
        assertThat(requestsFor("/repo/el7/disk.qcow2")).isZero();
        assertThat(storeFiles()).containsExactly("lab:el7:v1", "lab:el7:v1.hash", "lab:el7:v1.lock", "lab:el7:v1.metadata");

        requests.clear();
        StoredTemplate again = store(MAGIC_GATE).get(version);
        assertThat(again.created()).isFalse();
        assertThat(again.path()).isEqualTo(stored.path());
        assertThat(again.checksum()).isEqualTo(stored.checksum());
        assertThat(again.metadata()).isEqualTo(stored.metadata());
        assertThat(requests).isEmpty();
    }

    @Test
    void plainHttpHandleIsFetchedWhenThereIsNoXzAndKeepsItsFormatWhenAsked() throws Exception {
        byte[] qcow2 = qcow2();
        publish(served.resolve("repo"), "plain.qcow2", qcow2, false, "sha256:"
                + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(qcow2)));
        TemplateStore store = store(MAGIC_GATE);

        StoredTemplate stored = store.get(repository().version("plain:v1"), StoreMode.KEEP_FORMAT);

        assertThat(stored.path()).isEqualTo(dir.resolve("store/lab:plain:v1.qcow2"));
        assertThat(stored.format()).isEqualTo(DiskFormat.QCOW2);
        assertThat(Files.readAllBytes(stored.path())).isEqualTo(qcow2);
        assertThat(requestsFor("/repo/plain.qcow2.xz")).isEqualTo(1);
        assertThat(requestsFor("/repo/plain.qcow2")).isEqualTo(1);
        assertThat(store.lookup(repository().version("plain"), StoreMode.RAW)).isEmpty();

        // The raw form is made from the cached download: no second image download.
        StoredTemplate raw = store.get(repository().version("plain"));
        assertThat(raw.path()).isEqualTo(dir.resolve("store/lab:plain:v1"));
        assertThat(Files.readAllBytes(raw.path())).isEqualTo(rawContent);
        assertThat(requestsFor("/repo/plain.qcow2")).isEqualTo(1);
        // Found in the cache under the plain URL: the .xz is not asked for again either.
        assertThat(requestsFor("/repo/plain.qcow2.xz")).isEqualTo(1);
    }

    @Test
    void aNewDigestPublishedForACachedImageFetchesTheNewImage() throws Exception {
        byte[] first = rawContent.clone();
        publish(served.resolve("repo"), "plain.qcow2", first, false, sha1(first));
        store(MAGIC_GATE).get(repository().version("plain"), StoreMode.KEEP_FORMAT);

        byte[] second = rawContent.clone();
        second[5] = 42;
        publish(served.resolve("repo"), "plain.qcow2", second, false, sha1(second));
        // Another store on the same cache: the cached entry holds the old digest and must not be used.
        TemplateStore other = TemplateStore.builder(dir.resolve("other")).cache(ImageCache.open(dir.resolve("cache")))
                .gate(MAGIC_GATE).build();
        StoredTemplate stored = other.get(repository().version("plain"), StoreMode.KEEP_FORMAT);

        assertThat(Files.readAllBytes(stored.path())).isEqualTo(second);
        assertThat(requestsFor("/repo/plain.qcow2")).isEqualTo(2);
    }

    @Test
    void anHttpHandleEndingInXzIsDecompressedAndStoredWithoutTheSuffix() throws Exception {
        byte[] image = rawContent.clone();
        Path base = served.resolve("repo");
        Files.createDirectories(base);
        Files.write(base.resolve("packed.img.xz"), xz(image));
        Files.writeString(base.resolve("packed.img.xz.hash"), sha1(image));
        Files.writeString(base.resolve("packed.img.xz.metadata"), "{}");
        Path file = dir.resolve("xz-repo.json");
        Files.writeString(file, """
                {"name": "lab", "sources": {"web": {"type": "http", "args": {"baseurl": "%s"}}},
                 "templates": {"packed": {"versions": {"v1": {"source": "web", "handle": "packed.img.xz",
                   "timestamp": 1}}}}}
                """.formatted(baseUrl()));
        TemplateStore store = store(MAGIC_GATE);

        StoredTemplate stored = store.get(TemplateRepository.fromUrl(file.toString()).version("packed"));

        assertThat(Files.readAllBytes(stored.path())).isEqualTo(image);
        assertThat(requestsFor("/repo/packed.img.xz")).isEqualTo(1);
        assertThat(requestsFor("/repo/packed.img.xz.xz")).isZero();
        assertThat(ImageCache.open(dir.resolve("cache")).list()).singleElement()
                .satisfies(entry -> assertThat(entry.path().getFileName().toString()).isEqualTo("packed.img"));
    }

    @Test
    void aVersionStoredRawIsNotFoundInItsKeptFormat() throws Exception {
        publish(local, "fc/raw.img", rawContent, false, sha1(rawContent));
        TemplateStore store = store(MAGIC_GATE);
        TemplateVersion version = repository().version("fc:v2");

        store.get(version);

        assertThat(store.lookup(version, StoreMode.RAW)).isPresent();
        assertThat(store.lookup(version, StoreMode.KEEP_FORMAT)).isEmpty();
    }

    @Test
    void copiesFromAFileSourceReportProgressAgainstTheFileSizeOrNoneForXz() throws Exception {
        byte[] qcow2 = qcow2();
        publish(local, "fc/disk", qcow2, true, sha1(qcow2));
        publish(local, "fc/raw.img", rawContent, false, sha1(rawContent));
        List<String> calls = new CopyOnWriteArrayList<>();
        TemplateStore store = TemplateStore.builder(dir.resolve("store")).cache(ImageCache.open(dir.resolve("cache")))
                .gate(MAGIC_GATE).progress((name, bytes, total) -> calls.add(name + " " + bytes + " " + total))
                .build();

        store.get(repository().version("fc:v2"), StoreMode.KEEP_FORMAT);
        // 64 KiB at a time, counting up to the file's size.
        assertThat(calls).hasSize(rawContent.length / 65536)
                .startsWith("lab:fc:v2 65536 " + java.util.OptionalLong.of(rawContent.length))
                .endsWith("lab:fc:v2 " + rawContent.length + " " + java.util.OptionalLong.of(rawContent.length));

        calls.clear();
        store.get(repository().version("fc:v1"), StoreMode.KEEP_FORMAT);
        // Decompressed as it is read: the total is not known.
        assertThat(calls).isNotEmpty().last()
                .isEqualTo("lab:fc:v1 " + qcow2.length + " " + java.util.OptionalLong.empty());
    }

    @Test
    void fileSourcesAreDecompressedHashedAndAdmitted() throws Exception {
        byte[] qcow2 = qcow2();
        publish(local, "fc/disk", qcow2, true, sha1(qcow2));
        publish(local, "fc/raw.img", rawContent, false, sha1(rawContent));
        TemplateStore store = store(MAGIC_GATE);
        TemplateRepository repo = repository();

        StoredTemplate fromXz = store.get(repo.version("fc:v1"));
        StoredTemplate plain = store.get(repo.version("fc"), StoreMode.KEEP_FORMAT);

        assertThat(Files.readAllBytes(fromXz.path())).isEqualTo(rawContent);
        assertThat(plain.version().version()).isEqualTo("v2");
        assertThat(plain.path()).isEqualTo(dir.resolve("store/lab:fc:v2.raw"));
        assertThat(Files.readAllBytes(plain.path())).isEqualTo(rawContent);
        assertThat(Files.exists(local.resolve("fc/raw.img"))).isTrue();
        assertThat(storeFiles()).noneMatch(name -> name.contains(".tmp-"));
    }

    @Test
    void aBadHashStoresNothing() throws Exception {
        byte[] qcow2 = qcow2();
        publish(served.resolve("repo"), "el7/disk.qcow2", qcow2, true, sha1(rawContent));
        publish(local, "fc/disk", qcow2, false, sha1(rawContent));
        TemplateStore store = store(MAGIC_GATE);
        TemplateRepository repo = repository();

        assertThatThrownBy(() -> store.get(repo.version("el7")))
                .isInstanceOf(ChecksumMismatchException.class)
                .hasMessageContaining("/repo/el7/disk.qcow2.xz");
        assertThatThrownBy(() -> store.get(repo.version("fc:v1")))
                .isInstanceOf(ChecksumMismatchException.class)
                .hasMessageContaining("fc/disk")
                .hasMessageContaining(sha1(qcow2));
        assertThat(storeFiles()).allMatch(name -> name.endsWith(".lock"));
    }

    @Test
    void anImageTheGateRefusesIsNeitherConvertedNorStored() throws Exception {
        byte[] evil = "EVIL and then some bytes".getBytes(StandardCharsets.US_ASCII);
        publish(served.resolve("repo"), "el7/disk.qcow2", evil, false, sha1(evil));
        publish(local, "fc/disk", evil, true, sha1(evil));
        TemplateStore store = store(MAGIC_GATE);
        TemplateRepository repo = repository();

        assertThatThrownBy(() -> store.get(repo.version("el7")))
                .isInstanceOf(ImageRefusedException.class)
                .hasMessageContaining("starts with EVIL");
        assertThatThrownBy(() -> store.get(repo.version("fc:v1"), StoreMode.KEEP_FORMAT))
                .isInstanceOf(ImageRefusedException.class)
                .hasMessageContaining("fc/disk.xz")
                .hasMessageContaining("starts with EVIL");
        assertThat(storeFiles()).allMatch(name -> name.endsWith(".lock"));
    }

    @Test
    void aMissingHandleOrSidecarIsNotFound() throws Exception {
        TemplateStore store = store(MAGIC_GATE);
        TemplateRepository repo = repository();
        Files.createDirectories(served.resolve("repo"));
        Files.writeString(served.resolve("repo").resolve("nothing.hash"), sha1(rawContent));
        Files.writeString(served.resolve("repo").resolve("nothing.metadata"), "{}");
        Files.writeString(local.resolve("nothing.hash"), sha1(rawContent));
        Files.writeString(local.resolve("nothing.metadata"), "{}");

        assertThatThrownBy(() -> store.get(repo.version("missing:v1")))
                .isInstanceOf(ImageNotFoundException.class)
                .hasMessageContaining("/repo/nothing");
        assertThatThrownBy(() -> store.get(repo.version("missing:v2")))
                .isInstanceOf(TemplateNotFoundException.class)
                .hasMessageContaining("the image of template lab:missing:v2 does not exist")
                .hasMessageContaining(local.resolve("nothing.xz").toString());
        assertThatThrownBy(() -> store.get(repo.version("el7")))
                .isInstanceOf(TemplateNotFoundException.class)
                .hasMessageContaining("template lab:el7:v1 has no .hash file")
                .hasMessageContaining("/repo/el7/disk.qcow2.xz.hash and ");
    }

    @Test
    void malformedSidecarsAreTypedErrors() throws Exception {
        publish(local, "fc/disk", rawContent, false, "not a hash");
        TemplateStore store = store(MAGIC_GATE);
        TemplateRepository repo = repository();

        assertThatThrownBy(() -> store.get(repo.version("fc:v1")))
                .isInstanceOf(TemplateFileException.class)
                .hasMessageContaining("the hash file " + local.resolve("fc/disk.hash") + " is malformed");
        Files.writeString(local.resolve("fc/disk.hash"), sha1(rawContent));
        Files.writeString(local.resolve("fc/disk.metadata"), "{\"a\": 1, \"a\": 2}");
        assertThatThrownBy(() -> store.get(repo.version("fc:v1")))
                .isInstanceOf(TemplateFileException.class)
                .hasMessageContaining("is malformed JSON");
        Files.writeString(local.resolve("fc/disk.metadata"), "[]");
        assertThatThrownBy(() -> store.get(repo.version("fc:v1")))
                .isInstanceOf(TemplateFileException.class)
                .hasMessageContaining("is not a JSON object");
    }

    @Test
    void anXzBombIsCutOffAtTheSizeLimit() throws Exception {
        publish(local, "fc/disk", rawContent, true, sha1(rawContent));
        TemplateStore store = TemplateStore.builder(dir.resolve("store")).cache(ImageCache.open(dir.resolve("cache")))
                .gate(MAGIC_GATE).maxImageBytes(1000).build();

        assertThatThrownBy(() -> store.get(repository().version("fc:v1")))
                .isInstanceOf(TemplateFileException.class)
                .hasMessageContaining("larger than the 1000 bytes accepted");
        assertThat(storeFiles()).allMatch(name -> name.endsWith(".lock"));
    }

    @Test
    void concurrentGetsFetchOnce() throws Exception {
        byte[] qcow2 = qcow2();
        publish(served.resolve("repo"), "el7/disk.qcow2", qcow2, true, sha1(qcow2));
        TemplateVersion version = repository().version("el7");
        ExecutorService threads = Executors.newFixedThreadPool(6);
        try {
            List<Future<StoredTemplate>> results = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                results.add(threads.submit(() -> store(MAGIC_GATE).get(version)));
            }
            long created = 0;
            for (Future<StoredTemplate> result : results) {
                StoredTemplate stored = result.get(120, TimeUnit.SECONDS);
                assertThat(Files.readAllBytes(stored.path())).isEqualTo(rawContent);
                created += stored.created() ? 1 : 0;
            }
            assertThat(created).isEqualTo(1);
            assertThat(requestsFor("/repo/el7/disk.qcow2.xz")).isEqualTo(1);
            assertThat(requestsFor("/repo/el7/disk.qcow2.xz.hash")).isEqualTo(1);
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void twoProcessesFetchAndStoreOnce() throws Exception {
        byte[] qcow2 = qcow2();
        publish(served.resolve("repo"), "el7/disk.qcow2", qcow2, true, sha1(qcow2));
        repository();
        slowImages = true;
        List<Process> processes = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            processes.add(new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                    System.getProperty("java.class.path"), StoreGetMain.class.getName(),
                    dir.resolve("repo.json").toString(), dir.resolve("store").toString(),
                    dir.resolve("cache").toString(), "el7")
                    .redirectErrorStream(true).start());
        }
        List<String> outputs = new ArrayList<>();
        for (Process process : processes) {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).as(output).isZero();
            outputs.add(output);
        }

        assertThat(outputs).filteredOn(o -> o.contains("created=true")).hasSize(1);
        assertThat(outputs).filteredOn(o -> o.contains("created=false")).hasSize(1);
        assertThat(requestsFor("/repo/el7/disk.qcow2.xz")).isEqualTo(1);
        assertThat(Files.readAllBytes(dir.resolve("store/lab:el7:v1"))).isEqualTo(rawContent);
    }

    @Test
    void aDamagedStoredSidecarMeansStoringAgain() throws Exception {
        publish(local, "fc/raw.img", rawContent, false, sha1(rawContent));
        TemplateStore store = store(MAGIC_GATE);
        TemplateVersion version = repository().version("fc");
        store.get(version);
        Files.writeString(dir.resolve("store/lab:fc:v2.hash"), "garbage");

        assertThatThrownBy(() -> store.lookup(version, StoreMode.RAW)).isInstanceOf(TemplateFileException.class)
                .hasMessageContaining("lab:fc:v2.hash is malformed");
        StoredTemplate again = store.get(version);
        assertThat(again.created()).isTrue();
        assertThat(Files.readString(dir.resolve("store/lab:fc:v2.hash"))).isEqualTo(sha1(rawContent));
        Files.delete(dir.resolve("store/lab:fc:v2.metadata"));
        assertThat(store.lookup(version, StoreMode.RAW)).isEmpty();
        assertThat(store.get(version).created()).isTrue();
    }

    @Test
    void aProcessKilledMidConversionLeavesNothingThatLooksStored() throws Exception {
        byte[] qcow2 = qcow2();
        publish(local, "fc/disk", qcow2, false, sha1(qcow2));
        TemplateVersion version = repository().version("fc:v1");
        Path slowQemu = dir.resolve("slow-qemu-img");
        Files.writeString(slowQemu, "#!/bin/sh\nif [ \"$1\" = convert ]; then sleep 60; fi\nexec qemu-img \"$@\"\n");
        slowQemu.toFile().setExecutable(true);
        Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                System.getProperty("java.class.path"), StoreGetMain.class.getName(),
                dir.resolve("repo.json").toString(), dir.resolve("store").toString(),
                dir.resolve("cache").toString(), "fc:v1", slowQemu.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        try {
            // The admitted copy is in the store while the (slow) conversion runs.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.isDirectory(dir.resolve("store")) || storeFiles().stream().noneMatch(n -> n.contains(".tmp-"))
                    || child.descendants().noneMatch(p -> p.info().commandLine().orElse("").contains("sleep"))) {
                assertThat(System.nanoTime()).as(Files.exists(dir.resolve("child.log"))
                        ? Files.readString(dir.resolve("child.log")) : "no output").isLessThan(deadline);
                assertThat(child.isAlive()).isTrue();
                Thread.sleep(50);
            }
        } finally {
            child.descendants().forEach(ProcessHandle::destroyForcibly);
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }

        TemplateStore store = store(MAGIC_GATE);
        assertThat(store.lookup(version, StoreMode.RAW)).isEmpty();
        assertThat(storeFiles()).noneMatch(n -> n.equals("lab:fc:v1"));
        assertThat(storeFiles()).anyMatch(n -> n.contains(".tmp-" + child.pid() + "-"));

        StoredTemplate stored = store.get(version);

        assertThat(stored.created()).isTrue();
        assertThat(Files.readAllBytes(stored.path())).isEqualTo(rawContent);
        assertThat(storeFiles()).noneMatch(n -> n.contains(".tmp-"));
    }

    @Test
    void staleTemporaryFilesOfDeadProcessesAreRemoved() throws Exception {
        publish(local, "fc/raw.img", rawContent, false, sha1(rawContent));
        Files.createDirectories(dir.resolve("store"));
        Path stale = dir.resolve("store/.lab:fc:v2.tmp-999999999-0123456789abcdef");
        Files.write(stale, new byte[10]);

        store(MAGIC_GATE).get(repository().version("fc"));

        assertThat(stale).doesNotExist();
        assertThat(Optional.of(dir.resolve("store/lab:fc:v2"))).get().matches(Files::isRegularFile);
    }
}
