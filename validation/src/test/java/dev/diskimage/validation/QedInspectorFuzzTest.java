package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;


/**
 * Feeds arbitrary bytes to {@link QedInspector}: whatever the input, inspection ends in a
 * result (never an exception), and a match always carries a virtual size. A normal test run
 * replays the seed corpus in {@code QedInspectorFuzzTestInputs/inspect}.
 */
class QedInspectorFuzzTest {
    private static final QedInspector INSPECTOR = new QedInspector();

    @ShortFuzzTest
    void inspect(byte[] data) {
        Inspection result = InspectorHarness.inspect(INSPECTOR, data);
        if (result.matched()) {
            assertThat(result.virtualSize()).isPresent();
        }
    }
}
