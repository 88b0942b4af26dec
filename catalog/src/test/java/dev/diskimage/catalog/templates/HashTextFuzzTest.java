package dev.diskimage.catalog.templates;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/** Any {@code .hash} file content parses to a lower-case hex digest or is refused with a reason. */
class HashTextFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void hashFilesParseOrAreRefusedWithAReason(FuzzedDataProvider data) {
        try {
            assertThat(HashText.parse(data.consumeRemainingAsBytes()).hex()).matches("[0-9a-f]+");
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }
}
