package dev.diskimage.cli;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.Finding;
import dev.diskimage.validation.ValidationReport;
import java.util.List;
import java.util.Locale;

/** Renders reports as the short human table {@code image-check} prints without {@code --json}. */
final class ReportTable {
    private ReportTable() {
    }

    static String render(List<ValidationReport> reports) {
        int fileWidth = Math.max(4, reports.stream().mapToInt(r -> r.image().length()).max().orElse(4));
        String format = "%-" + fileWidth + "s  %-7s  %-6s  %14s  %s%n";
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, format, "FILE", "VERDICT", "FORMAT",
                "VIRTUAL SIZE", "REASONS"));
        for (ValidationReport report : reports) {
            List<Finding> rejections = report.rejections();
            String first = rejections.isEmpty() ? warnings(report) : describe(rejections.get(0));
            out.append(String.format(Locale.ROOT, format, report.image(),
                    report.verdict().name().toLowerCase(Locale.ROOT),
                    report.detectedFormat().map(DiskFormat::glanceName).orElse("?"),
                    report.virtualSize().isPresent() ? Long.toString(report.virtualSize().getAsLong()) : "-",
                    first));
            for (Finding more : rejections.subList(Math.min(1, rejections.size()), rejections.size())) {
                out.append(String.format(Locale.ROOT, format, "", "", "", "", describe(more)));
            }
        }
        return out.toString();
    }

    private static String warnings(ValidationReport report) {
        return report.findings().stream().findFirst().map(f -> "warning " + describe(f)).orElse("");
    }

    private static String describe(Finding finding) {
        return finding.code() + ": " + finding.message()
                + (finding.offset() == Finding.NO_OFFSET ? "" : " @" + finding.offset());
    }
}
