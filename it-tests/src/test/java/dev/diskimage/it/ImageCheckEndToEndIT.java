package dev.diskimage.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
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

    /** Exit code and output of one launcher run. */
    record Run(int exit, String out, String err) {
        Map<String, JsonNode> byFile() throws IOException {
            Map<String, JsonNode> reports = new HashMap<>();
            for (String line : out.strip().split("\n")) {
                JsonNode node = new ObjectMapper().readTree(line);
                reports.put(Path.of(node.get("file").asText()).getFileName().toString(), node);
            }
            return reports;
        }
    }

    /** Runs the real qemu-img; repeats qemu's flaky LUKS PBKDF benchmark ("Unable to get accurate CPU usage"). */
    static void qemuImg(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("qemu-img"));
        command.addAll(List.of(args));
        for (int attempt = 1; ; attempt++) {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int exit = process.waitFor();
            if (exit == 0 || attempt >= 10 || !output.contains("Unable to get accurate CPU usage")) {
                assertThat(exit).as(command + ": " + output).isZero();
                return;
            }
        }
    }

    static Path image(String name) {
        Path path = dir.resolve(name);
        IMAGES.put(name, path);
        return path;
    }

    static Run imageCheck(List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ROOT.resolve("bin/image-check").toString()));
        command.addAll(args);
        Process process = new ProcessBuilder(command).start();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
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
                "disk.qed", "disk.raw", "disk.luks")) {
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
}
