package dev.diskimage.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diskimage.catalog.testing.GlanceServer;
import dev.diskimage.core.testing.RealQemuImg;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code diskimage upload} and {@code diskimage fetch} through the real launcher against a real
 * glance-api (no Keystone: identity from --user, --project, --roles): a raw file uploaded as a
 * compressed qcow2 image, fetched back as a raw volume with the same content; a malicious qcow2
 * in Glance refused by fetch with nothing at DEST; images listed through --glance.
 */
class FetchEndToEndIT {
    private static final Path ROOT = Path.of(System.getProperty("diskimage.root", "..")).toAbsolutePath().normalize();
    private static final Path DISKIMAGE = ROOT.resolve("bin/diskimage");
    private static GlanceServer glance;

    @TempDir
    Path dir;

    @BeforeAll
    static void startGlance() {
        glance = GlanceServer.start();
    }

    @AfterAll
    static void stopGlance() {
        if (glance != null) {
            glance.close();
        }
    }

    private static ImageCheckEndToEndIT.Run diskimage(String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(1, List.of("--glance", glance.baseUrl().toString(), "--user", GlanceServer.USER, "--project",
                GlanceServer.PROJECT, "--roles", "member,reader"));
        return ImageCheckEndToEndIT.launch(DISKIMAGE, all, builder -> { });
    }

    @Test
    void uploadCompressedThenFetchAsARawVolumeThroughGlance() throws Exception {
        Path raw = dir.resolve("disk.raw");
        try (RandomAccessFile file = new RandomAccessFile(raw.toFile(), "rw")) {
            file.setLength(16 << 20);
            byte[] block = new byte[1 << 20];
            new Random(5).nextBytes(block);
            file.write(block);
        }
        ImageCheckEndToEndIT.Run upload = diskimage("upload", "--name", "backup", "-f", "raw", "--disk-format", "qcow2",
                "--compress", "--json", raw.toString());
        assertThat(upload.exit()).as(upload.err()).isZero();
        JsonNode uploaded = new ObjectMapper().readTree(upload.out());
        String id = uploaded.get("id").asText();
        assertThat(uploaded.get("converted").asBoolean()).isTrue();

        Path volume = dir.resolve("volume.raw");
        ImageCheckEndToEndIT.Run fetch = diskimage("fetch", "--size", "1", "--json", id, volume.toString());
        assertThat(fetch.exit()).as(fetch.err()).isZero();
        JsonNode fetched = new ObjectMapper().readTree(fetch.out());
        assertThat(fetched.get("image_format").asText()).isEqualTo("qcow2");
        assertThat(fetched.get("checksum").asText()).isEqualTo(uploaded.get("checksum").asText());
        assertThat(RealQemuImg.run("compare", "-q", "-f", "raw", "-F", "raw", raw.toString(), volume.toString()))
                .isNotNull();
        assertThat(glance.awaitDownloads(id, 1)).isEqualTo(1);

        ImageCheckEndToEndIT.Run list = diskimage("images", "list", "--json");
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out()).contains(id);
    }

    @Test
    void aMaliciousQcow2InGlanceIsRefusedByFetchWithNothingAtDest() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret"), "host secret");
        Path evil = dir.resolve("evil.qcow2");
        RealQemuImg.run("create", "-q", "-f", "qcow2", "-b", secret.toString(), "-F", "raw", evil.toString(), "1M");
        // Uploaded with the Glance client directly: diskimage upload would refuse it.
        var service = dev.diskimage.catalog.GlanceImageService.connect(glance.baseUrl());
        var created = service.create(GlanceServer.context(), dev.diskimage.core.service.NewImage.of("evil", "qcow2"));
        service.upload(GlanceServer.context(), created.id(), evil);

        Path volume = dir.resolve("volume.raw");
        ImageCheckEndToEndIT.Run fetch = diskimage("fetch", created.id(), volume.toString());
        assertThat(fetch.exit()).as(fetch.err()).isEqualTo(1);
        assertThat(fetch.err().strip().lines()).hasSize(1);
        assertThat(fetch.err()).contains("backing").doesNotContain("Exception");
        assertThat(volume).doesNotExist();
    }
}
