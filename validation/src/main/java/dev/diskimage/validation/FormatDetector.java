package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Runs every inspector over the same bytes and decides what the image is. No first match: two
 * formats matching the same bytes is a polyglot and is refused, except for the benign pairs
 * below. Raw is what matches no other format.
 *
 * <p>Benign pairs: a partition table (MBR/GPT) beside an ISO 9660 volume (isohybrid images
 * boot from USB and CD alike) or inside a fixed VHD (whose data area is a raw disk that
 * carries its own partition table). A partition table beside any other format is a polyglot:
 * the same file would boot as a raw disk.
 *
 * <p>Formats qemu would probe but this project does not support ({@link ForeignFormats}) are
 * sniffed too: when one matches there is no detected format at all, so such a file is neither
 * raw nor any format a caller declares.
 */
final class FormatDetector {
    private final List<FormatInspector> inspectors;
    private final List<ForeignFormat> foreignFormats;

    FormatDetector(List<FormatInspector> inspectors) {
        this(inspectors, ForeignFormats.all());
    }

    FormatDetector(List<FormatInspector> inspectors, List<ForeignFormat> foreignFormats) {
        this.inspectors = List.copyOf(inspectors);
        this.foreignFormats = List.copyOf(foreignFormats);
    }

    Detection detect(ImageBytes image) {
        List<Inspection> inspections = new ArrayList<>(inspectors.size());
        for (FormatInspector inspector : inspectors) {
            inspections.add(inspector.run(image));
        }
        return decide(inspections, ForeignFormats.sniff(foreignFormats, image));
    }

    static Detection decide(List<Inspection> inspections) {
        return decide(inspections, List.of());
    }

    /**
     * @param foreign the findings of the foreign-format sniffers: a match, or a sniffer that
     *                could not look; either leaves the image without a detected format
     */
    static Detection decide(List<Inspection> inspections, List<Finding> foreign) {
        List<Inspection> structured = new ArrayList<>();
        List<Inspection> partitionTables = new ArrayList<>();
        List<Finding> findings = new ArrayList<>();
        Map<String, Object> details = new LinkedHashMap<>();
        for (Inspection inspection : inspections) {
            switch (inspection.level()) {
                case MATCH -> (inspection.format() == DiskFormat.RAW ? partitionTables : structured).add(inspection);
                // NONE carries findings only when the inspector could not look (read budget, I/O).
                case MAGIC_ONLY, NONE -> findings.addAll(prefixed(inspection));
            }
        }
        partitionTables.forEach(table -> {
            table.variant().ifPresent(kind -> details.put("partition_table", kind));
            findings.addAll(prefixed(table));
        });

        if (!foreign.isEmpty()) {
            findings.addAll(foreign);
            return new Detection(Optional.empty(), Optional.empty(), findings, details);
        }
        if (structured.size() > 1) {
            findings.add(Finding.reject(FindingCode.AMBIGUOUS_FORMAT, Finding.NO_OFFSET,
                    "the bytes are valid as several formats at once (" + names(structured) + "): a polyglot"));
            return new Detection(Optional.empty(), Optional.empty(), findings, details);
        }
        if (structured.size() == 1) {
            Inspection winner = structured.get(0);
            if (!partitionTables.isEmpty() && !coexistsWithPartitionTable(winner)) {
                findings.add(Finding.reject(FindingCode.AMBIGUOUS_FORMAT, Finding.NO_OFFSET,
                        "the bytes are a valid " + winner.format().glanceName()
                                + " image and also carry a partition table, so the same file boots as a raw disk:"
                                + " a polyglot"));
                return new Detection(Optional.empty(), Optional.empty(), findings, details);
            }
            findings.addAll(prefixed(winner));
            details.putAll(winner.details());
            return new Detection(Optional.of(winner.format()), Optional.of(winner), findings, details);
        }
        if (findings.stream().anyMatch(Finding::rejects)) {
            return new Detection(Optional.empty(), Optional.empty(), findings, details);
        }
        Optional<Inspection> raw = partitionTables.stream().findFirst();
        raw.ifPresent(table -> details.putAll(table.details()));
        return new Detection(Optional.of(DiskFormat.RAW), raw, findings, details);
    }

    private static boolean coexistsWithPartitionTable(Inspection winner) {
        return winner.format() == DiskFormat.ISO
                || (winner.format() == DiskFormat.VPC && winner.variant().filter("fixed"::equals).isPresent());
    }

    private static String names(List<Inspection> inspections) {
        return inspections.stream().map(i -> i.format().glanceName()).collect(Collectors.joining(", "));
    }

    /** The inspection's findings with the format named, so a report line says whose rule it was. */
    private static List<Finding> prefixed(Inspection inspection) {
        String prefix = inspection.format().glanceName() + ": ";
        return inspection.findings().stream()
                .map(f -> new Finding(f.code(), f.severity(), prefix + f.message(), f.offset()))
                .toList();
    }
}
