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

    private static Inspection matchWith(DiskFormat format, String variant, Map<String, Object> details,
            Finding... findings) {
        return new Inspection(format, MatchLevel.MATCH, Optional.ofNullable(variant), OptionalLong.of(1 << 20),
                List.of(), List.of(findings), details);
    }

    @Test
    void theWinnersDetailsAndWarningsReachTheReportNamedAfterItsFormat() {
        Detection detection = FormatDetector.decide(List.of(Inspection.none(DiskFormat.VMDK),
                matchWith(DiskFormat.QCOW2, "v3", Map.of("cluster_size", 65536L),
                        Finding.warn(FindingCode.QCOW2_DIRTY, 72, "the image is dirty"))));

        assertThat(detection.format()).contains(DiskFormat.QCOW2);
        assertThat(detection.details()).containsEntry("cluster_size", 65536L);
        assertThat(detection.findings()).containsExactly(
                Finding.warn(FindingCode.QCOW2_DIRTY, 72, "qcow2: the image is dirty"));
    }

    @Test
    void aPartitionedRawDiskReportsItsTableDetailsAndWarnings() {
        Detection detection = FormatDetector.decide(List.of(matchWith(DiskFormat.RAW, "mbr",
                Map.of("partitions", 2L), Finding.warn(FindingCode.MALFORMED_HEADER, 446, "odd entry"))));

        assertThat(detection.format()).contains(DiskFormat.RAW);
        assertThat(detection.chosen()).isPresent();
        assertThat(detection.details()).containsEntry("partitions", 2L).containsEntry("partition_table", "mbr");
        assertThat(detection.findings()).containsExactly(
                Finding.warn(FindingCode.MALFORMED_HEADER, 446, "raw: odd entry"));
    }

    @Test
    void aPartitionTableBesideAFixedVhdKeepsBothTheirFindingsAndTheVhdsDetails() {
        Detection detection = FormatDetector.decide(List.of(
                matchWith(DiskFormat.VPC, "fixed", Map.of("disk_type", "fixed"),
                        Finding.warn(FindingCode.MALFORMED_HEADER, 0, "vhd note")),
                matchWith(DiskFormat.RAW, "gpt", Map.of("partitions", 1L),
                        Finding.warn(FindingCode.MALFORMED_HEADER, 512, "gpt note"))));

        assertThat(detection.format()).contains(DiskFormat.VPC);
        assertThat(detection.details()).containsEntry("disk_type", "fixed").containsEntry("partition_table", "gpt");
        assertThat(detection.findings()).extracting(Finding::message)
                .containsExactlyInAnyOrder("raw: gpt note", "vhd: vhd note");
    }

    @Test
    void aPartitionTableBesideAnotherFormatIsRefusedSayingWhy() {
        Detection detection = FormatDetector.decide(List.of(match(DiskFormat.QCOW2, "v3"),
                match(DiskFormat.RAW, "mbr")));

        assertThat(detection.format()).isEmpty();
        assertThat(detection.chosen()).isEmpty();
        assertThat(detection.findings()).singleElement().satisfies(f -> {
            assertThat(f.rejects()).isTrue();
            assertThat(f.message()).contains("valid qcow2 image and also carry a partition table");
        });
    }

    @Test
    void anInspectorThatCouldNotLookLeavesNoFormat() {
        Inspection starved = new Inspection(DiskFormat.VHDX, MatchLevel.NONE, Optional.empty(), OptionalLong.empty(),
                List.of(), List.of(Finding.reject(FindingCode.READ_BUDGET_EXCEEDED, 8192, "over budget")), Map.of());

        Detection detection = FormatDetector.decide(List.of(starved));

        assertThat(detection.format()).isEmpty();
        assertThat(detection.findings()).containsExactly(
                Finding.reject(FindingCode.READ_BUDGET_EXCEEDED, 8192, "vhdx: over budget"));
    }
}
