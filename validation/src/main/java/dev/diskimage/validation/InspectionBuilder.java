package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.Finding;
import dev.diskimage.core.FindingCode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Collects an inspector's conclusions as it parses, so that a failure part-way keeps what was
 * already learned (the magic was there, the header was valid) alongside the failure.
 */
final class InspectionBuilder {
    private final DiskFormat format;
    private MatchLevel level = MatchLevel.NONE;
    private String variant;
    private OptionalLong virtualSize = OptionalLong.empty();
    private final List<ExternalReference> references = new ArrayList<>();
    private final List<Finding> findings = new ArrayList<>();
    private final Map<String, String> details = new LinkedHashMap<>();

    InspectionBuilder(DiskFormat format) {
        this.format = format;
    }

    DiskFormat format() {
        return format;
    }

    /** The format's distinctive magic is present; failures from here on reject the image. */
    InspectionBuilder magicFound() {
        if (level == MatchLevel.NONE) {
            level = MatchLevel.MAGIC_ONLY;
        }
        return this;
    }

    /** The structure is valid: this is an image of the format. */
    InspectionBuilder matched() {
        level = MatchLevel.MATCH;
        return this;
    }

    MatchLevel level() {
        return level;
    }

    InspectionBuilder variant(String value) {
        this.variant = value;
        return this;
    }

    InspectionBuilder virtualSize(long bytes) {
        this.virtualSize = OptionalLong.of(bytes);
        return this;
    }

    InspectionBuilder reference(ExternalReference.Kind kind, FindingCode code, String target, long offset) {
        references.add(new ExternalReference(kind, code, target, offset));
        return this;
    }

    InspectionBuilder reject(FindingCode code, long offset, String message) {
        findings.add(Finding.reject(code, offset, message));
        return this;
    }

    InspectionBuilder warn(FindingCode code, long offset, String message) {
        findings.add(Finding.warn(code, offset, message));
        return this;
    }

    InspectionBuilder detail(String key, Object value) {
        details.put(key, String.valueOf(value));
        return this;
    }

    InspectionBuilder fail(InspectionFailure failure) {
        findings.add(failure.toFinding());
        return this;
    }

    Inspection build() {
        if (level == MatchLevel.NONE) {
            return Inspection.none(format);
        }
        return new Inspection(format, level, Optional.ofNullable(variant), virtualSize, references, findings,
                details);
    }
}
