package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;


/**
 * Feeds arbitrary bytes to {@link PartitionTableInspector}: it must never throw, never claim a
 * strong magic and never reject (a raw disk is raw whatever its partition table says).
 */
class PartitionTableInspectorFuzzTest {
    private final PartitionTableInspector inspector = new PartitionTableInspector();

    @ShortFuzzTest
    void inspectsArbitraryBytes(byte[] data) {
        Inspection inspection = InspectorHarness.inspect(inspector, data);

        assertThat(inspection.level()).isNotEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(inspection.findings()).noneMatch(Finding::rejects);
    }
}
