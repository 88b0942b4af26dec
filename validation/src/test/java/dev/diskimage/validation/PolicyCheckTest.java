package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.DiskFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The policy applied to what detection found: declared format, allowlists, references, size bounds. */
class PolicyCheckTest {
    private static final PolicyCheck DEFAULTS = new PolicyCheck(ImagePolicy.defaults());

    private static Inspection inspection(DiskFormat format, String variant, ExternalReference... references) {
        return new Inspection(format, MatchLevel.MATCH, Optional.ofNullable(variant), OptionalLong.of(1 << 20),
                List.of(references), List.of(), Map.of());
    }

    private static Detection detected(Inspection inspection) {
        return new Detection(Optional.of(inspection.format()), Optional.of(inspection), List.of(), Map.of());
    }

    private static Detection nothing() {
        return new Detection(Optional.empty(), Optional.empty(), List.of(), Map.of());
    }

    private static List<FindingCode> codes(List<Finding> findings) {
        return findings.stream().map(Finding::code).toList();
    }

    @Test
    void anIsoDeclaredAsRawIsWhatQemuReadsAndPassesButRawDeclaredAsIsoDoesNot() {
        Detection iso = detected(inspection(DiskFormat.ISO, null));
        Detection raw = new Detection(Optional.of(DiskFormat.RAW), Optional.empty(), List.of(), Map.of());

        assertThat(DEFAULTS.check(iso, Optional.of(DiskFormat.RAW), OptionalLong.of(1 << 20))).isEmpty();
        List<Finding> mismatch = DEFAULTS.check(raw, Optional.of(DiskFormat.ISO), OptionalLong.of(1 << 20));
        assertThat(codes(mismatch)).containsExactly(FindingCode.FORMAT_MISMATCH);
        assertThat(mismatch.get(0).message()).isEqualTo("declared as iso but the bytes are raw");
        assertThat(codes(DEFAULTS.check(iso, Optional.of(DiskFormat.QCOW2), OptionalLong.of(1 << 20))))
                .containsExactly(FindingCode.FORMAT_MISMATCH);
    }

    @Test
    void aDeclaredFormatWithNoSingleDetectedFormatIsAMismatchButUndeclaredIsNot() {
        List<Finding> declared = DEFAULTS.check(nothing(), Optional.of(DiskFormat.QCOW2), OptionalLong.empty());

        assertThat(codes(declared)).containsExactly(FindingCode.FORMAT_MISMATCH);
        assertThat(declared.get(0).message()).isEqualTo("declared as qcow2 but the bytes are no single valid format");
        assertThat(declared.get(0).offset()).isEqualTo(Finding.NO_OFFSET);
        assertThat(DEFAULTS.check(nothing(), Optional.empty(), OptionalLong.empty())).isEmpty();
    }

    @Test
    void theVirtualSizeBoundsAreInclusive() {
        PolicyCheck bounded = new PolicyCheck(ImagePolicy.defaults().withMinVirtualSize(1000).withMaxVirtualSize(2000));
        Detection raw = new Detection(Optional.of(DiskFormat.RAW), Optional.empty(), List.of(), Map.of());

        assertThat(bounded.check(raw, Optional.empty(), OptionalLong.of(1000))).isEmpty();
        assertThat(bounded.check(raw, Optional.empty(), OptionalLong.of(2000))).isEmpty();
        List<Finding> small = bounded.check(raw, Optional.empty(), OptionalLong.of(999));
        List<Finding> big = bounded.check(raw, Optional.empty(), OptionalLong.of(2001));
        assertThat(codes(small)).containsExactly(FindingCode.VIRTUAL_SIZE_TOO_SMALL);
        assertThat(small.get(0).message()).isEqualTo("virtual size 999 bytes is below the policy's minimum of 1000");
        assertThat(codes(big)).containsExactly(FindingCode.VIRTUAL_SIZE_TOO_BIG);
        assertThat(big.get(0).message()).isEqualTo("virtual size 2001 bytes exceeds the policy's maximum of 2000");
        assertThat(bounded.check(raw, Optional.empty(), OptionalLong.empty())).isEmpty();
    }

