package dev.diskimage.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.diskimage.catalog.GlanceImageService;
import dev.diskimage.conversion.ImageConverter;
import dev.diskimage.conversion.images.ImageDownloader;
import dev.diskimage.conversion.images.TemporaryImages;
import dev.diskimage.conversion.images.UploadResult;
import dev.diskimage.conversion.images.VolumeImages;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageConversionDirectory;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.service.ImageDigests;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.RequestContext;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A verified volume upload against {@code curl -T} of the same file, in the same run, rounds
 * alternated. A local HTTP server on 127.0.0.1 plays Glance v2 for one raw image of
 * {@code sizeMiB} random bytes: it drains each {@code PUT .../file} and answers the record with
 * the image's md5 and sha512, computed once before the rounds (so the server's own cost is the
 * same for both jobs). Ours: {@link VolumeImages#uploadVolume} through
 * {@link GlanceImageService}, which validates the volume, hashes it (md5 and sha512) while it
 * streams, and compares the service's hashes. Baseline: {@code curl -s -f -T FILE URL}, which
 * neither validates nor hashes. Usage: {@code UploadVsCurl <work dir> [sizeMiB] [rounds]}.
 */
public final class UploadVsCurl {
    private static final String IMAGE_ID = "5d0f3a7c-2b61-4c1e-8e0a-7f4b9c2d1e33";

    private UploadVsCurl() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: UploadVsCurl <work dir> [sizeMiB] [rounds]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int sizeMiB = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Files.createDirectories(dir);
        Path volume = dir.resolve("volume.raw");
        ImageDigests digests = Bench.writeRandom(volume, sizeMiB);
        HttpServer server = Bench.glanceServer(IMAGE_ID, digests, exchange -> drain(exchange, digests.size()));
        try {
            URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
            ImageValidator validator = ImageValidator.of(ImagePolicy.defaults());
            ImageDownloader downloader = ImageDownloader.using(validator,
                    ImageConversionDirectory.of(Files.createDirectories(dir.resolve("scratch"))));
            VolumeImages flows = VolumeImages.using(TemporaryImages.using(downloader),
                    ImageConverter.using(QemuImg.system(), validator));
            GlanceImageService service = GlanceImageService.connect(base);
            ImageMeta meta = service.get(RequestContext.anonymous(), IMAGE_ID);
            List<String> curl = List.of("curl", "-s", "-f", "-T", volume.toString(),
                    base + "/v2/images/" + IMAGE_ID + "/file");
            // Warm the page cache and the JIT once each.
            timeUpload(flows, service, meta, volume);
            timeCurl(curl);
            double[] ours = new double[rounds];
            double[] baseline = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                if (i % 2 == 0) {
                    ours[i] = timeUpload(flows, service, meta, volume);
                    baseline[i] = timeCurl(curl);
                } else {
                    baseline[i] = timeCurl(curl);
                    ours[i] = timeUpload(flows, service, meta, volume);
                }
            }
            double a = Bench.median(ours);
            double b = Bench.median(baseline);
            System.out.printf(Locale.ROOT, "%-48s median %7.3f s (%5.0f MiB/s)  runs %s%n",
                    "VolumeImages.uploadVolume (" + sizeMiB + " MiB)", a, sizeMiB / a, Arrays.toString(ours));
            System.out.printf(Locale.ROOT, "%-48s median %7.3f s (%5.0f MiB/s)  runs %s%n", "curl -T", b,
                    sizeMiB / b, Arrays.toString(baseline));
            System.out.printf(Locale.ROOT, "%-48s %7.3f%n", "ratio (upload / curl)", a / b);
        } finally {
            server.stop(0);
        }
    }

    private static void drain(HttpExchange exchange, long expected) throws IOException {
        long received = 0;
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = exchange.getRequestBody()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                received += n;
            }
        }
        // 204 as Glance answers a finished upload; a short body would make ours fail its check.
        exchange.sendResponseHeaders(received == expected ? 204 : 400, -1);
    }

    private static double timeUpload(VolumeImages flows, GlanceImageService service, ImageMeta meta, Path volume) {
        long start = System.nanoTime();
        UploadResult result = flows.uploadVolume(RequestContext.anonymous(), service, meta, volume, DiskFormat.RAW,
                false);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (result.digests().size() != meta.size().orElseThrow()) {
            throw new IllegalStateException("uploaded " + result.digests().size() + " bytes");
        }
        return seconds;
    }

    private static double timeCurl(List<String> curl) throws Exception {
        long start = System.nanoTime();
        Bench.run(curl);
        return (System.nanoTime() - start) / 1e9;
    }
}
