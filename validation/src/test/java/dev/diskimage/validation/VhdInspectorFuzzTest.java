package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/** Feeds arbitrary bytes to {@link VhdInspector}: it must describe, never throw or over-allocate. */
class VhdInspectorFuzzTest {
    private final VhdInspector inspector = new VhdInspector();

    @FuzzTest
    void inspectsArbitraryBytes(byte[] data) {
        Inspection inspection = InspectorHarness.inspect(inspector, data);

        assertThat(inspection.format()).isEqualTo(inspector.format());
        if (inspection.level() == MatchLevel.MATCH) {
            assertThat(inspection.virtualSize()).isPresent();
        }
    }
}
