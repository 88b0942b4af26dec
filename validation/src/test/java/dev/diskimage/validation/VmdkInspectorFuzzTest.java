package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.DiskFormat;

/** Fuzzes the VMDK inspector: whatever the bytes, it returns an inspection and never throws. */
class VmdkInspectorFuzzTest {
    private static final VmdkInspector INSPECTOR = new VmdkInspector();

    @ShortFuzzTest
    void inspectsAnyBytesWithoutThrowing(byte[] data) {
        Inspection inspection = InspectorHarness.inspect(INSPECTOR, data);

        assertThat(inspection.format()).isEqualTo(DiskFormat.VMDK);
        if (inspection.matched()) {
            assertThat(inspection.virtualSize()).isPresent();
            assertThat(inspection.variant()).isPresent();
        }
        if (inspection.level() == MatchLevel.MAGIC_ONLY) {
            assertThat(inspection.findings()).isNotEmpty();
        }
    }
}
