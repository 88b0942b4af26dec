package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageCheckTest {
    @TempDir
    Path dir;

    /** Exit code and what the command printed. */
    record Run(int exit, String out, String err) {
        List<JsonNode> json() throws IOException {
            List<JsonNode> nodes = new ArrayList<>();
            for (String line : out.strip().split("\n")) {
                JsonNode node = new ObjectMapper().readTree(line);
                assertThat(OutputSchema.violations(node)).as("schema violations of %s", line).isEmpty();
                nodes.add(node);
            }
            return nodes;
        }

        JsonNode only() throws IOException {
            List<JsonNode> nodes = json();
            assertThat(nodes).hasSize(1);
            return nodes.get(0);
        }
    }

    static Run run(String... args) {
        return runWithInput(InputStream.nullInputStream(), args);
    }

    static Run runWithInput(InputStream stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = ImageCheck.run(args, stdin, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    private Path rawImage(String name, int size) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, new byte[size]);
        return file;
    }

    private Path qemuImage(String name, String... createOptions) throws IOException, InterruptedException {
        Path file = dir.resolve(name);
        List<String> command = new ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2"));
        command.addAll(List.of(createOptions));
        command.add(file.toString());
        command.add("1M");
        Process process = new ProcessBuilder(command).directory(dir.toFile()).inheritIO().start();
        assertThat(process.waitFor()).isZero();
        return file;
    }

    private Path qcow2WithBackingFile() throws IOException, InterruptedException {
        rawImage("base.raw", 1 << 20);
        return qemuImage("child.qcow2", "-b", "base.raw", "-F", "raw", "-o", "lazy_refcounts=on");
    }

    private static String code(JsonNode report) {
        return report.get("reasons").get(0).get("code").asText();
    }

    @Test
    void acceptsARawImageAndPrintsTheContractJson() throws IOException {
        Path raw = rawImage("disk.raw", 1 << 20);

        Run run = run("--json", "--format", "raw", raw.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode report = run.only();
        assertThat(report.get("file").asText()).isEqualTo(raw.toString());
        assertThat(report.get("verdict").asText()).isEqualTo("accept");
        assertThat(report.get("format").asText()).isEqualTo("raw");
        assertThat(report.get("virtual_size").asLong()).isEqualTo(1 << 20);
        assertThat(report.get("reasons").isArray()).isTrue();
        assertThat(report.get("reasons")).isEmpty();
        assertThat(report.get("references").isArray()).isTrue();
        assertThat(report.get("references")).isEmpty();
    }

    @Test
    void jsonDetailsAreTypedAndReferencesListed() throws Exception {
        Path child = qcow2WithBackingFile();

        JsonNode report = run("--json", "--allow-backing-file", child.toString()).only();

        assertThat(report.get("verdict").asText()).isEqualTo("accept");
        assertThat(report.get("details").get("cluster_size").isNumber()).isTrue();
        assertThat(report.get("details").get("cluster_size").asLong()).isEqualTo(65536);
        assertThat(report.get("details").get("lazy_refcounts").isBoolean()).isTrue();
        report.get("details").fieldNames().forEachRemaining(key -> assertThat(key).matches("[a-z0-9_.]+"));
        JsonNode reference = report.get("references").get(0);
        assertThat(reference.get("kind").asText()).isEqualTo("backing");
        assertThat(reference.get("name").asText()).isEqualTo("base.raw");
        assertThat(reference.get("code").asText()).isEqualTo("QCOW2_BACKING_FILE");
        assertThat(reference.get("offset").isNumber()).isTrue();
        assertThat(report.get("warnings").get(0).get("code").asText()).isEqualTo("QCOW2_BACKING_FILE");
    }

    @Test
    void refusedImagesExitOne() throws Exception {
        Path child = qcow2WithBackingFile();
        Path raw = rawImage("disk.raw", 4096);

        Run run = run("--json", raw.toString(), child.toString());

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.json().get(0).get("verdict").asText()).isEqualTo("accept");
        assertThat(run.json().get(1).get("verdict").asText()).isEqualTo("reject");
        assertThat(code(run.json().get(1))).isEqualTo("QCOW2_BACKING_FILE");
    }

    @Test
    void filesThatCannotBeInspectedExitTwoWithAnErrorLineEach() throws Exception {
        Path raw = rawImage("disk.raw", 4096);
        Path child = qcow2WithBackingFile();

        Run run = run("--json", raw.toString(), child.toString(), dir.toString(), dir.resolve("missing").toString(),
                dir.resolve("*.nomatch").toString());

        assertThat(run.exit()).isEqualTo(2);
        List<JsonNode> reports = run.json();
        assertThat(reports).hasSize(5);
        assertThat(reports.get(0).get("verdict").asText()).isEqualTo("accept");
        assertThat(reports.get(1).get("verdict").asText()).isEqualTo("reject");
        assertThat(reports.subList(2, 5)).allSatisfy(r -> assertThat(r.get("verdict").asText()).isEqualTo("error"));
        assertThat(reports.get(2).get("error").asText()).contains("is a directory");
        assertThat(reports.get(3).get("error").asText()).contains("no such file");
        assertThat(reports.get(4).get("file").asText()).endsWith("*.nomatch");
    }

    @Test
    void anEmptyFileIsARawImageOfSizeZeroWithAWarningUnlessThePolicySetsAMinimum() throws IOException {
        Path empty = rawImage("empty.img", 0);
        Path policy = dir.resolve("policy.json");
        Files.writeString(policy, "{\"min_virtual_size\": 1}");

        JsonNode accepted = run("--json", empty.toString()).only();
        Run byFlag = run("--json", "--min-virtual-size", "1", empty.toString());
        Run byPolicy = run("--json", "--policy-file", policy.toString(), empty.toString());
        Run declaredQcow2 = run("--json", "--format", "qcow2", empty.toString());

        assertThat(accepted.get("verdict").asText()).isEqualTo("accept");
        assertThat(accepted.get("format").asText()).isEqualTo("raw");
        assertThat(accepted.get("virtual_size").asLong()).isZero();
        assertThat(accepted.get("warnings").get(0).get("code").asText()).isEqualTo("EMPTY_FILE");
        assertThat(byFlag.exit()).isEqualTo(1);
        assertThat(code(byFlag.only())).isEqualTo("VIRTUAL_SIZE_TOO_SMALL");
        assertThat(byPolicy.exit()).isEqualTo(1);
        assertThat(declaredQcow2.exit()).isEqualTo(1);
        assertThat(code(declaredQcow2.only())).isEqualTo("FORMAT_MISMATCH");
    }

    @Test
    void keepsInputOrderWhenCheckingInParallel() throws IOException {
        List<String> args = new ArrayList<>(List.of("--json"));
        for (int i = 0; i < 40; i++) {
            args.add(rawImage("disk" + i + ".raw", 512 * (i + 1)).toString());
        }

        Run run = run(args.toArray(String[]::new));

        assertThat(run.exit()).isZero();
        List<JsonNode> reports = run.json();
        for (int i = 0; i < 40; i++) {
            assertThat(reports.get(i).get("file").asText()).endsWith("disk" + i + ".raw");
            assertThat(reports.get(i).get("virtual_size").asLong()).isEqualTo(512L * (i + 1));
        }
    }

    @Test
    void humanTableNamesEveryFileReasonAndWarning() throws Exception {
        Path empty = rawImage("empty.img", 0);
        Path child = qcow2WithBackingFile();

        Run run = run("--min-virtual-size", "1", empty.toString(), child.toString(), dir.resolve("gone").toString());

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.out()).contains("FILE", "VERDICT", empty.toString(), "reject", "VIRTUAL_SIZE_TOO_SMALL",
                "warning EMPTY_FILE", "QCOW2_BACKING_FILE", "error", "no such file");
    }

    @Test
    void tableEscapesControlCharactersInFileNames() throws IOException {
        Path evil = rawImage("evil\nFAKE  accept\u001b[2J.raw", 4096);

        Run run = run(evil.toString());

        assertThat(run.exit()).isZero();
        assertThat(run.out()).doesNotContain("\u001b").contains("evil\\x0aFAKE  accept\\x1b[2J.raw");
        assertThat(run.out().lines()).hasSize(2);
    }

    @Test
    void argumentFilesAreNeverExpanded() throws IOException {
        Path good = rawImage("good.raw", 4096);
        Path list = dir.resolve("list");
        Files.writeString(list, good + "\n");

        Run run = run("--json", "@" + list);
        Run afterDashes = run("--json", "--", "@" + list);

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.only().get("file").asText()).isEqualTo("@" + list);
        assertThat(run.only().get("verdict").asText()).isEqualTo("error");
        assertThat(afterDashes.only().get("file").asText()).isEqualTo("@" + list);
    }

    @Test
    void booleanFlagsOverrideThePolicyFileInBothDirections() throws Exception {
        Path child = qcow2WithBackingFile();
        Path allows = dir.resolve("allows.json");
        Files.writeString(allows, "{\"allow_backing_files\": true, \"qemu_cross_check\": true}");
        Path refuses = dir.resolve("refuses.json");
        Files.writeString(refuses, "{\"allow_backing_files\": false}");

        assertThat(run("--policy-file", allows.toString(), child.toString()).exit()).isZero();
        assertThat(run("--policy-file", allows.toString(), "--allow-backing-file=false", child.toString()).exit())
                .isEqualTo(1);
        assertThat(run("--policy-file", allows.toString(), "--allow-backing-file", "false", child.toString()).exit())
                .isEqualTo(1);
        assertThat(run("--policy-file", refuses.toString(), "--allow-backing-file", child.toString()).exit())
                .isZero();
        assertThat(run("--policy-file", refuses.toString(), "--allow-backing-file=true", child.toString()).exit())
                .isZero();
        // The policy's cross-check would refuse a stream; the flag turns it off.
        Run stream = runWithInput(new ByteArrayInputStream(new byte[4096]), "--policy-file", allows.toString(),
                "--qemu-cross-check=false", "-");
        assertThat(stream.exit()).as(stream.err()).isZero();
    }

    @Test
    void standardInputIsValidatedAsAStream() throws Exception {
        Path qcow2 = qemuImage("disk.qcow2");

        Run run = runWithInput(Files.newInputStream(qcow2), "--json", "--format", "qcow2", "-");
        Run mismatch = runWithInput(Files.newInputStream(qcow2), "--json", "--format", "raw", "-");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.only().get("file").asText()).isEqualTo("-");
        assertThat(run.only().get("format").asText()).isEqualTo("qcow2");
        assertThat(run.only().get("virtual_size").asLong()).isEqualTo(1 << 20);
        assertThat(mismatch.exit()).isEqualTo(1);
        assertThat(code(mismatch.only())).isEqualTo("FORMAT_MISMATCH");
    }

    @Test
    void namedPipesAreReadAsStreams() throws Exception {
        Path qcow2 = qemuImage("disk.qcow2");
        Path fifo = dir.resolve("pipe");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (OutputStream out = Files.newOutputStream(fifo)) {
                Files.copy(qcow2, out);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });

        Run run = run("--json", "--format", "qcow2", fifo.toString());

        writer.get();
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.only().get("format").asText()).isEqualTo("qcow2");
    }

    @Test
    void oneFileFailingNeverLosesTheOtherReports() throws IOException {
        Path raw = rawImage("disk.raw", 4096);
        InputStream broken = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }

            @Override
            public int read(byte[] buffer, int off, int len) throws IOException {
                throw new IOException("connection reset");
            }
        };
        InputStream buggy = new InputStream() {
            @Override
            public int read() {
                throw new IllegalStateException("boom");
            }
        };

        Run ioError = runWithInput(broken, "--json", raw.toString(), "-");
        Run bug = runWithInput(buggy, "--json", "-", raw.toString());

        assertThat(ioError.exit()).isEqualTo(2);
        assertThat(ioError.json().get(0).get("verdict").asText()).isEqualTo("accept");
        assertThat(ioError.json().get(1).get("error").asText()).contains("connection reset");
        assertThat(bug.exit()).isEqualTo(2);
        assertThat(bug.json().get(0).get("verdict").asText()).isEqualTo("error");
        assertThat(bug.json().get(0).get("error").asText()).isEqualTo("internal error (run with --verbose for the details)");
        assertThat(bug.json().get(1).get("verdict").asText()).isEqualTo("accept");
    }

    @Test
    void aWriteErrorOnStandardOutputExitsTwo() throws IOException {
        Path raw = rawImage("disk.raw", 4096);
        OutputStream full = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }
        };
        StringWriter err = new StringWriter();

        int exit = ImageCheck.run(new String[] {raw.toString()}, InputStream.nullInputStream(),
                new PrintWriter(full, true), new PrintWriter(err, true));

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("cannot write the report");
    }

    @Test
    void quietPrintsNothingAndKeepsTheExitCode() throws Exception {
        Path child = qcow2WithBackingFile();

        Run run = run("--quiet", "--json", child.toString());

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.out()).isEmpty();
    }

    @Test
    void usageErrorsExitTwoWithOneLineAndAHint() throws IOException {
        Path raw = rawImage("disk.raw", 4096);

        assertThat(run().exit()).isEqualTo(2);
        assertThat(run("--max-virtual-size", "lots", raw.toString()).exit()).isEqualTo(2);
        Run typo = run("--fromat", "qcow2", raw.toString());
        assertThat(typo.exit()).isEqualTo(2);
        assertThat(typo.err()).doesNotContain("Usage:").contains("--fromat", "Try 'image-check --help'");
        assertThat(typo.err().lines().count()).isLessThanOrEqualTo(3);
        Run twoStdins = run("-", "-");
        assertThat(twoStdins.exit()).isEqualTo(2);
        assertThat(twoStdins.err()).contains("standard input");
        Run crossCheckedStream = run("--qemu-cross-check", "-");
        assertThat(crossCheckedStream.exit()).isEqualTo(2);
        assertThat(crossCheckedStream.err()).contains("--qemu-cross-check needs files");
    }

    @Test
    void anUnknownFormatListsTheValidOnes() throws IOException {
        Path raw = rawImage("disk.raw", 4096);

        Run run = run("--format", "floppy", raw.toString());

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("unknown disk format 'floppy'", "qcow2", "vhd (vpc)", "ploop (parallels)");
        assertThat(run("--help").out()).contains("vhd (vpc)");
    }

    @Test
    void policyFileErrorsNameWhatTheUserControls() throws IOException {
        Path raw = rawImage("disk.raw", 4096);
        Path typo = dir.resolve("typo.json");
        Files.writeString(typo, "{\"allow_backing_file\": true}");
        Path duplicate = dir.resolve("duplicate.json");
        Files.writeString(duplicate, "{\"allow_backing_files\": false, \"allow_backing_files\": true}");
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"max_virtual_size\": ");
        Path tinyBudget = dir.resolve("budget.json");
        Files.writeString(tinyBudget, "{\"read_budget\": 100}");

        Run missing = run("--policy-file", dir.resolve("nope.json").toString(), raw.toString());
        Run typoRun = run("--policy-file", typo.toString(), raw.toString());
        Run duplicateRun = run("--policy-file", duplicate.toString(), raw.toString());
        Run brokenRun = run("--policy-file", broken.toString(), raw.toString());
        Run budgetRun = run("--policy-file", tinyBudget.toString(), raw.toString());

        assertThat(List.of(missing, typoRun, duplicateRun, brokenRun, budgetRun))
                .allSatisfy(r -> assertThat(r.exit()).isEqualTo(2))
                .allSatisfy(r -> assertThat(r.err()).doesNotContain("Exception", "REDACTED", "com.fasterxml", "Source:"));
        assertThat(missing.err()).contains("nope.json", "no such file");
        assertThat(typoRun.err()).contains("unknown key 'allow_backing_file'");
        assertThat(duplicateRun.err()).contains("duplicate.json", "allow_backing_files", "uplicate");
        assertThat(brokenRun.err()).contains("broken.json", "not valid JSON", "line 1");
        assertThat(budgetRun.err()).contains("read_budget").doesNotContain("readBudget");
    }

    @Test
    void acceptsGlanceAndQemuFormatNames() throws IOException {
        Path raw = rawImage("disk.raw", 4096);

        Run asVhd = run("--json", "--format", "vhd", raw.toString());
        Run asVpc = run("--json", "--format", "vpc", raw.toString());

        assertThat(asVhd.exit()).isEqualTo(1);
        assertThat(code(asVhd.only())).isEqualTo("FORMAT_MISMATCH");
        assertThat(asVpc.only().get("declared_format").asText()).isEqualTo("vhd");
    }
}
