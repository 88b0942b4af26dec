package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The validator's answer for one image: a verdict, what the bytes are, and every reason.
 * All findings are collected, not just the first, so that an operator sees the whole story.
 *
 * @param image          the path (or name) of the image, as given
 * @param verdict        {@link Verdict#REJECT} iff any finding rejects
 * @param declaredFormat the format the caller claimed, if any
 * @param detectedFormat what the bytes are; empty when they match several formats or a damaged one
 * @param variant        sub-type of the detected format (qcow2 {@code v3}, vmdk createType, ...)
 * @param virtualSize    guest-visible size in bytes, when known
 * @param findings       rejections and warnings, in the order found
 * @param details        further facts the inspector reported (cluster size, partition table, ...):
 *                       snake_case keys; values are {@code Long}, {@code Boolean} or sanitized
 *                       {@code String}
 * @param bytesRead      how many bytes inspection read from the image
 * @param references     everything outside the image that it points at (backing files, data
 *                       files, extents), whether or not the policy allowed it; never opened
 */
public record ValidationReport(String image, Verdict verdict, Optional<DiskFormat> declaredFormat,
        Optional<DiskFormat> detectedFormat, Optional<String> variant, OptionalLong virtualSize,
        List<Finding> findings, Map<String, Object> details, long bytesRead, List<ExternalReference> references) {

    /**
     * Checks that the verdict agrees with the findings and copies the collections.
     *
     * @param image          the path (or name) of the image, as given
     * @param verdict        {@link Verdict#REJECT} iff any finding rejects
     * @param declaredFormat the format the caller claimed, if any
     * @param detectedFormat what the bytes are; empty when they match several formats or a damaged one
     * @param variant        sub-type of the detected format (qcow2 {@code v3}, vmdk createType, ...)
     * @param virtualSize    guest-visible size in bytes, when known
     * @param findings       rejections and warnings, in the order found
     * @param details        further facts the inspector reported (cluster size, partition table, ...):
     *                       snake_case keys; values are {@code Long}, {@code Boolean} or sanitized
     *                       {@code String}
     * @param bytesRead      how many bytes inspection read from the image
     * @param references     everything outside the image that it points at (backing files, data
     *                       files, extents), whether or not the policy allowed it; never opened
     * @throws NullPointerException if a component is null, or a collection holds a null element,
     *     key or value
     * @throws IllegalArgumentException if the verdict is {@link Verdict#REJECT} without a
     *     rejecting finding, or {@link Verdict#ACCEPT} with one
     */
    public ValidationReport {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(declaredFormat, "declaredFormat");
        Objects.requireNonNull(detectedFormat, "detectedFormat");
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(virtualSize, "virtualSize");
        findings = List.copyOf(findings);
        details = Map.copyOf(details);
        references = List.copyOf(references);
        boolean rejected = findings.stream().anyMatch(Finding::rejects);
        if (rejected != (verdict == Verdict.REJECT)) {
            throw new IllegalArgumentException("verdict " + verdict + " contradicts the findings " + findings);
        }
    }

    /**
     * Whether the image was accepted.
     *
     * @return true if the verdict is {@link Verdict#ACCEPT}
     */
    public boolean accepted() {
        return verdict == Verdict.ACCEPT;
    }

    /**
     * Whether the image could not be inspected at all (missing, not a regular file, unreadable):
     * a problem with the path or the system rather than a verdict on the bytes. Such a report is
     * always {@link Verdict#REJECT}; callers that distinguish attacks from typos (a CI step) treat
     * it as an error.
     *
     * @return true if a rejecting finding is {@link FindingCode#UNREADABLE} or
     *     {@link FindingCode#NOT_A_REGULAR_FILE}
     */
    public boolean uninspectable() {
        return findings.stream().anyMatch(f -> f.rejects()
                && (f.code() == FindingCode.UNREADABLE || f.code() == FindingCode.NOT_A_REGULAR_FILE));
    }

    /**
     * Only the findings that reject the image.
     *
     * @return the rejecting findings in the order found, unmodifiable; empty if the image was
     *     accepted
     */
    public List<Finding> rejections() {
        return findings.stream().filter(Finding::rejects).toList();
    }
}