    @Test
    void aFormatOutsideTheAllowlistIsNamed() {
        PolicyCheck rawOnly = new PolicyCheck(ImagePolicy.defaults().withAllowedFormats(Set.of(DiskFormat.RAW)));

        List<Finding> findings = rawOnly.check(detected(inspection(DiskFormat.QCOW2, "v3")), Optional.empty(),
                OptionalLong.of(1 << 20));

        assertThat(codes(findings)).containsExactly(FindingCode.FORMAT_NOT_ALLOWED);
        assertThat(findings.get(0).message()).isEqualTo("format qcow2 is not allowed by the policy");
    }

    @Test
    void aVmdkWithoutCreateTypeIsRefusedAsTypeNoneListingTheAllowedTypesSorted() {
        PolicyCheck check = new PolicyCheck(ImagePolicy.defaults()
                .withVmdkAllowedTypes(Set.of("streamOptimized", "monolithicSparse")));

        List<Finding> untyped = check.check(detected(inspection(DiskFormat.VMDK, null)), Optional.empty(),
                OptionalLong.of(1 << 20));

        assertThat(codes(untyped)).containsExactly(FindingCode.VMDK_CREATE_TYPE_NOT_ALLOWED);
        assertThat(untyped.get(0).message())
                .isEqualTo("vmdk createType (none) is not in the allowed types [monolithicSparse, streamOptimized]");
        assertThat(check.check(detected(inspection(DiskFormat.VMDK, "streamOptimized")), Optional.empty(),
                OptionalLong.of(1 << 20))).isEmpty();
        // The VMDK allowlist is about VMDK createTypes only: another format's variant is not checked against it.
        assertThat(check.check(detected(inspection(DiskFormat.QCOW2, "v3")), Optional.empty(),
                OptionalLong.of(1 << 20))).isEmpty();
    }

    @Test
    void onlyBackingReferencesCanBeAllowedAndEachIsReportedAtItsOffset() {
        ExternalReference backing = new ExternalReference(ExternalReference.Kind.BACKING,
                FindingCode.QCOW2_BACKING_FILE, "base.qcow2", 72);
        ExternalReference dataFile = new ExternalReference(ExternalReference.Kind.DATA_FILE,
                FindingCode.QCOW2_DATA_FILE, "data.raw", 300);
        ExternalReference extent = new ExternalReference(ExternalReference.Kind.EXTENT,
                FindingCode.VMDK_EXTERNAL_EXTENT, "disk-flat.vmdk", 512);
        Detection qcow2 = detected(inspection(DiskFormat.QCOW2, "v3", backing, dataFile, extent));
        PolicyCheck lenient = new PolicyCheck(ImagePolicy.defaults().withAllowBackingFiles(true));

        List<Finding> strict = DEFAULTS.check(qcow2, Optional.empty(), OptionalLong.of(1 << 20));
        List<Finding> allowed = lenient.check(qcow2, Optional.empty(), OptionalLong.of(1 << 20));

        assertThat(strict).extracting(Finding::code, Finding::severity, Finding::offset, Finding::message)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(FindingCode.QCOW2_BACKING_FILE, Severity.REJECT, 72L,
                                "qcow2: the image references a backing file or parent disk 'base.qcow2'"),
                        org.assertj.core.groups.Tuple.tuple(FindingCode.QCOW2_DATA_FILE, Severity.REJECT, 300L,
                                "qcow2: the image references an external data file 'data.raw'"),
                        org.assertj.core.groups.Tuple.tuple(FindingCode.VMDK_EXTERNAL_EXTENT, Severity.REJECT, 512L,
                                "qcow2: the image references an extent in another file 'disk-flat.vmdk'"));
        assertThat(allowed).extracting(Finding::code, Finding::severity, Finding::message)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(FindingCode.QCOW2_BACKING_FILE, Severity.WARN,
                                "qcow2: the image references a backing file or parent disk 'base.qcow2'"
                                        + " (allowed by policy)"),
                        org.assertj.core.groups.Tuple.tuple(FindingCode.QCOW2_DATA_FILE, Severity.REJECT,
                                "qcow2: the image references an external data file 'data.raw'"),
                        org.assertj.core.groups.Tuple.tuple(FindingCode.VMDK_EXTERNAL_EXTENT, Severity.REJECT,
                                "qcow2: the image references an extent in another file 'disk-flat.vmdk'"));
    }
}
