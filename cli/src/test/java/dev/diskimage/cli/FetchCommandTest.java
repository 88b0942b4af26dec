package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diskimage.catalog.LocalImageService;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgComparison;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.NewImage;
import dev.diskimage.core.service.RequestContext;
import dev.diskimage.core.testing.RealQemuImg;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** diskimage fetch (and upload with conversion) against a local image directory, with the real qemu-img. */
class FetchCommandTest {
    private static final RequestContext CTX = RequestContext.anonymous();

    @TempDir
    Path dir;
    private Path store;
    private Path raw;

    @BeforeEach
    void files() throws IOException {
        store = dir.resolve("store");
        raw = dir.resolve("disk.raw");
        byte[] bytes = new byte[4 << 20];
        new Random(11).nextBytes(bytes);
        for (int i = 0; i < 4096; i++) {
            bytes[i] = 0;
        }
        Files.write(raw, bytes);
    }

    private static ImageCheckTest.Run diskimage(String... args) {
        return DiskimageTest.diskimage(args);
    }

    private String upload(Path file, String format) throws IOException {
        ImageCheckTest.Run run = diskimage("upload", "--service", store.toString(), "--name", "disk", "--disk-format",
                format, "--json", file.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        return new ObjectMapper().readTree(run.out()).get("id").asText();
    }

    /** Puts bytes in the store without the upload command's validation, as a hostile uploader elsewhere could. */
    private String store(Path file, String format) {
        LocalImageService service = LocalImageService.open(store);
        ImageMeta created = service.create(CTX, NewImage.of("hostile", format));
        return service.upload(CTX, created.id(), file).id();
    }

    private boolean sameAsRaw(Path volume, DiskFormat format) {
        return QemuImg.system().compare(raw, DiskFormat.RAW, volume, format, false) == QemuImgComparison.IDENTICAL;
    }

    private static void refused(ImageCheckTest.Run run, int exit, String mentions) {
        assertThat(run.exit()).as(run.err()).isEqualTo(exit);
        assertThat(run.err().strip().lines()).hasSize(1);
        assertThat(run.err()).contains(mentions).doesNotContain("Exception", "\tat ");
    }

    @Test
    void aQcow2ImageBecomesARawVolume() throws IOException {
        Path qcow2 = dir.resolve("disk.qcow2");
        RealQemuImg.run("convert", "-q", "-f", "raw", "-O", "qcow2", raw.toString(), qcow2.toString());
        String id = upload(qcow2, "qcow2");
        Path volume = dir.resolve("volume.raw");

        ImageCheckTest.Run run = diskimage("fetch", "--service", store.toString(), "--size", "1", "--json", id,
                volume.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode root = new ObjectMapper().readTree(run.out());
        assertThat(root.get("image_format").asText()).isEqualTo("qcow2");
        assertThat(root.get("volume_format").asText()).isEqualTo("raw");
        assertThat(root.get("streamed_directly").asBoolean()).isFalse();
        assertThat(root.get("virtual_size").asLong()).isEqualTo(4 << 20);
        assertThat(sameAsRaw(volume, DiskFormat.RAW)).isTrue();
    }

    @Test
    void aRawImageStreamsStraightIntoARawVolumeAndAQcow2VolumeIsConverted() throws IOException {
        String id = upload(raw, "raw");
        Path volume = dir.resolve("volume.raw");
        ImageCheckTest.Run run = diskimage("fetch", "--service", store.toString(), "--blocksize", "64K", id,
                volume.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("streamed directly");
        assertThat(Files.readAllBytes(volume)).isEqualTo(Files.readAllBytes(raw));

        Path qcow2 = dir.resolve("volume.qcow2");
        assertThat(diskimage("fetch", "--service", store.toString(), "--volume-format", "qcow2", id, qcow2.toString())
                .exit()).isZero();
        assertThat(sameAsRaw(qcow2, DiskFormat.QCOW2)).isTrue();
    }

    @Test
    void aMaliciousQcow2IsRefusedAndNothingIsWritten() throws IOException {
        Path secret = Files.writeString(dir.resolve("secret"), "host secret");
        Path evil = dir.resolve("evil.qcow2");
        RealQemuImg.run("create", "-q", "-f", "qcow2", "-b", secret.toString(), "-F", "raw", evil.toString(), "1M");
        String id = store(evil, "qcow2");
        Path volume = dir.resolve("volume.raw");

        refused(diskimage("fetch", "--service", store.toString(), id, volume.toString()), 1, "backing");
        assertThat(volume).doesNotExist();
    }

    @Test
    void bytesChangedInTheStoreAreRefusedByTheirHashes() throws IOException {
        String id = upload(raw, "raw");
        Path data = store.resolve(id + ".data");
        byte[] bytes = Files.readAllBytes(data);
        bytes[bytes.length - 1] ^= 1;
        Files.write(data, bytes);
        Path volume = dir.resolve("volume.raw");

        refused(diskimage("fetch", "--service", store.toString(), id, volume.toString()), 1, "checksum (md5) mismatch");
        assertThat(volume).doesNotExist();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).noneMatch(p -> p.getFileName().toString().contains("diskimage-partial"));
        }
    }

    @Test
    void anImageTooBigForTheVolumeOrMissingIsRefused() throws IOException {
        Path big = dir.resolve("big.qcow2");
        RealQemuImg.run("create", "-q", "-f", "qcow2", big.toString(), "2G");
        String id = upload(big, "qcow2");
        refused(diskimage("fetch", "--service", store.toString(), "--size", "1", id, dir.resolve("v.raw").toString()), 1,
                "virtual size");
        refused(diskimage("fetch", "--service", store.toString(), UUID.randomUUID().toString(),
                dir.resolve("v.raw").toString()), 1, "no image");
        assertThat(dir.resolve("v.raw")).doesNotExist();
    }

    @Test
    void signaturesAreRequiredWhenAskedAndOptionsAreChecked() throws IOException {
        String id = upload(raw, "raw");
        Path certificates = Files.createDirectories(dir.resolve("certs"));
        Path volume = dir.resolve("v.raw");
        refused(diskimage("fetch", "--service", store.toString(), "--certificates", certificates.toString(),
                "--require-signed", id, volume.toString()), 1, "is not signed");
        assertThat(volume).doesNotExist();
        refused(diskimage("fetch", "--service", store.toString(), "--require-signed", id, volume.toString()), 2,
                "--certificates");
        refused(diskimage("fetch", "--service", store.toString(), "--volume-format", "exe", id, volume.toString()), 2,
                "unknown format 'exe'");
        refused(diskimage("fetch", "--service", store.toString(), "--blocksize", "1", id, volume.toString()), 2,
                "--blocksize");
        refused(diskimage("fetch", "--service", store.toString(), "--size", "0", id, volume.toString()), 2, "--size");
        ImageCheckTest.Run noService = diskimage("fetch", id, volume.toString());
        assertThat(noService.exit()).isEqualTo(2);
        assertThat(noService.err()).startsWith("diskimage fetch: one of --service DIR or --glance URL is needed");
    }

    @Test
    void uploadConvertsAndCompressesWhenTheFileIsInAnotherFormat() throws IOException {
        ImageCheckTest.Run run = diskimage("upload", "--service", store.toString(), "--name", "packed", "-f", "raw",
                "--disk-format", "qcow2", "--compress", "--json", raw.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode root = new ObjectMapper().readTree(run.out());
        assertThat(root.get("converted").asBoolean()).isTrue();
        assertThat(root.get("disk_format").asText()).isEqualTo("qcow2");
        Path back = dir.resolve("back.raw");
        assertThat(diskimage("fetch", "--service", store.toString(), root.get("id").asText(), back.toString()).exit())
                .isZero();
        assertThat(sameAsRaw(back, DiskFormat.RAW)).isTrue();
        refused(diskimage("upload", "--service", store.toString(), "--name", "x", "--disk-format", "vmdk",
                "-f", "raw", "--compress", raw.toString()), 2, "qcow2");
    }
}
