package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.UntrustedText;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;

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
    private final Map<String, Object> details = new LinkedHashMap<>();
    /** Failures that mean the inspector could not look, rather than that the format is absent. */
    private static final Set<FindingCode> INCONCLUSIVE = EnumSet.of(FindingCode.READ_BUDGET_EXCEEDED,
            FindingCode.UNREADABLE, FindingCode.STREAM_REGION_UNAVAILABLE);
    private static final Pattern DETAIL_KEY = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*");

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
        this.variant = UntrustedText.sanitize(value);
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

    /**
     * Records a fact for reports. Keys are snake_case (dots separate a family, as in
     * {@code parent_locator.0}); integral numbers are kept as {@code Long}, booleans as
     * {@code Boolean}, anything else as text passed through {@link UntrustedText}, since it may
     * have been read from the image.
     */
    InspectionBuilder detail(String key, Object value) {
        if (!DETAIL_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("detail keys are snake_case: " + key);
        }
        details.put(key, typed(value));
        return this;
    }

    private static Object typed(Object value) {
        if (value instanceof Byte || value instanceof Short || value instanceof Integer || value instanceof Long) {
            return ((Number) value).longValue();
        }
        if (value instanceof Boolean) {
            return value;
        }
        return UntrustedText.sanitize(String.valueOf(value));
    }

    InspectionBuilder fail(InspectionFailure failure) {
        findings.add(failure.toFinding());
        return this;
    }

    Inspection build() {
        if (level == MatchLevel.NONE) {
            // Without its magic an inspector's failures are only "not this format", except that
            // it could not look at all: an unpaid or unreadable sniff is never silently "raw".
            List<Finding> couldNotLook = findings.stream().filter(f -> INCONCLUSIVE.contains(f.code())).toList();
            return couldNotLook.isEmpty() ? Inspection.none(format)
                    : new Inspection(format, MatchLevel.NONE, Optional.empty(), OptionalLong.empty(), List.of(),
                            couldNotLook, Map.of());
        }
        return new Inspection(format, level, Optional.ofNullable(variant), virtualSize, references, findings,
                details);
    }
}
