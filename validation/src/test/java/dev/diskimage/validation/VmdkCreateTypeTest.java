package dev.diskimage.validation;

import static dev.diskimage.validation.InspectorHarness.inspect;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The createType names a policy may hold are the ones VMDK files state. */
class VmdkCreateTypeTest {
    @TempDir
    Path dir;

    @Test
    void namesAreExactAndCaseSensitive() {
        assertThat(VmdkCreateType.fromDescriptorName("streamOptimized")).contains(VmdkCreateType.STREAM_OPTIMIZED);
        assertThat(VmdkCreateType.fromDescriptorName("streamoptimized")).isEmpty();
        assertThat(VmdkCreateType.ignoringCase("STREAMOPTIMIZED")).contains(VmdkCreateType.STREAM_OPTIMIZED);
        assertThat(VmdkCreateType.fromDescriptorName("twoGbMaxExtentFlat"))
                .contains(VmdkCreateType.TWO_GB_MAX_EXTENT_FLAT);
        assertThat(VmdkCreateType.descriptorNames()).hasSize(VmdkCreateType.values().length)
                .startsWith("monolithicSparse").endsWith("vsanSparse");
    }

    @ParameterizedTest
    @ValueSource(strings = {"monolithicSparse", "monolithicFlat", "twoGbMaxExtentSparse", "twoGbMaxExtentFlat",
        "streamOptimized"})
    void theTypeTheInspectorReportsForAQemuImageIsAKnownOne(String subformat) throws Exception {
        Path image = InspectorHarness.qemuImg(dir, subformat + ".vmdk", "create", "-q", "-f", "vmdk", "-o",
                "subformat=" + subformat, "{}", "8M");

        Inspection inspection = inspect(new VmdkInspector(), image);

        assertThat(inspection.variant()).contains(subformat);
        assertThat(VmdkCreateType.fromDescriptorName(inspection.variant().orElseThrow())).isPresent();
    }
}
