package dev.diskimage.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real {@code bin/diskimage} launcher for {@code upload} and {@code images list|show|delete}
 * on a local image directory, with images made by qemu-img, and two launcher processes working on
 * one directory at once.
 */
class ImagesEndToEndIT {
    private static final Path ROOT = Path.of(System.getProperty("diskimage.root", "..")).toAbsolutePath().normalize();
    private static final Path DISKIMAGE = ROOT.resolve("bin/diskimage");

    @TempDir
    Path dir;

    private static ImageCheckEndToEndIT.Run diskimage(String... args) throws IOException, InterruptedException {
        return ImageCheckEndToEndIT.launch(DISKIMAGE, List.of(args), builder -> { });
    }

    private static CompletableFuture<ImageCheckEndToEndIT.Run> async(String... args) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return diskimage(args);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static String md5(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(Files.readAllBytes(file)));
    }

    @Test
    void uploadsListsShowsAndDeletesThroughTheLauncher() throws Exception {
        Path store = dir.resolve("store");
        Path qcow2 = dir.resolve("disk.qcow2");
        ImageCheckEndToEndIT.qemuImg("create", "-q", "-f", "qcow2", qcow2.toString(), "16M");

        ImageCheckEndToEndIT.Run upload = diskimage("upload", "--service", store.toString(), "--name", "disk",
                "--disk-format", "qcow2", "--json", qcow2.toString());

        assertThat(upload.exit()).as(upload.err()).isZero();
        JsonNode uploaded = new ObjectMapper().readTree(upload.out());
        String id = uploaded.get("id").asText();
        assertThat(uploaded.get("checksum").asText()).isEqualTo(md5(qcow2));
        assertThat(Files.readAllBytes(store.resolve(id + ".data"))).isEqualTo(Files.readAllBytes(qcow2));

        ImageCheckEndToEndIT.Run list = diskimage("images", "--service", store.toString(), "list", "--json");
        assertThat(list.exit()).as(list.err()).isZero();
        JsonNode listed = new ObjectMapper().readTree(list.out());
        assertThat(listed.get("id").asText()).isEqualTo(id);
        assertThat(listed.get("disk_format").asText()).isEqualTo("qcow2");
        assertThat(listed.get("status").asText()).isEqualTo("active");

        ImageCheckEndToEndIT.Run refused = diskimage("upload", "--service", store.toString(), "--name", "lie",
                "--disk-format", "raw", qcow2.toString());
        assertThat(refused.exit()).as("declared raw, detected qcow2").isEqualTo(1);
        assertThat(refused.err().strip().lines()).hasSize(1);

        ImageCheckEndToEndIT.Run show = diskimage("images", "--service", store.toString(), "show", id);
        assertThat(show.exit()).isZero();
        assertThat(show.out()).contains("status: active", "name: disk");

        assertThat(diskimage("images", "--service", store.toString(), "delete", id).exit()).isZero();
        ImageCheckEndToEndIT.Run gone = diskimage("images", "--service", store.toString(), "show", id);
        assertThat(gone.exit()).isEqualTo(1);
        assertThat(gone.err().strip()).contains("no image " + id).doesNotContain("Exception");
        try (var files = Files.list(store)) {
            assertThat(files.collect(Collectors.toList())).isEmpty();
        }
    }

    @Test
    void twoProcessesShareOneDirectory() throws Exception {
        Path store = dir.resolve("store");
        Path first = dir.resolve("a.qcow2");
        Path second = dir.resolve("b.qcow2");
        ImageCheckEndToEndIT.qemuImg("create", "-q", "-f", "qcow2", first.toString(), "16M");
        ImageCheckEndToEndIT.qemuImg("create", "-q", "-f", "qcow2", second.toString(), "32M");

        CompletableFuture<ImageCheckEndToEndIT.Run> a = async("upload", "--service", store.toString(), "--name", "a",
                "--disk-format", "qcow2", first.toString());
        CompletableFuture<ImageCheckEndToEndIT.Run> b = async("upload", "--service", store.toString(), "--name", "b",
                "--disk-format", "qcow2", second.toString());
        assertThat(a.get().exit()).as(a.get().err()).isZero();
        assertThat(b.get().exit()).as(b.get().err()).isZero();
        String id = a.get().out().strip();

        ImageCheckEndToEndIT.Run list = diskimage("images", "--service", store.toString(), "list", "--sort",
                "name:asc");
        assertThat(list.out().strip().lines()).hasSize(2);

        // Two deletes of one image at once: one deletes it, the other finds nothing.
        CompletableFuture<ImageCheckEndToEndIT.Run> d1 = async("images", "--service", store.toString(), "delete", id);
        CompletableFuture<ImageCheckEndToEndIT.Run> d2 = async("images", "--service", store.toString(), "delete", id);
        assertThat(List.of(d1.get().exit(), d2.get().exit())).containsExactlyInAnyOrder(0, 1);
        assertThat(store.resolve(id + ".json")).doesNotExist();
        assertThat(store.resolve(id + ".data")).doesNotExist();
    }
}
