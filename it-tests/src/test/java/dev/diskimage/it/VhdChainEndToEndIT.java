package dev.diskimage.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diskimage.conversion.vhd.VhdFile;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real {@code bin/diskimage} launcher for {@code vhd chain}, {@code vhd set-parent} and
 * {@code xenserver-unpack} on a two-file VHD chain: a dynamic base made by qemu-img and a
 * differencing child written by this project, and checks the unpacked disk with qemu-img against
 * the content written into both.
 */
class VhdChainEndToEndIT {
    private static final Path ROOT = Path.of(System.getProperty("diskimage.root", "..")).toAbsolutePath().normalize();
    private static final Path DISKIMAGE = ROOT.resolve("bin/diskimage");
    private static final int MIB = 1 << 20;
    private static final int CHILD_OFFSET = MIB;
    private static final int CHILD_BYTES = 8192;

    @TempDir
    Path dir;

    private static ImageCheckEndToEndIT.Run diskimage(String... args) throws IOException, InterruptedException {
        return ImageCheckEndToEndIT.launch(DISKIMAGE, List.of(args), builder -> { });
    }

    private static String run(String... command) throws IOException, InterruptedException {
        return ImageCheckEndToEndIT.program(command);
    }

    private static JsonNode json(ImageCheckEndToEndIT.Run run) throws IOException {
        assertThat(run.exit()).as(run.err()).isZero();
        return new ObjectMapper().readTree(run.out());
    }

    /** A dynamic base with a pattern at 0, and a differencing child with another at 1 MiB. */
    private Path chain(Path directory, String baseName, String childName) throws Exception {
        Path base = directory.resolve(baseName);
        run("qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=dynamic,force_size=on", base.toString(), "4M");
        run("qemu-io", "-f", "vpc", "-c", "write -P 0xab 0 65536", base.toString());
        Path child = directory.resolve(childName);
        try (VhdFile parent = VhdFile.open(base); VhdFile created = VhdFile.createDifferencing(child, parent)) {
            byte[] data = new byte[CHILD_BYTES];
            Arrays.fill(data, (byte) 0xcd);
            created.write(CHILD_OFFSET, ByteBuffer.wrap(data));
        }
        return child;
    }

    @Test
    void chainAndSetParentThroughTheLauncher() throws Exception {
        Path child = chain(dir, "base.vhd", "child.vhd");

        JsonNode listed = json(diskimage("vhd", "chain", "--json", child.toString()));

        JsonNode members = listed.get("members");
        assertThat(members).hasSize(2);
        assertThat(members.get(0).get("type").asText()).isEqualTo("differencing");
        assertThat(members.get(1).get("type").asText()).isEqualTo("dynamic");
        assertThat(members.get(0).get("parent_unique_id").asText())
                .isEqualTo(members.get(1).get("unique_id").asText());
        assertThat(listed.get("virtual_size").asLong()).isEqualTo(4L * MIB);

        // The parent renamed: the chain is broken (a refusal, exit 1), and set-parent mends it.
        Files.move(dir.resolve("base.vhd"), dir.resolve("renamed.vhd"));
        ImageCheckEndToEndIT.Run broken = diskimage("vhd", "chain", child.toString());
        assertThat(broken.exit()).as(broken.err()).isEqualTo(1);
        assertThat(broken.err()).contains("base.vhd").doesNotContain("Exception");

        JsonNode mended = json(diskimage("vhd", "set-parent", "--json", child.toString(),
                dir.resolve("renamed.vhd").toString()));
        assertThat(mended.get("parent").asText()).endsWith("renamed.vhd");
        JsonNode relisted = json(diskimage("vhd", "chain", "--json", child.toString()));
        assertThat(relisted.get("members").get(1).get("file").asText()).endsWith("renamed.vhd");

        ImageCheckEndToEndIT.Run notAChild = diskimage("vhd", "set-parent", dir.resolve("renamed.vhd").toString(),
                child.toString());
        assertThat(notAChild.exit()).as(notAChild.err()).isEqualTo(1);
        assertThat(notAChild.err().strip()).doesNotContain("Exception");
    }

    @Test
    void xenServerUnpackThroughTheLauncher() throws Exception {
        Path staging = Files.createDirectories(dir.resolve("staging"));
        Path child = chain(staging, "base.vhd", "child.vhd");
        // XenServer names the top 0.vhd and its parent 1.vhd; the locators still say base.vhd.
        Files.move(child, staging.resolve("0.vhd"));
        Files.move(staging.resolve("base.vhd"), staging.resolve("1.vhd"));
        Path archive = dir.resolve("image.tgz");
        run("tar", "czf", archive.toString(), "-C", staging.toString(), "0.vhd", "1.vhd");
        byte[] archiveBefore = Files.readAllBytes(archive);
        Path expected = dir.resolve("expected.raw");
        try (RandomAccessFile raw = new RandomAccessFile(expected.toFile(), "rw")) {
            raw.setLength(4L * MIB);
            byte[] base = new byte[65536];
            Arrays.fill(base, (byte) 0xab);
            raw.write(base);
            byte[] top = new byte[CHILD_BYTES];
            Arrays.fill(top, (byte) 0xcd);
            raw.seek(CHILD_OFFSET);
            raw.write(top);
        }
        Path out = dir.resolve("out.vhd");

        JsonNode unpacked = json(diskimage("xenserver-unpack", "--json", archive.toString(), out.toString()));

        assertThat(unpacked.get("output").asText()).isEqualTo(out.toString());
        assertThat(run("qemu-img", "info", "-f", "vpc", "--output=json", out.toString())).contains("\"virtual-size\": "
                + 4L * MIB);
        run("qemu-img", "compare", "-f", "raw", "-F", "vpc", expected.toString(), out.toString());
        assertThat(Files.readAllBytes(archive)).isEqualTo(archiveBefore);

        ImageCheckEndToEndIT.Run again = diskimage("xenserver-unpack", archive.toString(), out.toString());
        assertThat(again.exit()).as(again.err()).isEqualTo(2);
        assertThat(again.err().strip()).contains(out.toString()).doesNotContain("Exception");
    }
}
