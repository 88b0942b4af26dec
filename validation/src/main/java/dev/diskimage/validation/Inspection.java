package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What one inspector concluded about one image.
 *
 * @param format      the format this inspector looks for
 * @param level       how strongly the bytes match it
 * @param variant     sub-type where the format has one (qcow2 {@code v3}, vmdk createType, vhd
 *                    {@code fixed}/{@code dynamic}/{@code differencing}, {@code mbr}/{@code gpt})
 * @param virtualSize guest-visible size in bytes, when the header states one
 * @param references  everything outside the image it points at
 * @param findings    problems and remarks, in the order found; at {@link MatchLevel#NONE} only
 *                    the reasons the inspector could not look (read budget spent, I/O error)
 * @param details     further facts for reports (cluster size, compression type, ...)
 */
record Inspection(DiskFormat format, MatchLevel level, Optional<String> variant, OptionalLong virtualSize,
        List<ExternalReference> references, List<Finding> findings, Map<String, Object> details) {

    Inspection {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(virtualSize, "virtualSize");
        references = List.copyOf(references);
        findings = List.copyOf(findings);
        details = Map.copyOf(details);
    }

    /** An inspection that did not recognise the format at all. */
    static Inspection none(DiskFormat format) {
        return new Inspection(format, MatchLevel.NONE, Optional.empty(), OptionalLong.empty(),
                List.of(), List.of(), Map.of());
    }

    boolean matched() {
        return level == MatchLevel.MATCH;
    }
}
