package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Applies an {@link ImagePolicy} to a detection: declared against detected format, allowed
 * formats, VMDK createTypes, references outside the image, and the virtual size bounds.
 */
final class PolicyCheck {
    private final ImagePolicy policy;

    PolicyCheck(ImagePolicy policy) {
        this.policy = policy;
    }

    List<Finding> check(Detection detection, Optional<DiskFormat> declared, OptionalLong virtualSize) {
        List<Finding> findings = new ArrayList<>();
        Optional<DiskFormat> detected = detection.format();
        if (declared.isPresent() && detected.isPresent() && !declaredMatches(declared.get(), detected.get())) {
            findings.add(Finding.reject(FindingCode.FORMAT_MISMATCH, Finding.NO_OFFSET,
                    "declared as " + declared.get().glanceName() + " but the bytes are "
                            + detected.get().glanceName()));
        }
        if (declared.isPresent() && detected.isEmpty()) {
            findings.add(Finding.reject(FindingCode.FORMAT_MISMATCH, Finding.NO_OFFSET,
                    "declared as " + declared.get().glanceName() + " but the bytes are no single valid format"));
        }
        detected.filter(format -> !policy.allowedFormats().contains(format)).ifPresent(format -> findings.add(
                Finding.reject(FindingCode.FORMAT_NOT_ALLOWED, Finding.NO_OFFSET,
                        "format " + format.glanceName() + " is not allowed by the policy")));
        detection.chosen().ifPresent(inspection -> findings.addAll(checkInspection(inspection)));
        virtualSize.ifPresent(size -> {
            if (size > policy.maxVirtualSize()) {
                findings.add(Finding.reject(FindingCode.VIRTUAL_SIZE_TOO_BIG, Finding.NO_OFFSET,
                        "virtual size " + size + " bytes exceeds the policy's maximum of " + policy.maxVirtualSize()));
            }
            if (size < policy.minVirtualSize()) {
                findings.add(Finding.reject(FindingCode.VIRTUAL_SIZE_TOO_SMALL, Finding.NO_OFFSET,
                        "virtual size " + size + " bytes is below the policy's minimum of " + policy.minVirtualSize()));
            }
        });
        return findings;
    }

    /**
     * Declared must equal detected; the one tolerance is an ISO declared as raw, which is what
     * qemu reads it as anyway.
     */
    private static boolean declaredMatches(DiskFormat declared, DiskFormat detected) {
        return declared == detected || (declared == DiskFormat.RAW && detected == DiskFormat.ISO);
    }

    private List<Finding> checkInspection(Inspection inspection) {
        List<Finding> findings = new ArrayList<>();
        if (inspection.format() == DiskFormat.VMDK) {
            String createType = inspection.variant().orElse("(none)");
            if (!policy.vmdkAllowedTypes().contains(createType)) {
                findings.add(Finding.reject(FindingCode.VMDK_CREATE_TYPE_NOT_ALLOWED, Finding.NO_OFFSET,
                        "vmdk createType " + createType + " is not in the allowed types "
                                + policy.vmdkAllowedTypes().stream().sorted().toList()));
            }
        }
        for (ExternalReference reference : inspection.references()) {
            boolean allowed = reference.kind() == ExternalReference.Kind.BACKING && policy.allowBackingFiles();
            String what = switch (reference.kind()) {
                case BACKING -> "a backing file or parent disk";
                case DATA_FILE -> "an external data file";
                case EXTENT -> "an extent in another file";
            };
            String message = inspection.format().glanceName() + ": the image references " + what + " '"
                    + reference.target() + "'";
            findings.add(allowed
                    ? Finding.warn(reference.code(), reference.offset(), message + " (allowed by policy)")
                    : Finding.reject(reference.code(), reference.offset(), message));
        }
        return findings;
    }
}
