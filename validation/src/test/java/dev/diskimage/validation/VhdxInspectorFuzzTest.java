package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;


/**
 * Feeds arbitrary bytes to {@link VhdxInspector}: it must describe, never throw or over-allocate.
 * A VHDX spreads its structures over the first megabytes, so besides plain bytes the fuzzer's
 * input is also scattered as 4 KiB pages onto the offsets where those structures live.
 */
class VhdxInspectorFuzzTest {
    /** Where each 4 KiB page of a layout input lands: identifier, headers, region tables, metadata. */
    static final long[] PAGE_OFFSETS = {0, 64 << 10, 128 << 10, 192 << 10, 256 << 10, 3 << 20, (3 << 20) + (64 << 10)};
    static final int PAGE = 4096;
    static final int LAYOUT_SIZE = 4 << 20;

    private final VhdxInspector inspector = new VhdxInspector();


    @ShortFuzzTest
    void inspectsScatteredLayout(byte[] data) {
        check(InspectorHarness.inspect(inspector, scatter(data)));
    }

    @org.junit.jupiter.api.Test
    void scatteredSeedOfAQemuImageMatches() throws java.io.IOException {
        byte[] seed;
        try (var in = getClass().getResourceAsStream("VhdxInspectorFuzzTestInputs/inspectsScatteredLayout/s.bin")) {
            seed = in.readAllBytes();
        }

        Inspection inspection = InspectorHarness.inspect(inspector, scatter(seed));

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(64L << 20);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "s-log-not-empty.bin, VHDX_LOG_NOT_EMPTY", "s-same-sequence.bin, MALFORMED_HEADER"})
    void headerSeedsAreRejectedForTheirReason(String seedName, FindingCode code)
            throws java.io.IOException {
        byte[] seed;
        try (var in = getClass().getResourceAsStream("VhdxInspectorFuzzTestInputs/inspectsScatteredLayout/" + seedName)) {
            seed = in.readAllBytes();
        }

        Inspection inspection = InspectorHarness.inspect(inspector, scatter(seed));

        assertThat(inspection.findings()).anySatisfy(finding -> {
            assertThat(finding.code()).isEqualTo(code);
            assertThat(finding.rejects()).isTrue();
        });
    }

    /** Places consecutive 4 KiB pages of {@code data} at {@link #PAGE_OFFSETS} in a 4 MiB image. */
    static byte[] scatter(byte[] data) {
        byte[] image = new byte[LAYOUT_SIZE];
        for (int i = 0; i < PAGE_OFFSETS.length && i * PAGE < data.length; i++) {
            int length = Math.min(PAGE, data.length - i * PAGE);
            System.arraycopy(data, i * PAGE, image, (int) PAGE_OFFSETS[i], length);
        }
        return image;
    }

    private void check(Inspection inspection) {
        assertThat(inspection.format()).isEqualTo(inspector.format());
        if (inspection.level() == MatchLevel.MATCH) {
            assertThat(inspection.virtualSize()).isPresent();
        }
    }
}
