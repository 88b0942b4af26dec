package dev.diskimage.bench;

import com.sun.net.httpserver.HttpServer;
import dev.diskimage.catalog.GlanceImageService;
import dev.diskimage.conversion.images.DownloadedImage;
import dev.diskimage.conversion.images.ImageDownloader;
import dev.diskimage.core.ImageConversionDirectory;
import dev.diskimage.core.service.ImageDigests;
import dev.diskimage.core.service.RequestContext;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A streaming fetch against {@code curl -o} of the same URL, in the same run, rounds alternated.
 * A local HTTP server on 127.0.0.1 answers the two Glance v2 calls a download makes (the record,
 * then the data) for a raw image of {@code sizeMiB} random bytes. Ours: {@link ImageDownloader#download}
 * through {@link GlanceImageService}, which hashes (md5 and sha512), validates the stream, writes a
 * temporary file, fsyncs it and validates the file. Baseline: {@code curl -s -o FILE URL} then
 * {@code sync FILE}. Goal (issue 16): a ratio of at most 1.10. Usage:
 * {@code FetchVsCurl <work dir> [sizeMiB] [rounds]}.
 */
public final class FetchVsCurl {
    private static final String IMAGE_ID = "0b4c1b8e-7d62-4a35-9f1b-3c6a2b6f0d11";

    private FetchVsCurl() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: FetchVsCurl <work dir> [sizeMiB] [rounds]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int sizeMiB = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Files.createDirectories(dir);
        Path image = dir.resolve("image.raw");
        ImageDigests digests = Bench.writeRandom(image, sizeMiB);
        HttpServer server = Bench.glanceServer(IMAGE_ID, digests, exchange -> Bench.sendFile(exchange, image));
        try {
            URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
            Path downloads = Files.createDirectories(dir.resolve("downloads"));
            ImageDownloader downloader = ImageDownloader.using(ImageValidator.of(ImagePolicy.defaults()),
                    ImageConversionDirectory.of(downloads));
            GlanceImageService service = GlanceImageService.connect(base);
            Path curled = dir.resolve("curl.raw");
            List<String> curl = List.of("curl", "-s", "-f", "-o", curled.toString(),
                    base + "/v2/images/" + IMAGE_ID + "/file");
            // Warm the page cache and the JIT once each.
            timeFetch(downloader, service);
            timeCurl(curl, curled);
            double[] ours = new double[rounds];
            double[] baseline = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                if (i % 2 == 0) {
                    ours[i] = timeFetch(downloader, service);
                    baseline[i] = timeCurl(curl, curled);
                } else {
                    baseline[i] = timeCurl(curl, curled);
                    ours[i] = timeFetch(downloader, service);
                }
            }
            double a = Bench.median(ours);
            double b = Bench.median(baseline);
            System.out.printf(Locale.ROOT, "%-48s median %7.3f s (%5.0f MiB/s)  runs %s%n",
                    "ImageDownloader.download (" + sizeMiB + " MiB)", a, sizeMiB / a, Arrays.toString(ours));
            System.out.printf(Locale.ROOT, "%-48s median %7.3f s (%5.0f MiB/s)  runs %s%n", "curl -o + sync", b,
                    sizeMiB / b, Arrays.toString(baseline));
            System.out.printf(Locale.ROOT, "%-48s %7.3f (goal <= 1.10)%n", "ratio (fetch / curl)", a / b);
        } finally {
            server.stop(0);
        }
    }

    private static double timeFetch(ImageDownloader downloader, GlanceImageService service) {
        long start = System.nanoTime();
        try (DownloadedImage image = downloader.download(service, RequestContext.anonymous(), IMAGE_ID)) {
            return (System.nanoTime() - start) / 1e9;
        }
    }

    private static double timeCurl(List<String> curl, Path curled) throws Exception {
        Files.deleteIfExists(curled);
        long start = System.nanoTime();
        Bench.run(curl);
        Bench.run(List.of("sync", curled.toString()));
        return (System.nanoTime() - start) / 1e9;
    }
}
