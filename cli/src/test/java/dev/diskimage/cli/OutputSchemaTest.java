package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.validation.ExternalReference;
import dev.diskimage.validation.FindingCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The published schema agrees with the code's vocabularies and catches broken lines. */
class OutputSchemaTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static JsonNode schema() throws IOException {
        return JSON.readTree(Files.readString(OutputSchema.FILE));
    }

    @Test
    void formatNamesAreExactlyTheGlanceNames() throws IOException {
        List<String> inSchema = new ArrayList<>();
        schema().at("/$defs/formatOrNull/enum").forEach(n -> inSchema.add(n.isNull() ? null : n.asText()));

        List<String> expected = new ArrayList<>(Arrays.stream(DiskFormat.values()).map(DiskFormat::glanceName).toList());
        expected.add(null);
        assertThat(inSchema).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void referenceKindsAndFindingCodesFitTheSchema() throws IOException {
        List<String> kinds = new ArrayList<>();
        schema().at("/$defs/reference/properties/kind/enum").forEach(n -> kinds.add(n.asText()));
        assertThat(kinds).containsExactlyInAnyOrderElementsOf(Arrays.stream(ExternalReference.Kind.values())
                .map(k -> k.name().toLowerCase(Locale.ROOT)).toList());

        Pattern code = Pattern.compile(schema().at("/$defs/code/pattern").asText());
        assertThat(FindingCode.values()).allSatisfy(c -> assertThat(code.matcher(c.name()).matches()).isTrue());
    }

    @Test
    void realOutputOfEveryKindConforms() throws IOException {
        Path raw = Files.write(dir.resolve("disk.raw"), new byte[4096]);
        Path empty = Files.write(dir.resolve("empty.raw"), new byte[0]);

        ImageCheckTest.Run run = ImageCheckTest.run("--json", "--format", "qcow2", raw.toString(), empty.toString(),
                dir.resolve("missing").toString());

        assertThat(run.json()).hasSize(3);
    }

    @Test
    void brokenLinesViolateIt() throws IOException {
        ObjectNode good = (ObjectNode) JSON.readTree(ReportJson.error("f", "no such file"));
        assertThat(OutputSchema.violations(good)).isEmpty();

        assertThat(OutputSchema.violations(good.deepCopy().put("verdict", "maybe"))).isNotEmpty();
        assertThat(OutputSchema.violations(good.deepCopy().put("extra", 1))).isNotEmpty();
        ObjectNode noError = good.deepCopy();
        noError.remove("error");
        assertThat(OutputSchema.violations(noError)).isNotEmpty();

        Path raw = Files.write(dir.resolve("disk.raw"), new byte[4096]);
        ObjectNode report = (ObjectNode) ImageCheckTest.run("--json", raw.toString()).only();
        assertThat(OutputSchema.violations(report.deepCopy().put("virtual_size", -1))).isNotEmpty();
        assertThat(OutputSchema.violations(report.deepCopy().put("verdict", "reject"))).as("reject without reasons")
                .isNotEmpty();
        ObjectNode badDetail = report.deepCopy();
        ((ObjectNode) badDetail.get("details")).put("CamelCase", 1);
        assertThat(OutputSchema.violations(badDetail)).isNotEmpty();
        ObjectNode nestedDetail = report.deepCopy();
        ((ObjectNode) nestedDetail.get("details")).putObject("nested");
        assertThat(OutputSchema.violations(nestedDetail)).isNotEmpty();
    }
}
