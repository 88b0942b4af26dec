package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;


/**
 * Feeds arbitrary bytes to {@link Qcow2Inspector}: whatever the input, inspection ends in a
 * result (never an exception), and a match always carries a virtual size. A normal test run
 * replays the seed corpus in {@code Qcow2InspectorFuzzTestInputs/inspect}.
 */
class Qcow2InspectorFuzzTest {
    private static final Qcow2Inspector INSPECTOR = new Qcow2Inspector();

    @ShortFuzzTest
    void inspect(byte[] data) {
        Inspection result = InspectorHarness.inspect(INSPECTOR, data);
        if (result.matched()) {
            assertThat(result.virtualSize()).isPresent();
        }
    }
}
