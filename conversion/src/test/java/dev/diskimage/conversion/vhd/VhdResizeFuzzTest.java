package dev.diskimage.conversion.vhd;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Feeds arbitrary files and sizes to {@link VhdResize}: a resize either succeeds and leaves a disk
 * that opens with the size it reported, or fails with a typed VHD error leaving the file
 * unchanged; no journal is left behind either way.
 */
class VhdResizeFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void resizesAnyFileOrRefusesItUnchanged(FuzzedDataProvider data) throws IOException {
        long newSize = data.consumeLong(0, 1L << 32);
        boolean shrink = data.consumeBoolean();
        byte[] bytes = data.consumeRemainingAsBytes();
        Path dir = Files.createTempDirectory("vhd-resize-fuzz");
        Path file = Files.write(dir.resolve("disk.vhd"), bytes);
        Path journal = dir.resolve("journal");
        try {
            VhdResize.Result result = VhdResize.resize(file, newSize, journal, shrink);
            try (VhdFile vhd = VhdFile.open(file)) {
                assertThat(vhd.virtualSize()).isEqualTo(result.virtualSize());
            }
        } catch (VhdException refused) {
            assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
        } finally {
            assertThat(journal).doesNotExist();
            Files.delete(file);
            Files.delete(dir);
        }
    }
}
