package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;


/**
 * Feeds arbitrary bytes to {@link IsoInspector}: it must describe, never throw. Descriptors
 * start at 32 KiB, so the input is placed there (the system area before it is never read).
 */
class IsoInspectorFuzzTest {
    private final IsoInspector inspector = new IsoInspector();

    @ShortFuzzTest
    void inspectsArbitraryDescriptors(byte[] data) {
        byte[] image = new byte[(int) IsoInspector.FIRST_DESCRIPTOR + data.length];
        System.arraycopy(data, 0, image, (int) IsoInspector.FIRST_DESCRIPTOR, data.length);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.format()).isEqualTo(inspector.format());
        if (inspection.level() == MatchLevel.MATCH) {
            assertThat(inspection.virtualSize()).hasValue(image.length);
        }
    }

}
