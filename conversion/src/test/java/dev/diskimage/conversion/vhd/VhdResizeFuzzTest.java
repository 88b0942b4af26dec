package dev.diskimage.conversion.vhd;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Feeds arbitrary files and sizes (the input's last five bytes) to {@link VhdResize}: a resize
 * either succeeds and leaves a disk that opens with the size it reported, or fails with a typed
 * VHD error leaving the file unchanged; no journal is left behind either way.
 */
class VhdResizeFuzzTest {

    /** The input's last bytes: the new size in sectors (4 bytes, big-endian, low 24 bits used) and the shrink flag. */
    private static final int TAIL = 5;
    private static final int MAX_SECTORS_MASK = 0xFFFFFF;

    @FuzzTest(maxDuration = "10s")
    void resizesAnyFileOrRefusesItUnchanged(byte[] input) throws IOException {
        if (input.length < TAIL) {
            return;
        }
        ByteBuffer tail = ByteBuffer.wrap(input, input.length - TAIL, TAIL);
        // At most 8 GiB: a grown fixed disk is a sparse file of that size in the temporary directory.
        long newSize = (tail.getInt() & MAX_SECTORS_MASK) * 512L;
        boolean shrink = (tail.get() & 1) != 0;
        byte[] bytes = Arrays.copyOf(input, input.length - TAIL);
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
