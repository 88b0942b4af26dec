package dev.diskimage.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.validation.Finding;
import dev.diskimage.validation.ExternalReference;
import dev.diskimage.validation.ValidationReport;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders one file's outcome as the one-line JSON object of the {@code image-check --json}
 * contract: {@code file}, {@code verdict} ({@code accept}, {@code reject} or {@code error}),
 * {@code format} (Glance names, as {@code --format} takes them), {@code virtual_size},
 * {@code reasons} (rejecting findings), plus {@code declared_format}, {@code variant},
 * {@code warnings}, {@code references} (everything outside the image it points at),
 * {@code details} (snake_case keys, typed values) and {@code bytes_read}; an error line has
 * {@code error} instead of the findings.
 */
final class ReportJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ReportJson() {
    }

    static String render(CheckOutcome outcome) {
        return outcome.report().map(ReportJson::render).orElseGet(() -> error(outcome.file(), outcome.error().get()));
    }

    static String render(ValidationReport report) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("file", report.image());
        root.put("verdict", report.verdict().name().toLowerCase(Locale.ROOT));
        root.put("format", report.detectedFormat().map(DiskFormat::glanceName).orElse(null));
        if (report.virtualSize().isPresent()) {
            root.put("virtual_size", report.virtualSize().getAsLong());
        } else {
            root.putNull("virtual_size");
        }
        findings(root.putArray("reasons"), report.rejections());
        root.put("declared_format", report.declaredFormat().map(DiskFormat::glanceName).orElse(null));
        root.put("variant", report.variant().orElse(null));
        findings(root.putArray("warnings"), report.findings().stream().filter(f -> !f.rejects()).toList());
        references(root.putArray("references"), report.references());
        ObjectNode details = root.putObject("details");
        report.details().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> details.set(e.getKey(), MAPPER.valueToTree(e.getValue())));
        root.put("bytes_read", report.bytesRead());
        return root.toString();
    }

    /** The JSON line for a file that could not be inspected at all (exit 2). */
    static String error(String file, String message) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("file", file);
        root.put("verdict", "error");
        root.put("error", message);
        return root.toString();
    }

    private static void findings(ArrayNode array, List<Finding> findings) {
        for (Finding finding : findings) {
            ObjectNode node = array.addObject();
            node.put("code", finding.code().name());
            node.put("message", finding.message());
            offset(node, finding.offset());
        }
    }

    private static void references(ArrayNode array, List<ExternalReference> references) {
        for (ExternalReference reference : references) {
            ObjectNode node = array.addObject();
            node.put("kind", reference.kind().name().toLowerCase(Locale.ROOT));
            node.put("code", reference.code().name());
            node.put("name", reference.target());
            offset(node, reference.offset());
        }
    }

    private static void offset(ObjectNode node, long offset) {
        if (offset == Finding.NO_OFFSET) {
            node.putNull("offset");
        } else {
            node.put("offset", offset);
        }
    }
}
