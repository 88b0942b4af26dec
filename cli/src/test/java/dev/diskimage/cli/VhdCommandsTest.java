package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diskimage.conversion.vhd.VhdChain;
import dev.diskimage.conversion.vhd.VhdFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** diskimage vhd chain|coalesce|set-parent and xenserver-unpack: results, exit codes, one-line errors. */
class VhdCommandsTest {
    private static final int SIZE = 3 << 20;

    @TempDir
    Path dir;

    private Path base;
    private Path top;
    private byte[] expected;

    /** A two-level chain: a qemu-img dynamic base written by VhdFile, and a child with random writes. */
    @BeforeEach
    void buildChain() throws Exception {
        base = dir.resolve("base.vhd");
        run("qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=dynamic,force_size=on", base.toString(),
                Integer.toString(SIZE));
        expected = new byte[SIZE];
        Random random = new Random(42);
        try (VhdFile vhd = VhdFile.openForWriting(base)) {
            write(vhd, 100_000, 1_500_000, random);
        }
        top = dir.resolve("top.vhd");
        try (VhdChain chain = VhdChain.open(base); VhdFile child = VhdFile.createDifferencing(top, chain.top())) {
            write(child, 1_000_001, 700_000, random);
            write(child, 2_900_000, 5_000, random);
        }
    }

    private void write(VhdFile vhd, int offset, int length, Random random) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        vhd.write(offset, ByteBuffer.wrap(bytes));
        System.arraycopy(bytes, 0, expected, offset, length);
    }

    @Test
    void chainListsTheFilesTopFirstAsOneJsonLine() throws IOException {
        ImageCheckTest.Run run = DiskimageTest.diskimage("vhd", "chain", "--json", top.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode root = json(run);
        assertThat(root.get("virtual_size").asLong()).isEqualTo(SIZE);
        assertThat(root.get("members")).hasSize(2);
        assertThat(root.get("members").get(0).get("type").asText()).isEqualTo("differencing");
        assertThat(root.get("members").get(0).get("parent_unique_id").asText())
                .isEqualTo(root.get("members").get(1).get("unique_id").asText());
        assertThat(root.get("members").get(1).get("type").asText()).isEqualTo("dynamic");
        assertThat(root.get("warnings")).isEmpty();

        ImageCheckTest.Run text = DiskimageTest.diskimage("vhd", "chain", top.toString());
        assertThat(text.exit()).isZero();
        assertThat(text.out()).contains("chain of 2 VHD file(s)", "differencing", "dynamic");
    }

    @Test
    void aChainWithAMissingParentIsRefusedWithExitOne() throws IOException {
        Files.delete(base);

        oneLineError(DiskimageTest.diskimage("vhd", "chain", top.toString()), 1, "parent was not found");
        oneLineError(DiskimageTest.diskimage("vhd", "coalesce", top.toString()), 1, "parent was not found");
    }

    @Test
    void aMissingFileIsAnIoErrorAndNoSubcommandIsAUsageError() {
        oneLineError(DiskimageTest.diskimage("vhd", "chain", dir.resolve("nope.vhd").toString()), 2, "nope.vhd");
        assertThat(DiskimageTest.diskimage("vhd").exit()).isEqualTo(2);
        oneLineError(DiskimageTest.diskimage("vhd", "coalesce"), 2, "TOP");
    }

    @Test
    void coalesceIntoAnOutputLeavesTheChainAndQemuReadsTheResult() throws Exception {
        byte[] topBefore = Files.readAllBytes(top);
        Path output = dir.resolve("out.vhd");

        ImageCheckTest.Run run = DiskimageTest.diskimage("vhd", "coalesce", "--json", "--output", output.toString(),
                top.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(json(run).get("files").asInt()).isEqualTo(2);
        assertThat(Files.readAllBytes(top)).isEqualTo(topBefore);
        assertThat(qemuRaw(output)).isEqualTo(expected);
        oneLineError(DiskimageTest.diskimage("vhd", "coalesce", "-o", output.toString(), top.toString()), 2,
                "already exists");
    }

    @Test
    void coalesceInPlaceMergesIntoTheBase() throws Exception {
        ImageCheckTest.Run run = DiskimageTest.diskimage("vhd", "coalesce", top.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("into " + base.toRealPath());
        assertThat(qemuRaw(base)).isEqualTo(expected);
    }

    @Test
    void setParentPointsTheChildAtACopyOfItsParent() throws Exception {
        Path copy = Files.copy(base, dir.resolve("copy.vhd"));

        ImageCheckTest.Run run = DiskimageTest.diskimage("vhd", "set-parent", "--json", top.toString(),
                copy.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(json(run).get("parent").asText()).isEqualTo(copy.toString());
        try (VhdChain chain = VhdChain.open(top)) {
            assertThat(chain.base().path()).isEqualTo(copy.toRealPath());
        }
        oneLineError(DiskimageTest.diskimage("vhd", "set-parent", base.toString(), copy.toString()), 1,
                "no parent");
    }

    @Test
    void xenserverUnpackWritesTheCoalescedChainAndKeepsTheArchive() throws Exception {
        Path staging = Files.createDirectories(dir.resolve("staging"));
        Files.move(top, staging.resolve("0.vhd"));
        Files.move(base, staging.resolve("1.vhd"));
        Path archive = dir.resolve("image.tgz");
        run("tar", "czf", archive.toString(), "-C", staging.toString(), "0.vhd", "1.vhd");
        byte[] archiveBefore = Files.readAllBytes(archive);
        Path output = dir.resolve("image.vhd");

        ImageCheckTest.Run run = DiskimageTest.diskimage("xenserver-unpack", archive.toString(), output.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(qemuRaw(output)).isEqualTo(expected);
        assertThat(Files.readAllBytes(archive)).isEqualTo(archiveBefore);
        try (var listed = Files.list(dir)) {
            assertThat(listed.map(p -> p.getFileName().toString()).toList())
                    .containsExactlyInAnyOrder("staging", "image.tgz", "image.vhd");
        }
    }

    @Test
    void xenserverUnpackRefusesAnArchiveWithoutAChain() throws Exception {
        Path archive = dir.resolve("image.tgz");
        run("tar", "czf", archive.toString(), "-C", dir.toString(), "base.vhd");

        oneLineError(DiskimageTest.diskimage("xenserver-unpack", archive.toString(),
                dir.resolve("out.vhd").toString()), 1, "0.vhd");
        assertThat(dir.resolve("out.vhd")).doesNotExist();
    }

    private static JsonNode json(ImageCheckTest.Run run) throws IOException {
        String[] lines = run.out().strip().split("\n");
        assertThat(lines).hasSize(1);
        return new ObjectMapper().readTree(lines[0]);
    }

    private static void oneLineError(ImageCheckTest.Run run, int exit, String mentions) {
        assertThat(run.exit()).as(run.err()).isEqualTo(exit);
        assertThat(run.err().strip().split("\n")[0]).contains(mentions).doesNotContain("Exception", "dev.diskimage");
        assertThat(run.err()).doesNotContain("\tat ");
    }

    private static byte[] qemuRaw(Path image) throws Exception {
        Path raw = image.resolveSibling(image.getFileName() + ".raw");
        run("qemu-img", "convert", "-f", "vpc", "-O", "raw", image.toString(), raw.toString());
        byte[] bytes = Files.readAllBytes(raw);
        Files.delete(raw);
        return bytes;
    }

    private static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
    }
}
