package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diskimage.conversion.vhd.VhdFile;
import dev.diskimage.core.testing.RealQemuImg;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** diskimage vhd info and vhd resize: output, exit codes, and one-line errors. */
class VhdCommandTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private Path dynamic(String name, String size) {
        Path image = dir.resolve(name);
        RealQemuImg.run("create", "-q", "-f", "vpc", "-o", "subformat=dynamic,force_size=on", image.toString(), size);
        return image;
    }

    private static ImageCheckTest.Run run(String... args) {
        return DiskimageTest.diskimage(args);
    }

    private static void oneLineError(ImageCheckTest.Run run, int exit, String mentions) {
        assertThat(run.exit()).as(run.err()).isEqualTo(exit);
        assertThat(run.err().strip().lines()).as(run.err()).hasSizeLessThanOrEqualTo(2);
        assertThat(run.err().lines().findFirst().orElse("")).contains(mentions);
        assertThat(run.err()).doesNotContain("Exception", "\tat ", "dev.diskimage");
    }

    @Test
    void infoPrintsFooterHeaderAndAllocation() {
        Path image = dynamic("disk.vhd", "6M");
        try (VhdFile vhd = VhdFile.openForWriting(image)) {
            vhd.write(0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        }

        ImageCheckTest.Run run = run("vhd", "info", image.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.err()).isEmpty();
        assertThat(run.out()).contains("Disk type:        dynamic", "Virtual size:     6291456 bytes",
                "Creator:          'qem2'", "Block size:       2097152 bytes", "Table entries:    3",
                "Allocated:        1 of 3 blocks, 2097152 bytes");
    }

    @Test
    void infoJsonIsOneLineWithSnakeCaseKeysAndTheParent() throws Exception {
        Path parentPath = dynamic("parent.vhd", "4M");
        Path child = dir.resolve("child.vhd");
        try (VhdFile parent = VhdFile.open(parentPath);
                VhdFile created = VhdFile.createDifferencing(child, parent, 512 << 10)) {
            created.write(0, ByteBuffer.wrap(new byte[4096]));
        }

        ImageCheckTest.Run run = run("vhd", "info", "--json", child.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out().lines()).hasSize(1);
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("disk_type").asText()).isEqualTo("differencing");
        assertThat(json.get("virtual_size").asLong()).isEqualTo(4 * MIB);
        assertThat(json.get("block_size").asLong()).isEqualTo(512 << 10);
        assertThat(json.get("table_entries").asLong()).isEqualTo(8);
        assertThat(json.get("allocated_blocks").asInt()).isEqualTo(1);
        assertThat(json.get("allocated_bytes").asLong()).isEqualTo(512 << 10);
        assertThat(json.get("geometry").get("heads").isInt()).isTrue();
        assertThat(json.get("unique_id").asText()).matches("[0-9a-f-]{36}");
        JsonNode parent = json.get("parent");
        try (VhdFile p = VhdFile.open(parentPath)) {
            assertThat(parent.get("unique_id").asText()).isEqualTo(p.uniqueId().toString());
        }
        assertThat(parent.get("name").asText()).isEqualTo("parent.vhd");
        assertThat(parent.get("locators").get(1).get("platform").asText()).isEqualTo("W2ru");
        assertThat(parent.get("locators").get(1).get("path").asText()).isEqualTo(".\\parent.vhd");
        assertThat(allKeys(json)).allMatch(key -> key.matches("[a-z_]+"));
    }

    @Test
    void infoOfAFixedDiskHasNoTable() throws Exception {
        Path image = dir.resolve("fixed.vhd");
        RealQemuImg.run("create", "-q", "-f", "vpc", "-o", "subformat=fixed,force_size=on", image.toString(), "1M");

        JsonNode json = new ObjectMapper().readTree(run("vhd", "info", "--json", image.toString()).out());

        assertThat(json.get("disk_type").asText()).isEqualTo("fixed");
        assertThat(json.get("table_entries").isNull()).isTrue();
        assertThat(json.get("allocated_bytes").asLong()).isEqualTo(MIB);
        assertThat(json.get("parent").isNull()).isTrue();
    }

    @Test
    void infoRefusesACorruptFileWithExitOne() throws Exception {
        Path image = dynamic("disk.vhd", "4M");
        byte[] bytes = Files.readAllBytes(image);
        bytes[512 + 20] ^= 1;
        Files.write(image, bytes);

        oneLineError(run("vhd", "info", image.toString()), 1, "diskimage vhd info: image " + image);
        ImageCheckTest.Run notVhd = run("vhd", "info", Files.write(dir.resolve("x.raw"), new byte[4096]).toString());
        oneLineError(notVhd, 1, "no VHD footer");
        oneLineError(run("vhd", "info", dir.resolve("missing.vhd").toString()), 2, "missing.vhd");
    }

    @Test
    void resizeGrowsAndSaysHow() throws Exception {
        Path image = dynamic("disk.vhd", "4M");

        ImageCheckTest.Run run = run("vhd", "resize", image.toString(), "300M");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out().strip()).isEqualTo("resized " + image + " from " + 4 * MIB + " to " + 300 * MIB
                + " bytes");
        assertThat(RealQemuImg.run("info", "-f", "vpc", "--output=json", image.toString()))
                .contains("\"virtual-size\": " + 300 * MIB);

        ImageCheckTest.Run json = run("vhd", "resize", "--json", image.toString(), "1G");
        assertThat(json.exit()).as(json.err()).isZero();
        JsonNode result = new ObjectMapper().readTree(json.out());
        assertThat(result.get("old_virtual_size").asLong()).isEqualTo(300 * MIB);
        assertThat(result.get("virtual_size").asLong()).isEqualTo(1024 * MIB);
        assertThat(result.get("table_entries").asLong()).isEqualTo(512);

        ImageCheckTest.Run quiet = run("vhd", "resize", "-q", image.toString(), "2G");
        assertThat(quiet.exit()).isZero();
        assertThat(quiet.out()).isEmpty();
        assertThat(dir.resolve("disk.vhd.resize-journal")).doesNotExist();
    }

    @Test
    void resizeRefusesAShrinkWithoutPermissionAndBadSizes() throws Exception {
        Path image = dynamic("disk.vhd", "8M");
        byte[] original = Files.readAllBytes(image);

        oneLineError(run("vhd", "resize", image.toString(), "4M"), 2, "must be allowed");
        oneLineError(run("vhd", "resize", image.toString(), "3T"), 2, "2040 GiB");
        oneLineError(run("vhd", "resize", image.toString(), "ten"), 2, "not a size");
        oneLineError(run("vhd", "resize", image.toString()), 2, "missing SIZE");
        oneLineError(run("vhd", "resize", "--no-such-option", image.toString(), "1G"), 2, "--no-such-option");
        assertThat(Files.readAllBytes(image)).isEqualTo(original);

        ImageCheckTest.Run shrink = run("vhd", "resize", "--shrink", image.toString(), "4M");
        assertThat(shrink.exit()).as(shrink.err()).isZero();
        assertThat(RealQemuImg.run("info", "-f", "vpc", "--output=json", image.toString()))
                .contains("\"virtual-size\": " + 4 * MIB);
    }

    @Test
    void resizeRefusesAnInterruptedResizeUntilRecovered() throws Exception {
        Path image = dynamic("disk.vhd", "4M");
        Path journal = Files.write(dir.resolve("disk.vhd.resize-journal"), new byte[] {1});

        oneLineError(run("vhd", "resize", image.toString(), "8M"), 2, "recover it first");
        oneLineError(run("vhd", "resize", "--recover", image.toString()), 2, "resize-journal");
        Files.delete(journal);

        ImageCheckTest.Run recover = run("vhd", "resize", "--recover", "--json", image.toString());
        assertThat(recover.exit()).as(recover.err()).isZero();
        assertThat(new ObjectMapper().readTree(recover.out()).get("recovery").asText()).isEqualTo("nothing_to_do");
    }

    @Test
    void vhdAloneOrWithAnUnknownCommandIsAUsageError() {
        ImageCheckTest.Run alone = run("vhd");
        assertThat(alone.exit()).isEqualTo(2);
        assertThat(alone.err()).contains("info", "resize");

        oneLineError(run("vhd", "frobnicate"), 2, "unknown command 'frobnicate'");
        ImageCheckTest.Run help = run("vhd", "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("info", "resize");
    }

    private static List<String> allKeys(JsonNode node) {
        List<String> keys = new java.util.ArrayList<>();
        if (node.isObject()) {
            for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                keys.add(name);
                keys.addAll(allKeys(node.get(name)));
            }
        } else if (node.isArray()) {
            node.forEach(element -> keys.addAll(allKeys(element)));
        }
        return keys;
    }
}
