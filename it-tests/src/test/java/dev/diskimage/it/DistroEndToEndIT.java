package dev.diskimage.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diskimage.catalog.testing.NginxServer;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real {@code bin/diskimage} launcher for {@code distro get} against a Fedora-shaped
 * mirror served by a real nginx: the launcher's validator admits a clean qcow2 and refuses one
 * with a backing file; overlays are checked with qemu-img info, and {@code cache list} shows the
 * base in use by both overlays. Two launchers at once download the image once, and
 * {@code cache prune} keeps the base while an overlay uses it.
 */
class DistroEndToEndIT {
    private static final Path ROOT = Path.of(System.getProperty("diskimage.root", "..")).toAbsolutePath().normalize();
    private static final Path DISKIMAGE = ROOT.resolve("bin/diskimage");
    private static final String IMAGES = "releases/41/Cloud/%s/images/";

    @TempDir
    Path dir;

    private static ImageCheckEndToEndIT.Run diskimage(List<String> args) throws IOException, InterruptedException {
        return ImageCheckEndToEndIT.launch(DISKIMAGE, args, builder -> { });
    }

    private List<String> get(NginxServer nginx, String arch) {
        return new ArrayList<>(List.of("distro", "get", "fedora", "--arch", arch, "--mirror", nginx.baseUrl().toString(),
                "--cache-dir", dir.resolve("cache").toString(), "--snapshot-dir", dir.resolve("snaps").toString(),
                "--json"));
    }

    @Test
    void getsValidatedOverlaysThroughTheLauncher() throws Exception {
        Path mirror = Files.createDirectories(dir.resolve("mirror"));
        Path x86 = Files.createDirectories(mirror.resolve(String.format(IMAGES, "x86_64")));
        Path base = x86.resolve("Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2");
        ImageCheckEndToEndIT.qemuImg("create", "-q", "-f", "qcow2", base.toString(), "16M");
        Path arm = Files.createDirectories(mirror.resolve(String.format(IMAGES, "aarch64")));
        Path outside = Files.write(dir.resolve("outside.raw"), new byte[65536]);
        ImageCheckEndToEndIT.qemuImg("create", "-q", "-f", "qcow2", "-b", outside.toString(), "-F", "raw",
                arm.resolve("Fedora-Cloud-Base-Generic-41-1.4.aarch64.qcow2").toString());

        try (NginxServer nginx = NginxServer.serve(mirror)) {
            ImageCheckEndToEndIT.Run first = diskimage(get(nginx, "x86_64"));
            ImageCheckEndToEndIT.Run second = diskimage(get(nginx, "x86_64"));
            assertThat(first.exit()).as(first.err()).isZero();
            assertThat(second.exit()).as(second.err()).isZero();
            JsonNode one = new ObjectMapper().readTree(first.out());
            JsonNode two = new ObjectMapper().readTree(second.out());
            assertThat(one.get("version").asText()).isEqualTo("41");
            assertThat(one.get("build").asText()).isEqualTo("1.4");
            assertThat(one.get("base").asText()).isEqualTo(two.get("base").asText());
            assertThat(one.get("path").asText()).isNotEqualTo(two.get("path").asText());
            for (JsonNode got : List.of(one, two)) {
                QemuImgInfo info = QemuImg.system().info(Path.of(got.get("path").asText()), DiskFormat.QCOW2);
                assertThat(info.backingFilename()).contains(got.get("base").asText());
                assertThat(info.backingFormat()).contains("qcow2");
            }
            assertThat(Path.of(one.get("base").asText())).hasSameBinaryContentAs(base);
            assertThat(nginx.awaitGets("/" + mirror.relativize(base), 1)).isEqualTo(1);

            ImageCheckEndToEndIT.Run list = diskimage(List.of("cache", "list", "--cache-dir",
                    dir.resolve("cache").toString(), "--json"));
            assertThat(list.exit()).as(list.err()).isZero();
            JsonNode entry = new ObjectMapper().readTree(list.out().strip());
            assertThat(entry.get("in_use").asBoolean()).isTrue();
            assertThat(entry.get("referrers")).hasSize(2);

            ImageCheckEndToEndIT.Run refused = diskimage(get(nginx, "aarch64"));
            assertThat(refused.exit()).as(refused.err()).isEqualTo(1);
            assertThat(refused.err()).contains("Fedora-Cloud-Base-Generic-41-1.4.aarch64.qcow2", "backing file")
                    .doesNotContain("Exception");
        }
    }

    /** Runs the launcher on its own thread, so that two run at once. */
    private static CompletableFuture<ImageCheckEndToEndIT.Run> launchAsync(List<String> args) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return diskimage(args);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void twoLaunchersAtOnceDownloadOnceAndPruneKeepsTheBaseWhileAnOverlayUsesIt() throws Exception {
        Path mirror = Files.createDirectories(dir.resolve("mirror"));
        Path x86 = Files.createDirectories(mirror.resolve(String.format(IMAGES, "x86_64")));
        Path base = x86.resolve("Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2");
        ImageCheckEndToEndIT.qemuImg("create", "-q", "-f", "qcow2", base.toString(), "64M");
        List<String> cacheDir = List.of("--cache-dir", dir.resolve("cache").toString(), "--json");

        try (NginxServer nginx = NginxServer.serve(mirror)) {
            CompletableFuture<ImageCheckEndToEndIT.Run> first = launchAsync(get(nginx, "x86_64"));
            CompletableFuture<ImageCheckEndToEndIT.Run> second = launchAsync(get(nginx, "x86_64"));
            List<Path> overlays = new ArrayList<>();
            for (ImageCheckEndToEndIT.Run run : List.of(first.get(180, TimeUnit.SECONDS),
                    second.get(180, TimeUnit.SECONDS))) {
                assertThat(run.exit()).as(run.err()).isZero();
                overlays.add(Path.of(new ObjectMapper().readTree(run.out()).get("path").asText()));
            }
            assertThat(overlays).doesNotHaveDuplicates();
            assertThat(nginx.awaitGets("/" + mirror.relativize(base), 1)).isEqualTo(1);

            List<String> prune = new ArrayList<>(List.of("cache", "prune", "--max-size", "0"));
            prune.addAll(cacheDir);
            ImageCheckEndToEndIT.Run kept = diskimage(prune);
            assertThat(kept.exit()).as(kept.err()).isZero();
            JsonNode keptJson = new ObjectMapper().readTree(kept.out());
            assertThat(keptJson.get("removed")).isEmpty();
            assertThat(keptJson.get("kept_in_use")).hasSize(1);

            for (Path overlay : overlays) {
                Files.delete(overlay);
            }
            ImageCheckEndToEndIT.Run removed = diskimage(prune);
            assertThat(removed.exit()).as(removed.err()).isZero();
            JsonNode removedJson = new ObjectMapper().readTree(removed.out());
            assertThat(removedJson.get("removed")).hasSize(1);
            assertThat(removedJson.get("bytes_freed").asLong()).isEqualTo(Files.size(base));
            List<String> list = new ArrayList<>(List.of("cache", "list"));
            list.addAll(cacheDir);
            assertThat(diskimage(list).out()).isBlank();
        }
    }
}
