package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** diskimage info, convert, resize and measure: results, exit codes, and one-line errors for bad input. */
class ImageCommandsTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private Path raw(String name, long size) throws IOException {
        Path file = dir.resolve(name);
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] data = new byte[(int) (size / 2)];
            new Random(size).nextBytes(data);
            out.write(data);
            out.setLength(size);
        }
        return file;
    }

    /** The one JSON line of a run (these commands have their own keys, not image-check's schema). */
    private static JsonNode json(ImageCheckTest.Run run) throws IOException {
        String[] lines = run.out().strip().split("\n");
        assertThat(lines).hasSize(1);
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines[0]);
    }

    private static ImageCheckTest.Run run(String... args) {
        return DiskimageTest.diskimage(args);
    }

    /** One line on stderr, naming no Java class, no stack trace. */
    private static void oneLineError(ImageCheckTest.Run run, int exit, String mentions) {
        assertThat(run.exit()).as(run.err()).isEqualTo(exit);
        String firstLine = run.err().strip().split("\n")[0];
        assertThat(firstLine).contains(mentions).doesNotContain("Exception", "dev.diskimage", "\tat ");
        assertThat(run.err()).doesNotContain("Exception", "\tat ");
    }

    @Test
    void convertWritesTheTargetAndSaysHow() throws IOException {
        Path source = raw("s.raw", MIB);
        Path target = dir.resolve("t.qcow2");

        ImageCheckTest.Run run = run("convert", "-f", "raw", "-O", "qcow2", "-o", "compat=1.1", source.toString(),
                target.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).startsWith("converted " + source + " (raw) to " + target + " (qcow2)");
        assertThat(run.err()).doesNotContain("\r[");
        assertThat(target).exists();
    }

    @Test
    void convertJsonIsOneObjectWithSnakeCaseKeys() throws IOException {
        Path source = raw("s.raw", MIB);
        Path target = dir.resolve("t.vmdk");

        ImageCheckTest.Run run = run("convert", "--json", "-O", "vmdk", "-o", "subformat=streamOptimized",
                "--compress", "--rate-limit", "1G", "--cache", "writeback", "--no-sparse", source.toString(),
                target.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode json = json(run);
        assertThat(json.get("target_format").asText()).isEqualTo("vmdk");
        assertThat(json.get("source_format").asText()).isEqualTo("raw");
        assertThat(json.get("cache_mode").asText()).isEqualTo("writeback");
        assertThat(json.get("virtual_size").asLong()).isEqualTo(MIB);
        assertThat(json.has("duration_ms")).isTrue();
    }

    @Test
    void convertIntoAnExistingZeroTargetWritesInPlace() throws IOException {
        Path source = raw("s.raw", MIB);
        Path volume = dir.resolve("volume.raw");
        try (RandomAccessFile out = new RandomAccessFile(volume.toFile(), "rw")) {
            out.setLength(MIB);
        }

        ImageCheckTest.Run run = run("convert", "--json", "-O", "raw", "--target-is-zero", source.toString(),
                volume.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(json(run).get("written_in_place").asBoolean()).isTrue();
        assertThat(Files.mismatch(source, volume)).isEqualTo(-1);
    }

    @Test
    void quietConvertPrintsNothing() throws IOException {
        ImageCheckTest.Run run = run("convert", "-q", "-O", "qcow2", raw("s.raw", MIB).toString(),
                dir.resolve("t.qcow2").toString());

        assertThat(run.exit()).isZero();
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).isEmpty();
    }

    @Test
    void aRefusedSourceExitsOneAndNoTargetAppears() throws IOException {
        Path target = dir.resolve("t.raw");

        ImageCheckTest.Run run = run("convert", "-f", "qcow2", "-O", "raw", raw("s.raw", MIB).toString(),
                target.toString());

        oneLineError(run, 1, "unacceptable");
        assertThat(target).doesNotExist();
    }

    @Test
    void aMissingSourceIsAnIoErrorExitingTwo() {
        oneLineError(run("convert", "-O", "raw", dir.resolve("missing").toString(), dir.resolve("t").toString()), 2,
                "missing");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-O=qcow3", "-f=vhdx2", "-o=compat", "-o==1", "--rate-limit=fast", "--rate-limit=0",
            "--cache=sometimes", "--compress", "--target-is-zero"})
    void badConvertInputIsOneLineAndExitTwo(String option) throws IOException {
        Path source = raw("s.raw", MIB);
        Path target = dir.resolve("t.raw");
        String[] parts = option.split("=", 2);
        String[] args = parts.length == 2
                ? (parts[0].equals("-O") ? new String[] {"convert", "-O", parts[1], source.toString(), target.toString()}
                        : new String[] {"convert", "-O", "raw", parts[0], parts[1], source.toString(),
                                target.toString()})
                : new String[] {"convert", "-O", "raw", parts[0], source.toString(), target.toString()};

        oneLineError(run(args), 2, "");
        assertThat(target).doesNotExist();
    }

    @ParameterizedTest
    @ValueSource(strings = {"info --frobnicate a", "convert -O raw --frobnicate a b", "resize --frobnicate a 1M",
            "measure -O raw --frobnicate a"})
    void unknownOptionsAreUsageErrors(String commandLine) {
        oneLineError(run(commandLine.split(" ")), 2, "--frobnicate");
    }

    @Test
    void theProgressBarRedrawsOneLineAndEndsIt() {
        java.io.StringWriter text = new java.io.StringWriter();
        ProgressBar bar = new ProgressBar(new java.io.PrintWriter(text, true));

        bar.accept(0.0);
        bar.accept(45.67);
        bar.accept(45.9);
        bar.accept(100.0);
        bar.finish();

        assertThat(text.toString()).isEqualTo("\r[" + " ".repeat(30) + "]   0%\r[" + "#".repeat(13) + " ".repeat(17)
                + "]  45%\r[" + "#".repeat(30) + "] 100%" + System.lineSeparator());
        assertThat(ProgressBar.stderrIsTerminal()).isFalse();
    }

    @Test
    void convertWithoutTargetFormatOrDestIsAUsageError() throws IOException {
        oneLineError(run("convert", raw("s.raw", MIB).toString(), dir.resolve("t").toString()), 2, "-O");
        oneLineError(run("convert", "-O", "raw", raw("s2.raw", MIB).toString()), 2, "DEST");
    }

    @Test
    void resizeGrowsAndShrinksOnlyWithShrink() throws IOException {
        Path image = raw("s.raw", 2 * MIB);

        ImageCheckTest.Run grow = run("resize", "-f", "raw", image.toString(), "3M");
        assertThat(grow.exit()).as(grow.err()).isZero();
        assertThat(Files.size(image)).isEqualTo(3 * MIB);

        oneLineError(run("resize", image.toString(), "1M"), 2, "shrink");
        assertThat(Files.size(image)).isEqualTo(3 * MIB);

        ImageCheckTest.Run shrink = run("resize", "--json", "--shrink", image.toString(), "1M");
        assertThat(shrink.exit()).as(shrink.err()).isZero();
        assertThat(json(shrink).get("virtual_size").asLong()).isEqualTo(MIB);
        assertThat(json(shrink).get("old_virtual_size").asLong()).isEqualTo(3 * MIB);
        assertThat(Files.size(image)).isEqualTo(MIB);
    }

    @Test
    void badResizeInputIsOneLineAndExitTwo() throws IOException {
        Path image = raw("s.raw", MIB);
        oneLineError(run("resize", image.toString(), "big"), 2, "not a size");
        oneLineError(run("resize", "-f", "floppy", image.toString(), "2M"), 2, "floppy");
        oneLineError(run("resize", image.toString()), 2, "SIZE");
        oneLineError(run("resize", "-f", "qcow2", image.toString(), "2M"), 1, "unacceptable");
        assertThat(Files.size(image)).isEqualTo(MIB);
    }

    @Test
    void measureReportsRequiredAndFullyAllocated() throws IOException {
        Path image = raw("s.raw", 2 * MIB);

        ImageCheckTest.Run run = run("measure", "--json", "-O", "qcow2", image.toString());
        ImageCheckTest.Run text = run("measure", "-f", "raw", "-O", "qcow2", image.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(json(run).get("required").asLong()).isGreaterThanOrEqualTo(MIB);
        assertThat(json(run).get("fully_allocated").asLong()).isGreaterThanOrEqualTo(2 * MIB);
        assertThat(text.out()).contains("required size: ", "fully allocated size: ");
        oneLineError(run("measure", "-O", "tape", image.toString()), 2, "tape");
        oneLineError(run("measure", "-f", "tape", "-O", "raw", image.toString()), 2, "tape");
        oneLineError(run("measure", "-f", "qcow2", "-O", "raw", image.toString()), 1, "unacceptable");
        oneLineError(run("measure", image.toString()), 2, "-O");
    }

    @Test
    void infoShowsQemuImgFactsAfterValidation() throws IOException {
        Path image = raw("s.raw", MIB);

        ImageCheckTest.Run text = run("info", image.toString());
        ImageCheckTest.Run json = run("info", "--json", "--format", "raw", image.toString());

        assertThat(text.exit()).as(text.err()).isZero();
        assertThat(text.out()).contains("format: raw", "virtual size: " + MIB + " bytes");
        assertThat(json(json).get("virtual_size").asLong()).isEqualTo(MIB);
        assertThat(json(json).get("format").asText()).isEqualTo("raw");
        oneLineError(run("info", "--format", "qcow2", image.toString()), 1, "unacceptable");
        oneLineError(run("info", "--format", "nope", image.toString()), 2, "'nope' for --format");
        oneLineError(run("info", "-f", "qcow2", image.toString()), 1, "unacceptable");
        oneLineError(run("info", dir.toString()), 2, "directory");
    }
}
