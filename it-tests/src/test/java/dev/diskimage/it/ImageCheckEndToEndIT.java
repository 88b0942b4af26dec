package dev.diskimage.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.diskimage.core.testing.RealQemuImg;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real {@code bin/image-check} launcher, as a pipeline would, over images made by the
 * real qemu-img: benign ones of every format must be accepted, hostile ones rejected with the
 * right code, and the exit codes must follow the contract.
 */
class ImageCheckEndToEndIT {
    @TempDir
    static Path dir;

    private static final Path ROOT = Path.of(System.getProperty("diskimage.root", "..")).toAbsolutePath().normalize();
    private static final Map<String, Path> IMAGES = new HashMap<>();
    /** The documented contract of every JSON line (docs/image-check-output.schema.json). */
    private static final Schema OUTPUT_SCHEMA = outputSchema();

    /** Exit code and output of one launcher run. */
    record Run(int exit, String out, String err) {
        Map<String, JsonNode> byFile() throws IOException {
            Map<String, JsonNode> reports = new HashMap<>();
            for (String line : out.strip().split("\n")) {
                JsonNode node = new ObjectMapper().readTree(line);
                assertThat(OUTPUT_SCHEMA.validate(node)).as("schema violations of %s", line).isEmpty();
                reports.put(Path.of(node.get("file").asText()).getFileName().toString(), node);
            }
            return reports;
        }
    }

