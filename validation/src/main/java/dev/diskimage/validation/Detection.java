package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What all inspectors together say an image is.
 *
 * @param format   the single format the bytes match; empty for polyglots and damaged headers
 * @param chosen   the inspection that won, when there is one
 * @param findings detection findings (ambiguity, damaged magic) and the winner's own findings
 * @param details  facts for the report, including a benign partition table beside the winner
 */
record Detection(Optional<DiskFormat> format, Optional<Inspection> chosen, List<Finding> findings,
        Map<String, Object> details) {

    Detection {
        findings = List.copyOf(findings);
        details = Map.copyOf(details);
    }
}
