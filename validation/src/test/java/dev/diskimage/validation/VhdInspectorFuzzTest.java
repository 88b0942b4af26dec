package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;


/** Feeds arbitrary bytes to {@link VhdInspector}: it must describe, never throw or over-allocate. */
class VhdInspectorFuzzTest {
    private final VhdInspector inspector = new VhdInspector();

    @ShortFuzzTest
    void inspectsArbitraryBytes(byte[] data) {
        Inspection inspection = InspectorHarness.inspect(inspector, data);

        assertThat(inspection.format()).isEqualTo(inspector.format());
        if (inspection.level() == MatchLevel.MATCH) {
            assertThat(inspection.virtualSize()).isPresent();
        }
    }
}
