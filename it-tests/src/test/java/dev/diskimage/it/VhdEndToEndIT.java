package dev.diskimage.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real {@code bin/diskimage} launcher for {@code vhd info --json} and {@code vhd resize} on
 * a VHD made by qemu-img, and checks the result with qemu-img: the new virtual size, the old
 * content kept and zeros beyond ({@code qemu-img compare} of the raw image before and the VHD after).
 */
class VhdEndToEndIT {
    private static final Path ROOT = Path.of(System.getProperty("diskimage.root", "..")).toAbsolutePath().normalize();
    private static final Path DISKIMAGE = ROOT.resolve("bin/diskimage");
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private static ImageCheckEndToEndIT.Run diskimage(String... args) throws IOException, InterruptedException {
        return ImageCheckEndToEndIT.launch(DISKIMAGE, List.of(args), builder -> { });
    }

    private static String run(String... command) throws IOException, InterruptedException {
        return ImageCheckEndToEndIT.program(command);
    }

    @Test
    void infoJsonAndResizeThroughTheLauncher() throws Exception {
        Path image = dir.resolve("disk.vhd");
        run("qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=dynamic,force_size=on", image.toString(), "6M");
        run("qemu-io", "-f", "vpc", "-c", "write -P 0xab 0 65536", "-c", "write -P 0xcd 5242880 4096",
                image.toString());
        Path before = dir.resolve("before.raw");
        run("qemu-img", "convert", "-f", "vpc", "-O", "raw", image.toString(), before.toString());

        ImageCheckEndToEndIT.Run info = diskimage("vhd", "info", "--json", image.toString());

        assertThat(info.exit()).as(info.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(info.out());
        assertThat(json.get("disk_type").asText()).isEqualTo("dynamic");
        assertThat(json.get("virtual_size").asLong()).isEqualTo(6 * MIB);
        assertThat(json.get("allocated_blocks").asInt()).isEqualTo(2);

        // 300 MiB needs 150 table entries, more than the table's sector holds: a block moves.
        ImageCheckEndToEndIT.Run resize = diskimage("vhd", "resize", "--json", image.toString(), "300M");

        assertThat(resize.exit()).as(resize.err()).isZero();
        JsonNode result = new ObjectMapper().readTree(resize.out());
        assertThat(result.get("virtual_size").asLong()).isEqualTo(300 * MIB);
        assertThat(result.get("moved_blocks").asInt()).isEqualTo(1);
        assertThat(run("qemu-img", "info", "-f", "vpc", "--output=json", image.toString()))
                .contains("\"virtual-size\": " + 300 * MIB);
        // compare: same content over the raw image's size, and the VHD's extra space all zeros.
        run("qemu-img", "compare", "-f", "raw", "-F", "vpc", before.toString(), image.toString());
        assertThat(dir.resolve("disk.vhd.resize-journal")).doesNotExist();

        ImageCheckEndToEndIT.Run shrink = diskimage("vhd", "resize", image.toString(), "1M");
        assertThat(shrink.exit()).isEqualTo(2);
        assertThat(shrink.err().strip()).contains("must be allowed").doesNotContain("Exception");
        assertThat(Files.exists(image)).isTrue();
    }
}
