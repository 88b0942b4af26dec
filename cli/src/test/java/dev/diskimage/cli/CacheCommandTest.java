package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.diskimage.catalog.cache.CacheRequest;
import dev.diskimage.catalog.cache.CachedImage;
import dev.diskimage.catalog.cache.ImageCache;
import dev.diskimage.catalog.cache.ImageRefusedException;
import dev.diskimage.core.ImageGate;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * diskimage cache list|prune over a cache filled through the real validator (the gate the CLI
 * passes) from the JDK's HTTP server on 127.0.0.1.
 */
class CacheCommandTest {
    @TempDir
    Path dir;

    private HttpServer server;
    private Path cacheDir;

    @BeforeEach
    void start() throws IOException {
        cacheDir = dir.resolve("cache");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI serve(String path, byte[] body) {
        server.createContext(path, exchange -> {
            try (exchange) {
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    /** A raw image the validator accepts: zeros first (no format claims it), random bytes after. */
    private static byte[] raw(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        java.util.Arrays.fill(bytes, 0, 4096, (byte) 0);
        return bytes;
    }

    private CachedImage fetch(URI url, String name) {
        ImageGate gate = ImageCommand.validator();
        return ImageCache.open(cacheDir).fetch(CacheRequest.builder(url, name).gate(gate, Optional.empty()).build());
    }

    private static ImageCheckTest.Run diskimage(String... args) {
        return DiskimageTest.diskimage(args);
    }

    @Test
    void listShowsEachEntryAsTextOrJson() throws Exception {
        URI url = serve("/a.raw", raw(10_000, 1));
        fetch(url, "a.raw").close();

        ImageCheckTest.Run text = diskimage("cache", "list", "--cache-dir", cacheDir.toString());
        assertThat(text.exit()).as(text.err()).isZero();
        assertThat(text.out()).contains(url.toString()).contains("10000").contains("raw");

        ImageCheckTest.Run json = diskimage("cache", "list", "--cache-dir", cacheDir.toString(), "--json");
        assertThat(json.exit()).as(json.err()).isZero();
        JsonNode entry = new ObjectMapper().readTree(json.out().strip());
        assertThat(entry.get("url").asText()).isEqualTo(url.toString());
        assertThat(entry.get("size").asLong()).isEqualTo(10_000);
        assertThat(entry.get("format").asText()).isEqualTo("raw");
        assertThat(entry.get("in_use").asBoolean()).isFalse();
        assertThat(entry.get("checksum").asText()).startsWith("sha256:");
        assertThat(Path.of(entry.get("path").asText())).exists();
        assertThat(entry.get("referrers").isArray()).isTrue();
    }

    @Test
    void listingACacheThatWasNeverMadeShowsNothingAndCreatesNothing() {
        Path never = cacheDir.resolve("never-made");

        ImageCheckTest.Run list = diskimage("cache", "list", "--cache-dir", never.toString(), "--json");

        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out()).isEmpty();
        assertThat(never).doesNotExist();
    }

    @Test
    void pruneRemovesUnusedEntriesAndKeepsOnesInUse() throws Exception {
        URI used = serve("/used.raw", raw(10_000, 2));
        URI unused = serve("/unused.raw", raw(10_000, 3));
        try (CachedImage held = fetch(used, "used.raw")) {
            fetch(unused, "unused.raw").close();

            ImageCheckTest.Run run = diskimage("cache", "prune", "--cache-dir", cacheDir.toString(),
                    "--max-size", "0", "--json");

            assertThat(run.exit()).as(run.err()).isZero();
            JsonNode result = new ObjectMapper().readTree(run.out().strip());
            assertThat(result.get("removed")).hasSize(1);
            assertThat(result.get("removed").get(0).get("url").asText()).isEqualTo(unused.toString());
            assertThat(result.get("kept_in_use")).hasSize(1);
            assertThat(result.get("kept_in_use").get(0).get("url").asText()).isEqualTo(used.toString());
            assertThat(result.get("bytes_freed").asLong()).isEqualTo(10_000);
            assertThat(held.path()).exists();
        }
        ImageCheckTest.Run text = diskimage("cache", "prune", "--cache-dir", cacheDir.toString(), "--max-age", "0s");
        assertThat(text.exit()).as(text.err()).isZero();
        assertThat(text.out()).contains("removed ").contains("1 removed, 10000 bytes freed, 0 kept in use");
        assertThat(ImageCache.open(cacheDir).list()).isEmpty();
    }

    @Test
    void pruneWithoutALimitOrWithABadOneIsAUsageError() {
        for (String[] args : new String[][] {
                {"cache", "prune", "--cache-dir", cacheDir.toString()},
                {"cache", "prune", "--cache-dir", cacheDir.toString(), "--max-age", "soon"},
                {"cache", "prune", "--cache-dir", cacheDir.toString(), "--max-size", "lots"}}) {
            ImageCheckTest.Run run = diskimage(args);
            assertThat(run.exit()).as(run.err()).isEqualTo(2);
            assertThat(run.err().strip()).doesNotContain("Exception", "\tat ").contains("cache prune");
            assertThat(run.err().strip().lines()).hasSize(1);
        }
        assertThat(diskimage("cache").exit()).isEqualTo(2);
    }

    @Test
    void theValidatorIsTheGateAndARefusedDownloadIsStoredNowhere() throws Exception {
        // A qcow2 header whose backing file names a host file: the default policy refuses it.
        Path image = dir.resolve("backed.qcow2");
        Path base = dir.resolve("base.raw");
        Files.write(base, new byte[65536]);
        new ProcessBuilder("qemu-img", "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "raw",
                image.toString()).inheritIO().start().waitFor();
        URI url = serve("/backed.qcow2", Files.readAllBytes(image));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> fetch(url, "backed.qcow2"))
                .isInstanceOf(ImageRefusedException.class)
                .hasMessageContaining(url.toString())
                .hasMessageContaining("backing");
        assertThat(ImageCache.open(cacheDir).list()).isEmpty();
    }

    @Test
    void agesAreReadWithUnitsOrAsIso8601() {
        assertThat(AgeParser.parse("30d")).isEqualTo(Duration.ofDays(30));
        assertThat(AgeParser.parse("12h")).isEqualTo(Duration.ofHours(12));
        assertThat(AgeParser.parse("45m")).isEqualTo(Duration.ofMinutes(45));
        assertThat(AgeParser.parse("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(AgeParser.parse("2w")).isEqualTo(Duration.ofDays(14));
        assertThat(AgeParser.parse("PT90M")).isEqualTo(Duration.ofMinutes(90));
        for (String bad : new String[] {"", "d", "-1d", "1y", "PT-1S", "999999999w"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> AgeParser.parse(bad))
                    .as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void cacheSubcommandsPrintHelpAndVersion() {
        String version = diskimage("--version").out();
        for (String sub : new String[] {"list", "prune"}) {
            ImageCheckTest.Run help = diskimage("cache", sub, "--help");
            assertThat(help.exit()).isZero();
            assertThat(help.out()).contains("Usage: diskimage cache " + sub).contains("--cache-dir");
            assertThat(diskimage("cache", sub, "--version").out()).isEqualTo(version);
        }
    }

    @Test
    void aDownloadTheValidatorRefusesIsExitOneOnOneLine() throws Exception {
        Path image = dir.resolve("backed.qcow2");
        Path base = dir.resolve("base.raw");
        Files.write(base, new byte[65536]);
        new ProcessBuilder("qemu-img", "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "raw",
                image.toString()).inheritIO().start().waitFor();
        URI url = serve("/refused.qcow2", Files.readAllBytes(image));
        // Any command built on ImageCommand that fetches through the cache reports a refusal so.
        ImageCommand fetching = new ImageCommand() {
            @Override
            void execute(java.io.PrintWriter out, java.io.PrintWriter err) {
                fetch(url, "refused.qcow2").close();
            }
        };
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine commandLine = new picocli.CommandLine(fetching).setCommandName("fetching");
        commandLine.setErr(new java.io.PrintWriter(err, true));

        int exit = commandLine.execute();

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString().strip().lines()).singleElement().asString()
                .contains(url.toString()).contains("refused").doesNotContain("Exception");
    }

    @Test
    void theTransferBarListensToCacheDownloads() {
        java.io.StringWriter text = new java.io.StringWriter();
        TransferBar bar = new TransferBar(new java.io.PrintWriter(text, true));
        dev.diskimage.catalog.cache.DownloadProgress progress = bar::downloaded;

        progress.transferred("a.img", 1 << 20, java.util.OptionalLong.of(2 << 20));
        bar.close();

        assertThat(text.toString()).contains("50%").contains("1.0/2.0 MiB").endsWith(System.lineSeparator());
    }

    @Test
    void aQuietOrNonTerminalBarHearsProgressAndDrawsNothing() {
        java.io.StringWriter text = new java.io.StringWriter();
        try (TransferBar bar = TransferBar.forTerminal(true, new java.io.PrintWriter(text, true))) {
            bar.downloaded("a.img", 1 << 20, java.util.OptionalLong.of(2 << 20));
            bar.transferred(null, 2 << 20, java.util.OptionalLong.empty());
        }

        assertThat(text.toString()).isEmpty();
    }
}