    private static Schema outputSchema() {
        try (InputStream in = Files.newInputStream(ROOT.resolve("docs/image-check-output.schema.json"))) {
            return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs the real qemu-img and fails the test if it fails (see {@link RealQemuImg}). */
    static void qemuImg(String... args) {
        RealQemuImg.run(args);
    }

    /**
     * Runs a program (qemu-io, tar, qemu-img with its output) to its end, and fails the test
     * unless it exits 0 within two minutes.
     *
     * @return what it printed, standard error included
     */
    static String program(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + ": " + output).isZero();
        return output;
    }

    static Path image(String name) {
        Path path = dir.resolve(name);
        IMAGES.put(name, path);
        return path;
    }

    static Run imageCheck(List<String> args) throws IOException, InterruptedException {
        return imageCheck(args, builder -> { });
    }

    /** Runs the launcher with {@code setUp} applied to the process first (directory, redirects, PATH). */
    static Run imageCheck(List<String> args, java.util.function.Consumer<ProcessBuilder> setUp)
            throws IOException, InterruptedException {
        return launch(ROOT.resolve("bin/image-check"), args, setUp);
    }

    static Run launch(Path launcher, List<String> args, java.util.function.Consumer<ProcessBuilder> setUp)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(launcher.toString()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        setUp.accept(builder);
        Process process = builder.start();
        java.util.concurrent.CompletableFuture<byte[]> errFuture = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return process.getErrorStream().readAllBytes();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = errFuture.join();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8),
                new String(err, StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void createImages() throws IOException, InterruptedException {
        Path raw = image("disk.raw");
        try (RandomAccessFile file = new RandomAccessFile(raw.toFile(), "rw")) {
            file.setLength(8 << 20);
            file.seek(1 << 20);
            file.write("some data".getBytes(StandardCharsets.US_ASCII));
        }
        qemuImg("create", "-q", "-f", "qcow2", image("good.qcow2").toString(), "64M");
        qemuImg("create", "-q", "-f", "qcow2", "-o", "compat=0.10", image("good-v2.qcow2").toString(), "64M");
        qemuImg("create", "-q", "-f", "qcow2", "-o", "extended_l2=on,compression_type=zstd",
                image("extl2-zstd.qcow2").toString(), "64M");
        qemuImg("convert", "-q", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw.toString(),
                image("stream.vmdk").toString());
        qemuImg("create", "-q", "-f", "vmdk", image("sparse.vmdk").toString(), "64M");
        qemuImg("create", "-q", "-f", "vpc", "-o", "subformat=fixed", image("fixed.vhd").toString(), "16M");
        qemuImg("create", "-q", "-f", "vpc", image("dynamic.vhd").toString(), "64M");
        qemuImg("create", "-q", "-f", "vhdx", image("disk.vhdx").toString(), "64M");
        qemuImg("create", "-q", "-f", "vdi", image("disk.vdi").toString(), "64M");
        qemuImg("create", "-q", "-f", "qed", image("disk.qed").toString(), "64M");
        qemuImg("create", "-q", "-f", "luks", "--object", "secret,id=s,data=pw", "-o", "key-secret=s,iter-time=10",
                image("disk.luks").toString(), "16M");
        qemuImg("create", "-q", "-f", "parallels", image("disk.ploop").toString(), "64M");
        // -u: qemu-img does not open the (hostile-named, missing) backing file.
        qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", "evil\u001b[2J\nname", "-F", "raw",
                image("evil-name.qcow2").toString(), "64M");

        qemuImg("create", "-q", "-f", "qcow2", "-b", "/etc/hostname", "-F", "raw",
                image("evil-backing.qcow2").toString(), "64M");
        qemuImg("create", "-q", "-f", "qcow2", "-o", "data_file=" + dir.resolve("evil-data.bin"),
                image("evil-datafile.qcow2").toString(), "64M");
        qemuImg("create", "-q", "-f", "vmdk", "-o", "subformat=monolithicFlat", image("evil-flat.vmdk").toString(),
                "8M");
        Files.write(image("evil-truncated.qcow2"),
                java.util.Arrays.copyOf(Files.readAllBytes(IMAGES.get("good.qcow2")), 100));
        Path polyglot = image("evil-polyglot.qcow2");
        Files.copy(IMAGES.get("good.qcow2"), polyglot);
        try (RandomAccessFile file = new RandomAccessFile(polyglot.toFile(), "rw")) {
            file.seek(446);
            file.write(new byte[64]);
            file.seek(446);
            file.write(new byte[] {(byte) 0x80, 0, 2, 0, (byte) 0x83, 0, 0, 0, 1, 0, 0, 0, 0, 0x10, 0, 0});
            file.seek(510);
            file.write(new byte[] {0x55, (byte) 0xaa});
        }
    }

    @Test
    void acceptsEveryBenignFormatInOneCall() throws IOException, InterruptedException {
        List<String> benign = List.of("disk.raw", "good.qcow2", "good-v2.qcow2", "extl2-zstd.qcow2", "stream.vmdk",
                "sparse.vmdk", "fixed.vhd", "dynamic.vhd", "disk.vhdx", "disk.vdi", "disk.qed", "disk.luks");
        List<String> args = new ArrayList<>(List.of("--json"));
        benign.forEach(name -> args.add(IMAGES.get(name).toString()));

        Run run = imageCheck(args);

        Map<String, JsonNode> reports = run.byFile();
        assertThat(reports).hasSize(benign.size());
        reports.forEach((name, report) -> assertThat(report.get("verdict").asText()).as(name + ": " + report)
                .isEqualTo("accept"));
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(reports.get("fixed.vhd").get("format").asText()).isEqualTo("vhd");
        assertThat(reports.get("good.qcow2").get("virtual_size").asLong()).isEqualTo(64L << 20);
    }

    @Test
    void rejectsHostileImagesWithTheirCodes() throws IOException, InterruptedException {
        Map<String, String> expected = Map.of(
                "evil-backing.qcow2", "QCOW2_BACKING_FILE",
                "evil-datafile.qcow2", "QCOW2_DATA_FILE",
                "evil-flat.vmdk", "VMDK_EXTERNAL_EXTENT",
                "evil-truncated.qcow2", "TRUNCATED",
                "evil-polyglot.qcow2", "AMBIGUOUS_FORMAT");
        List<String> args = new ArrayList<>(List.of("--json"));
        expected.keySet().forEach(name -> args.add(IMAGES.get(name).toString()));

        Run run = imageCheck(args);

        assertThat(run.exit()).isEqualTo(1);
        Map<String, JsonNode> reports = run.byFile();
        expected.forEach((name, code) -> {
            JsonNode report = reports.get(name);
            assertThat(report.get("verdict").asText()).as(name).isEqualTo("reject");
            List<String> codes = new ArrayList<>();
            report.get("reasons").forEach(reason -> codes.add(reason.get("code").asText()));
            assertThat(codes).as(name + ": " + report).contains(code);
        });
    }

    @Test
    void declaredFormatMustMatchTheBytes() throws IOException, InterruptedException {
        Run asRaw = imageCheck(List.of("--json", "--format", "raw", IMAGES.get("good.qcow2").toString()));
        Run asVhd = imageCheck(List.of("--json", "--format", "vhd", IMAGES.get("dynamic.vhd").toString()));

        assertThat(asRaw.exit()).isEqualTo(1);
        assertThat(asRaw.out()).contains("FORMAT_MISMATCH");
        assertThat(asVhd.exit()).as(asVhd.out()).isZero();
    }

    @Test
    void backingFileIsAcceptedOnlyWhenAllowed() throws IOException, InterruptedException {
        String evil = IMAGES.get("evil-backing.qcow2").toString();

        assertThat(imageCheck(List.of(evil)).exit()).isEqualTo(1);
        assertThat(imageCheck(List.of("--allow-backing-file", evil)).exit()).isZero();
        assertThat(imageCheck(List.of("--allow-backing-file", IMAGES.get("evil-datafile.qcow2").toString())).exit())
                .isEqualTo(1);
    }

    @Test
    void qemuCrossCheckAgreesOnBenignImages() throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("--json", "--qemu-cross-check"));
        for (String name : List.of("good.qcow2", "stream.vmdk", "fixed.vhd", "dynamic.vhd", "disk.vhdx", "disk.vdi",
                "disk.qed", "disk.raw", "disk.luks", "disk.ploop")) {
            args.add(IMAGES.get(name).toString());
        }

        Run run = imageCheck(args);

        assertThat(run.exit()).as(run.out() + run.err()).isZero();
    }

