package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

/** Feeds arbitrary bytes, placed at offset 0, to {@link VhdxInspector}: it must describe, never throw. */
class VhdxInspectorBytesFuzzTest {
    private final VhdxInspector inspector = new VhdxInspector();

    @ShortFuzzTest
    void inspectsArbitraryBytes(byte[] data) {
        Inspection inspection = InspectorHarness.inspect(inspector, data);

        assertThat(inspection.format()).isEqualTo(inspector.format());
        if (inspection.level() == MatchLevel.MATCH) {
            assertThat(inspection.virtualSize()).isPresent();
        }
    }
}
