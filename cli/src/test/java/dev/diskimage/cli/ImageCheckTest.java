package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
                nodes.add(new ObjectMapper().readTree(line));
            }
            return nodes;
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = ImageCheck.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    private Path rawImage(String name, int size) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, new byte[size]);
        return file;
    }

    @Test
    void acceptsARawImageAndPrintsTheContractJson() throws IOException {
        Path raw = rawImage("disk.raw", 1 << 20);

        Run run = run("--json", "--format", "raw", raw.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode report = run.json().get(0);
        assertThat(report.get("file").asText()).isEqualTo(raw.toString());
        assertThat(report.get("verdict").asText()).isEqualTo("accept");
        assertThat(report.get("format").asText()).isEqualTo("raw");
        assertThat(report.get("virtual_size").asLong()).isEqualTo(1 << 20);
        assertThat(report.get("reasons").isArray()).isTrue();
        assertThat(report.get("reasons")).isEmpty();
    }

    @Test
    void rejectsAndExitsOneWhenAnyFileIsRejected() throws IOException {
        Path raw = rawImage("disk.raw", 4096);
        Path empty = rawImage("empty.img", 0);

        Run run = run("--json", raw.toString(), empty.toString(), dir.toString(), dir.resolve("missing").toString());

        assertThat(run.exit()).isEqualTo(1);
        List<JsonNode> reports = run.json();
        assertThat(reports).hasSize(4);
        assertThat(reports.get(0).get("verdict").asText()).isEqualTo("accept");
        assertThat(reports.get(1).get("reasons").get(0).get("code").asText()).isEqualTo("EMPTY_FILE");
        assertThat(reports.get(2).get("reasons").get(0).get("code").asText()).isEqualTo("NOT_A_REGULAR_FILE");
        assertThat(reports.get(3).get("reasons").get(0).get("code").asText()).isEqualTo("UNREADABLE");
        assertThat(reports).allSatisfy(r -> assertThat(r.get("reasons").isArray()).isTrue());
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
    void humanTableNamesEveryFileAndReason() throws IOException {
        Path empty = rawImage("empty.img", 0);

        Run run = run(empty.toString());

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.out()).contains("FILE", "VERDICT", empty.toString(), "reject", "EMPTY_FILE");
    }

    @Test
    void maxVirtualSizeRejectsLargerImages() throws IOException {
        Path raw = rawImage("disk.raw", 8192);

        assertThat(run("--max-virtual-size", "4K", raw.toString()).exit()).isEqualTo(1);
        assertThat(run("--max-virtual-size", "8K", raw.toString()).exit()).isZero();
    }

    @Test
    void usageErrorsExitTwo() throws IOException {
        Path raw = rawImage("disk.raw", 4096);

        assertThat(run().exit()).isEqualTo(2);
        assertThat(run("--format", "floppy", raw.toString()).exit()).isEqualTo(2);
        assertThat(run("--max-virtual-size", "lots", raw.toString()).exit()).isEqualTo(2);
        assertThat(run("--no-such-option", raw.toString()).exit()).isEqualTo(2);
        Run badPolicy = run("--policy-file", dir.resolve("nope.json").toString(), raw.toString());
        assertThat(badPolicy.exit()).isEqualTo(2);
        assertThat(badPolicy.err()).contains("nope.json");
    }

    @Test
    void policyFileIsAppliedAndTyposAreRefused() throws IOException {
        Path raw = rawImage("disk.raw", 4096);
        Path onlyQcow2 = dir.resolve("policy.json");
        Files.writeString(onlyQcow2, "{\"allowed_formats\": [\"qcow2\"], \"max_virtual_size\": \"1G\"}");
        Path typo = dir.resolve("typo.json");
        Files.writeString(typo, "{\"allow_backing_file\": true}");

        Run refused = run("--json", "--policy-file", onlyQcow2.toString(), raw.toString());
        Run typoRun = run("--policy-file", typo.toString(), raw.toString());

        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.json().get(0).get("reasons").get(0).get("code").asText()).isEqualTo("FORMAT_NOT_ALLOWED");
        assertThat(typoRun.exit()).isEqualTo(2);
        assertThat(typoRun.err()).contains("unknown key 'allow_backing_file'");
    }

    @Test
    void acceptsGlanceAndQemuFormatNames() throws IOException {
        Path raw = rawImage("disk.raw", 4096);

        Run asVhd = run("--json", "--format", "vhd", raw.toString());
        Run asVpc = run("--json", "--format", "vpc", raw.toString());

        assertThat(asVhd.exit()).isEqualTo(1);
        assertThat(asVhd.json().get(0).get("reasons").get(0).get("code").asText()).isEqualTo("FORMAT_MISMATCH");
        assertThat(asVpc.json().get(0).get("declared_format").asText()).isEqualTo("vhd");
    }
}
