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
        Inspection inspection = InspectorHarness.inspect(inspector, atFirstDescriptor(data));

        assertThat(inspection.format()).isEqualTo(inspector.format());
        if (inspection.level() == MatchLevel.MATCH) {
            assertThat(inspection.virtualSize()).hasValue(IsoInspector.FIRST_DESCRIPTOR + data.length);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "udf-512-byte-blocks.bin, MATCH", "udf-vrs-without-anchor.bin, MAGIC_ONLY"})
    void udfSeedsAreWhatTheirNamesSay(String seedName, MatchLevel level) throws java.io.IOException {
        byte[] seed;
        try (var in = getClass().getResourceAsStream("IsoInspectorFuzzTestInputs/inspectsArbitraryDescriptors/"
                + seedName)) {
            seed = in.readAllBytes();
        }

        Inspection inspection = InspectorHarness.inspect(inspector, atFirstDescriptor(seed));

        assertThat(inspection.level()).isEqualTo(level);
        if (level == MatchLevel.MATCH) {
            assertThat(inspection.variant()).contains("udf");
        } else {
            assertThat(inspection.findings()).anySatisfy(finding ->
                    assertThat(finding.code()).isEqualTo(FindingCode.UDF_MALFORMED));
        }
    }

    private static byte[] atFirstDescriptor(byte[] data) {
        byte[] image = new byte[(int) IsoInspector.FIRST_DESCRIPTOR + data.length];
        System.arraycopy(data, 0, image, (int) IsoInspector.FIRST_DESCRIPTOR, data.length);
        return image;
    }

}
