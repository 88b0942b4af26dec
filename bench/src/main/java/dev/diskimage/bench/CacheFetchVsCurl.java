package dev.diskimage.bench;

import com.sun.net.httpserver.HttpServer;
import dev.diskimage.catalog.cache.CacheRequest;
import dev.diskimage.catalog.cache.CachedImage;
import dev.diskimage.catalog.cache.Checksum;
import dev.diskimage.catalog.cache.ChecksumAlgorithm;
import dev.diskimage.catalog.cache.ImageCache;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A first download into the image cache (what {@code diskimage distro get} and
 * {@code template get} do for an image not cached yet) against {@code curl -o} of the same URL
 * followed by {@code sha256sum} and {@code sync}, in the same run, rounds alternated. A local
 * HTTP server on 127.0.0.1 serves a raw image of {@code sizeMiB} random bytes. Ours:
 * {@link ImageCache#fetch} into an empty cache, which hashes (sha256) while it writes, syncs,
 * checks the checksum, has the validator admit the file and renames it into place. Usage:
 * {@code CacheFetchVsCurl <work dir> [sizeMiB] [rounds]}.
 */
public final class CacheFetchVsCurl {

    private CacheFetchVsCurl() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: CacheFetchVsCurl <work dir> [sizeMiB] [rounds]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int sizeMiB = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Files.createDirectories(dir);
        Path image = dir.resolve("image.raw");
        Bench.writeRandom(image, sizeMiB);
        Checksum checksum = new Checksum(ChecksumAlgorithm.SHA256, sha256(image));
        HttpServer server = Bench.localServer();
        server.createContext("/image.raw", exchange -> {
            try (exchange) {
                Bench.sendFile(exchange, image);
            }
        });
        server.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/image.raw");
            ImageValidator validator = ImageValidator.of(ImagePolicy.defaults());
            Path cacheDir = dir.resolve("cache");
            Path curled = dir.resolve("curl.raw");
            // Warm the page cache and the JIT once each.
            timeFetch(cacheDir, url, checksum, validator);
            timeCurl(url, curled);
            double[] ours = new double[rounds];
            double[] baseline = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                if (i % 2 == 0) {
                    ours[i] = timeFetch(cacheDir, url, checksum, validator);
                    baseline[i] = timeCurl(url, curled);
                } else {
                    baseline[i] = timeCurl(url, curled);
                    ours[i] = timeFetch(cacheDir, url, checksum, validator);
                }
            }
            double a = Bench.median(ours);
            double b = Bench.median(baseline);
            System.out.printf(Locale.ROOT, "%-48s median %7.3f s (%5.0f MiB/s)  runs %s%n",
                    "ImageCache.fetch (" + sizeMiB + " MiB)", a, sizeMiB / a, Arrays.toString(ours));
            System.out.printf(Locale.ROOT, "%-48s median %7.3f s (%5.0f MiB/s)  runs %s%n",
                    "curl -o + sha256sum + sync", b, sizeMiB / b, Arrays.toString(baseline));
            System.out.printf(Locale.ROOT, "%-48s %7.3f%n", "ratio (cache fetch / curl)", a / b);
        } finally {
            server.stop(0);
        }
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static double timeFetch(Path cacheDir, URI url, Checksum checksum, ImageValidator validator)
            throws IOException {
        deleteTree(cacheDir);
        long start = System.nanoTime();
        try (CachedImage cached = ImageCache.open(cacheDir).fetch(CacheRequest.builder(url, "image.raw")
                .checksum(checksum).gate(validator, Optional.of(DiskFormat.RAW)).build())) {
            double seconds = (System.nanoTime() - start) / 1e9;
            if (!cached.downloaded()) {
                throw new IllegalStateException("the cache did not download " + url);
            }
            return seconds;
        }
    }

    private static double timeCurl(URI url, Path curled) throws Exception {
        Files.deleteIfExists(curled);
        long start = System.nanoTime();
        Bench.run(List.of("curl", "-s", "-f", "-o", curled.toString(), url.toString()));
        Bench.run(List.of("sha256sum", curled.toString()));
        Bench.run(List.of("sync", curled.toString()));
        return (System.nanoTime() - start) / 1e9;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
