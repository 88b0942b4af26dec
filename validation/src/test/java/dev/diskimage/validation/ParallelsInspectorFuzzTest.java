package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Feeds arbitrary bytes to {@link ParallelsInspector}: whatever the input, inspection ends in a
 * result (never an exception), a match always carries a virtual size and never a reference.
 * A normal test run replays the seed corpus in {@code ParallelsInspectorFuzzTestInputs/inspect}.
 */
class ParallelsInspectorFuzzTest {
    private static final ParallelsInspector INSPECTOR = new ParallelsInspector();

    @ShortFuzzTest
    void inspect(byte[] data) {
        Inspection result = InspectorHarness.inspect(INSPECTOR, data);
        if (result.matched()) {
            assertThat(result.virtualSize()).isPresent();
            assertThat(result.references()).isEmpty();
        }
    }
}