    @Test
    void usageErrorsExitTwo() throws IOException, InterruptedException {
        assertThat(imageCheck(List.of()).exit()).isEqualTo(2);
        assertThat(imageCheck(List.of("--format", "floppy", IMAGES.get("disk.raw").toString())).exit()).isEqualTo(2);
    }

    @Test
    void readsAnImageFromStandardInput() throws IOException, InterruptedException {
        Run good = imageCheck(List.of("--json", "--format", "qcow2", "-"),
                builder -> builder.redirectInput(IMAGES.get("good.qcow2").toFile()));
        Run evil = imageCheck(List.of("--json", "-"),
                builder -> builder.redirectInput(IMAGES.get("evil-backing.qcow2").toFile()));

        assertThat(good.exit()).as(good.err()).isZero();
        assertThat(good.byFile().get("-").get("format").asText()).isEqualTo("qcow2");
        assertThat(evil.exit()).isEqualTo(1);
        assertThat(evil.byFile().get("-").get("references").get(0).get("name").asText()).isEqualTo("/etc/hostname");
    }

    @Test
    void aFileNamedLikeAnArgumentFileIsInspectedItself() throws IOException, InterruptedException {
        Path work = Files.createDirectories(dir.resolve("at-files"));
        Files.copy(IMAGES.get("evil-backing.qcow2"), work.resolve("@list.qcow2"));
        Files.writeString(work.resolve("list.qcow2"), IMAGES.get("disk.raw") + "\n");

        Run run = imageCheck(List.of("--json", "@list.qcow2"), builder -> builder.directory(work.toFile()));
        Run afterDashes = imageCheck(List.of("--json", "--", "@list.qcow2"), builder -> builder.directory(work.toFile()));

        assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(1);
        assertThat(run.byFile()).containsOnlyKeys("@list.qcow2");
        assertThat(run.byFile().get("@list.qcow2").get("verdict").asText()).isEqualTo("reject");
        assertThat(afterDashes.exit()).isEqualTo(1);
        assertThat(afterDashes.byFile()).containsOnlyKeys("@list.qcow2");
    }

