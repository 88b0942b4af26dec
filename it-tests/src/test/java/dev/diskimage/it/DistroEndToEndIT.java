package dev.diskimage.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diskimage.catalog.testing.NginxServer;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real {@code bin/diskimage} launcher for {@code distro get} against a Fedora-shaped
 * mirror served by a real nginx: the launcher's validator admits a clean qcow2 and refuses one
 * with a backing file; overlays are checked with qemu-img info, and {@code cache list} shows the
 * base in use by both overlays.
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
}
