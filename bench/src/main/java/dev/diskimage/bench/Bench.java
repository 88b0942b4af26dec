package dev.diskimage.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.diskimage.core.service.HashAlgorithm;
import dev.diskimage.core.service.ImageDigests;
import dev.diskimage.core.service.ImageHasher;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;

/**
 * What the whole-process benchmarks share: the median of rounds, running a baseline program,
 * an image of random bytes with its Glance digests, and a local server playing Glance for it.
 */
final class Bench {

    private Bench() {
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Runs a program to its end, discarding its output; a non-zero exit is an error. */
    static void run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        int exit = process.waitFor();
        if (exit != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited " + exit);
        }
    }

    /** Writes {@code sizeMiB} MiB of seeded random bytes to {@code file}; returns their md5 and sha512. */
    static ImageDigests writeRandom(Path file, int sizeMiB) throws IOException {
        Random random = new Random(16);
        byte[] chunk = new byte[1 << 20];
        ImageHasher hasher = ImageHasher.of(HashAlgorithm.SHA512);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < sizeMiB; i++) {
                random.nextBytes(chunk);
                hasher.update(chunk, 0, chunk.length);
                out.write(chunk);
            }
        }
        return hasher.digests();
    }

    /** The Glance v2 record of an active raw image with these digests, as JSON. */
    static byte[] glanceRecord(String id, ImageDigests digests) {
        ObjectNode record = new ObjectMapper().createObjectNode();
        record.put("id", id);
        record.put("name", "bench");
        record.put("status", "active");
        record.put("disk_format", "raw");
        record.put("container_format", "bare");
        record.put("size", digests.size());
        record.put("checksum", digests.md5());
        record.put("os_hash_algo", "sha512");
        record.put("os_hash_value", digests.multihash());
        record.put("visibility", "private");
        return record.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A server on 127.0.0.1 that plays Glance v2 for one image: {@code data} answers the
     * {@code .../file} calls, the image's record every other call under {@code /v2/images/<id>}.
     */
    static HttpServer glanceServer(String id, ImageDigests digests, HttpHandler data) throws IOException {
        byte[] json = glanceRecord(id, digests);
        HttpServer server = localServer();
        server.createContext("/v2/images/" + id, exchange -> {
            try (exchange) {
                if (exchange.getRequestURI().getPath().endsWith("/file")) {
                    data.handle(exchange);
                } else {
                    exchange.getResponseHeaders().add("Content-Type", "application/json");
                    exchange.sendResponseHeaders(200, json.length);
                    exchange.getResponseBody().write(json);
                }
            }
        });
        server.start();
        return server;
    }

    /** Answers an exchange with a file's bytes. */
    static void sendFile(HttpExchange exchange, Path file) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "application/octet-stream");
        exchange.sendResponseHeaders(200, Files.size(file));
        try (InputStream in = Files.newInputStream(file); OutputStream out = exchange.getResponseBody()) {
            in.transferTo(out);
        }
    }

    /** An HTTP server on 127.0.0.1 and a free port, on two daemon threads; not started yet. */
    static HttpServer localServer() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setExecutor(Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "bench-http");
            thread.setDaemon(true);
            return thread;
        }));
        return server;
    }
}