    @Test
    void aWriteErrorOnStandardOutputExitsTwo() throws IOException, InterruptedException {
        Run run = imageCheck(List.of(IMAGES.get("good.qcow2").toString()),
                builder -> builder.redirectOutput(new java.io.File("/dev/full")));

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("cannot write the report");
    }

    @Test
    void theLauncherWorksFromAnyDirectoryAndThroughASymlink() throws IOException, InterruptedException {
        Path links = Files.createDirectories(dir.resolve("links"));
        Path link = Files.createSymbolicLink(links.resolve("image-check"), ROOT.resolve("bin/image-check"));

        Run run = launch(link, List.of("--json", IMAGES.get("good.qcow2").toString()),
                builder -> builder.directory(links.toFile()));

        assertThat(run.exit()).as(run.err()).isZero();
    }

    @Test
    void aMissingQemuImgIsASetUpErrorNotAVerdict() throws IOException, InterruptedException {
        Path bin = Files.createDirectories(dir.resolve("bin-without-qemu"));
        for (String tool : List.of("sh", "readlink", "dirname", "ls", "grep", "head", "java")) {
            Path real = whichTool(tool);
            Files.createSymbolicLink(bin.resolve(tool), real);
        }

        Run run = imageCheck(List.of("--json", "--qemu-cross-check", IMAGES.get("good.qcow2").toString()),
                builder -> builder.environment().put("PATH", bin.toString()));

        assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(2);
        assertThat(run.err()).contains("qemu-img").doesNotContain("Exception");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void verboseShowsTheLibraryLogOnStandardError() throws IOException, InterruptedException {
        Run quiet = imageCheck(List.of(IMAGES.get("good.qcow2").toString()));
        Run verbose = imageCheck(List.of("--verbose", IMAGES.get("good.qcow2").toString()));

        assertThat(quiet.err()).isEmpty();
        assertThat(verbose.exit()).isZero();
        assertThat(verbose.err()).contains("DEBUG", "good.qcow2");
    }

    @Test
    void aParallelsImageDeclaredPloopOrParallelsIsAccepted() throws IOException, InterruptedException {
        Run asPloop = imageCheck(List.of("--json", "--format", "ploop", IMAGES.get("disk.ploop").toString()));
        Run asParallels = imageCheck(List.of("--json", "--format", "parallels", IMAGES.get("disk.ploop").toString()));
        Run asRaw = imageCheck(List.of("--json", "--format", "raw", IMAGES.get("disk.ploop").toString()));

        assertThat(asPloop.exit()).as(asPloop.out() + asPloop.err()).isZero();
        assertThat(asPloop.byFile().get("disk.ploop").get("format").asText()).isEqualTo("ploop");
        assertThat(asPloop.byFile().get("disk.ploop").get("virtual_size").asLong()).isEqualTo(64L << 20);
        assertThat(asParallels.exit()).isZero();
        assertThat(asRaw.exit()).isEqualTo(1);
    }

    @Test
    void namesFromImagesReachTheTerminalEscaped() throws IOException, InterruptedException {
        Run table = imageCheck(List.of(IMAGES.get("evil-name.qcow2").toString()));
        Run json = imageCheck(List.of("--json", IMAGES.get("evil-name.qcow2").toString()));

        assertThat(table.exit()).isEqualTo(1);
        assertThat(table.out()).doesNotContain("\u001b").contains("evil\\x1b[2J\\x0aname");
        assertThat(table.out().lines()).hasSize(2);
        assertThat(json.byFile().get("evil-name.qcow2").get("references").get(0).get("name").asText())
                .isEqualTo("evil\\x1b[2J\\x0aname");
    }

    private static Path whichTool(String tool) {
        for (String entry : System.getenv("PATH").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(entry, tool);
            if (Files.isExecutable(candidate)) {
                return candidate.toAbsolutePath();
            }
        }
        Path javaHome = Path.of(System.getProperty("java.home"), "bin", tool);
        assertThat(javaHome).as(tool + " on the PATH").isExecutable();
        return javaHome;
    }
}
