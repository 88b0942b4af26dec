package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.DiskFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class FormatDetectorTest {

    private static Inspection match(DiskFormat format, String variant) {
        return new Inspection(format, MatchLevel.MATCH, Optional.ofNullable(variant), OptionalLong.of(1 << 20),
                List.of(), List.of(), Map.of());
    }

    private static Inspection damaged(DiskFormat format) {
        return new Inspection(format, MatchLevel.MAGIC_ONLY, Optional.empty(), OptionalLong.empty(), List.of(),
                List.of(Finding.reject(FindingCode.TRUNCATED, 0, "header cut short")), Map.of());
    }

    private static List<FindingCode> codes(Detection detection) {
        return detection.findings().stream().map(Finding::code).toList();
    }

    @Test
    void nothingMatchingIsRaw() {
        Detection detection = FormatDetector.decide(List.of(Inspection.none(DiskFormat.QCOW2)));

        assertThat(detection.format()).contains(DiskFormat.RAW);
        assertThat(detection.findings()).isEmpty();
    }

    @Test
    void singleMatchWins() {
        Detection detection = FormatDetector.decide(List.of(match(DiskFormat.QCOW2, "v3"),
                Inspection.none(DiskFormat.VMDK)));

        assertThat(detection.format()).contains(DiskFormat.QCOW2);
        assertThat(detection.chosen()).isPresent();
    }

    @Test
    void twoFormatsMatchingIsAPolyglot() {
        Detection detection = FormatDetector.decide(List.of(match(DiskFormat.QCOW2, "v3"),
                match(DiskFormat.ISO, null)));

        assertThat(detection.format()).isEmpty();
        assertThat(codes(detection)).containsExactly(FindingCode.AMBIGUOUS_FORMAT);
        assertThat(detection.findings().get(0).message()).contains("qcow2", "iso");
    }

    @Test
    void partitionTableBesideQcow2IsAPolyglot() {
        Detection detection = FormatDetector.decide(List.of(match(DiskFormat.QCOW2, "v3"),
                match(DiskFormat.RAW, "mbr")));

        assertThat(codes(detection)).containsExactly(FindingCode.AMBIGUOUS_FORMAT);
    }

    @Test
    void partitionTableBesideIsoOrFixedVhdIsBenign() {
        Detection hybridIso = FormatDetector.decide(List.of(match(DiskFormat.ISO, null), match(DiskFormat.RAW, "gpt")));
        Detection fixedVhd = FormatDetector.decide(List.of(match(DiskFormat.VPC, "fixed"), match(DiskFormat.RAW, "mbr")));
        Detection dynamicVhd = FormatDetector.decide(List.of(match(DiskFormat.VPC, "dynamic"),
                match(DiskFormat.RAW, "mbr")));

        assertThat(hybridIso.format()).contains(DiskFormat.ISO);
        assertThat(hybridIso.details()).containsEntry("partition_table", "gpt");
        assertThat(fixedVhd.format()).contains(DiskFormat.VPC);
        assertThat(dynamicVhd.format()).isEmpty();
    }

    @Test
    void partitionedRawDiskIsRaw() {
        Detection detection = FormatDetector.decide(List.of(match(DiskFormat.RAW, "gpt")));

        assertThat(detection.format()).contains(DiskFormat.RAW);
        assertThat(detection.details()).containsEntry("partition_table", "gpt");
    }

    @Test
    void damagedMagicIsNeitherAMatchNorRaw() {
        Detection detection = FormatDetector.decide(List.of(damaged(DiskFormat.QCOW2)));

        assertThat(detection.format()).isEmpty();
        assertThat(codes(detection)).containsExactly(FindingCode.TRUNCATED);
        assertThat(detection.findings().get(0).message()).startsWith("qcow2: ");
    }

    @Test
    void damagedSecondMagicBesideAValidFormatStillRejects() {
        Detection detection = FormatDetector.decide(List.of(match(DiskFormat.QCOW2, "v3"), damaged(DiskFormat.VPC)));

        assertThat(detection.format()).contains(DiskFormat.QCOW2);
        assertThat(detection.findings()).anyMatch(Finding::rejects);
    }

    @Test
    void aForeignFormatLeavesNoFormatEvenBesideAMatch() {
        Finding bochs = Finding.reject(FindingCode.UNSUPPORTED_FORMAT, 0, "bochs: the bytes are a bochs image");
        Detection alone = FormatDetector.decide(List.of(Inspection.none(DiskFormat.QCOW2)), List.of(bochs));
        Detection beside = FormatDetector.decide(List.of(match(DiskFormat.QCOW2, "v3")), List.of(bochs));

        assertThat(alone.format()).isEmpty();
        assertThat(codes(alone)).containsExactly(FindingCode.UNSUPPORTED_FORMAT);
        assertThat(beside.format()).isEmpty();
        assertThat(beside.chosen()).isEmpty();
        assertThat(codes(beside)).containsExactly(FindingCode.UNSUPPORTED_FORMAT);
    }
}
