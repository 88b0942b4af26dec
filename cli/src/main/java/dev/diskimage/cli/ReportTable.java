package dev.diskimage.cli;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.validation.Finding;
import dev.diskimage.core.UntrustedText;
import dev.diskimage.validation.ValidationReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Renders outcomes as the short human table {@code image-check} prints without {@code --json}:
 * one row per file, then one row per further reason and per warning. File names are escaped
 * like names from images: a newline or an escape sequence in a file name cannot forge rows or
 * drive the terminal.
 */
final class ReportTable {
    private ReportTable() {
    }

    static String render(List<CheckOutcome> outcomes) {
        List<String> names = outcomes.stream().map(o -> UntrustedText.sanitize(o.file())).toList();
        int fileWidth = Math.max(4, names.stream().mapToInt(String::length).max().orElse(4));
        String format = "%-" + fileWidth + "s  %-7s  %-6s  %14s  %s%n";
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, format, "FILE", "VERDICT", "FORMAT",
                "VIRTUAL SIZE", "REASONS"));
        for (int i = 0; i < outcomes.size(); i++) {
            CheckOutcome outcome = outcomes.get(i);
            String verdict = outcome.status().name().toLowerCase(Locale.ROOT);
            if (outcome.report().isEmpty()) {
                out.append(String.format(Locale.ROOT, format, names.get(i), verdict, "?", "-",
                        outcome.error().get()));
                continue;
            }
            ValidationReport report = outcome.report().get();
            List<String> reasons = reasons(report);
            out.append(String.format(Locale.ROOT, format, names.get(i), verdict,
                    report.detectedFormat().map(DiskFormat::glanceName).orElse("?"),
                    report.virtualSize().isPresent() ? Long.toString(report.virtualSize().getAsLong()) : "-",
                    reasons.isEmpty() ? "" : reasons.get(0)));
            for (String more : reasons.subList(Math.min(1, reasons.size()), reasons.size())) {
                out.append(String.format(Locale.ROOT, format, "", "", "", "", more));
            }
        }
        return out.toString();
    }

    /** Rejections first, then warnings, each on its own row. */
    private static List<String> reasons(ValidationReport report) {
        List<String> reasons = new ArrayList<>();
        report.rejections().forEach(f -> reasons.add(describe(f)));
        report.findings().stream().filter(f -> !f.rejects()).forEach(f -> reasons.add("warning " + describe(f)));
        return reasons;
    }

    private static String describe(Finding finding) {
        return finding.code() + ": " + finding.message()
                + (finding.offset() == Finding.NO_OFFSET ? "" : " @" + finding.offset());
    }
}
