package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.DiskFormat;
import org.junit.jupiter.api.Test;

/** What an inspector's conclusions become in the inspection the detector decides on. */
class InspectionBuilderTest {

    @Test
    void reportDetailsKeepWholeNumbersAsLongsBooleansAsIsAndEverythingElseAsSanitizedText() {
        Inspection inspection = new InspectionBuilder(DiskFormat.QCOW2).magicFound().matched()
                .detail("a_byte", (byte) -1).detail("a_short", (short) 300).detail("an_int", 70_000)
                .detail("a_long", 1L << 40).detail("dirty", true).detail("ratio", 1.5)
                .detail("name", "evil\u001b[2J").detail("parent_locator.0", "w2ku").build();

        assertThat(inspection.details()).containsEntry("a_byte", -1L).containsEntry("a_short", 300L)
                .containsEntry("an_int", 70_000L).containsEntry("a_long", 1L << 40).containsEntry("dirty", true)
                .containsEntry("ratio", "1.5").containsEntry("name", "evil\\x1b[2J")
                .containsEntry("parent_locator.0", "w2ku");
    }

    @Test
    void detailKeysMustBeSnakeCase() {
        InspectionBuilder builder = new InspectionBuilder(DiskFormat.QCOW2);

        for (String key : new String[] {"ClusterSize", "cluster-size", "_size", "size.", "", "1st"}) {
            assertThatThrownBy(() -> builder.detail(key, 1)).as(key).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("snake_case");
        }
    }

    @Test
    void findingTheMagicAgainNeverDowngradesAMatch() {
        InspectionBuilder builder = new InspectionBuilder(DiskFormat.VDI).magicFound();
        assertThat(builder.level()).isEqualTo(MatchLevel.MAGIC_ONLY);

        Inspection inspection = builder.matched().magicFound().variant("dynamic\n").virtualSize(4096).build();

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).contains("dynamic\\x0a");
        assertThat(inspection.virtualSize()).hasValue(4096);
    }

    @Test
    void withoutItsMagicAnInspectorKeepsOnlyTheFailuresThatMeanItCouldNotLook() {
        Inspection notThisFormat = new InspectionBuilder(DiskFormat.VHDX)
                .fail(new InspectionFailure(FindingCode.TRUNCATED, 0, "short")).build();
        Inspection couldNotLook = new InspectionBuilder(DiskFormat.VHDX)
                .fail(new InspectionFailure(FindingCode.TRUNCATED, 0, "short"))
                .fail(new InspectionFailure(FindingCode.READ_BUDGET_EXCEEDED, 4096, "budget"))
                .fail(new InspectionFailure(FindingCode.UNREADABLE, 0, "io"))
                .fail(new InspectionFailure(FindingCode.STREAM_REGION_UNAVAILABLE, 8192, "gone")).build();

        assertThat(notThisFormat).isEqualTo(Inspection.none(DiskFormat.VHDX));
        assertThat(couldNotLook.level()).isEqualTo(MatchLevel.NONE);
        assertThat(couldNotLook.findings()).extracting(Finding::code).containsExactly(
                FindingCode.READ_BUDGET_EXCEEDED, FindingCode.UNREADABLE, FindingCode.STREAM_REGION_UNAVAILABLE);
    }

    @Test
    void withItsMagicEveryFindingReferenceAndDetailIsKept() {
        Inspection inspection = new InspectionBuilder(DiskFormat.QCOW2).magicFound()
                .warn(FindingCode.QCOW2_DIRTY, 72, "dirty")
                .reference(ExternalReference.Kind.BACKING, FindingCode.QCOW2_BACKING_FILE, "base", 512)
                .reject(FindingCode.TRUNCATED, 0, "short").detail("version", 3).build();

        assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(inspection.findings()).containsExactly(Finding.warn(FindingCode.QCOW2_DIRTY, 72, "dirty"),
                Finding.reject(FindingCode.TRUNCATED, 0, "short"));
        assertThat(inspection.references()).containsExactly(new ExternalReference(ExternalReference.Kind.BACKING,
                FindingCode.QCOW2_BACKING_FILE, "base", 512));
        assertThat(inspection.details()).containsEntry("version", 3L);
    }
}
