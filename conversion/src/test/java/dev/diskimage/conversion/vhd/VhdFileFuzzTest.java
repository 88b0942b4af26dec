package dev.diskimage.conversion.vhd;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.diskimage.core.vhd.VhdDiskType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Feeds arbitrary files to {@link VhdFile}: opening either succeeds or fails with a
 * {@link VhdCorruptException}; a file that opens reads at its start, middle and end (a
 * differencing disk without parent may say it needs one), takes a whole-sector write at offset 0
 * and reads that sector back as written.
 */
class VhdFileFuzzTest {

    private static final int SECTOR = 512;

    @FuzzTest(maxDuration = "10s")
    void opensReadsAndWritesAnyFile(byte[] data) throws IOException {
        Path file = Files.createTempFile("vhd-fuzz", ".vhd");
        try {
            Files.write(file, data);
            exercise(file);
        } finally {
            Files.delete(file);
        }
    }

    private static void exercise(Path file) {
        try (VhdFile vhd = VhdFile.openForWriting(file)) {
            long size = vhd.virtualSize();
            for (long offset : new long[] {0, size / 2, Math.max(0, size - 4096)}) {
                try {
                    ByteBuffer buffer = ByteBuffer.allocate(4096);
                    assertThat(vhd.read(offset, buffer)).isEqualTo((int) Math.min(4096, size - offset));
                } catch (VhdParentException expected) {
                    assertThat(vhd.diskType()).isEqualTo(VhdDiskType.DIFFERENCING);
                }
            }
            if (size >= SECTOR) {
                byte[] sector = new byte[SECTOR];
                java.util.Arrays.fill(sector, (byte) 0x5A);
                vhd.write(0, ByteBuffer.wrap(sector));
                ByteBuffer back = ByteBuffer.allocate(SECTOR);
                vhd.read(0, back);
                assertThat(back.array()).isEqualTo(sector);
            }
        } catch (VhdCorruptException expected) {
            // The one failure opening may give for a file that is not a sane VHD.
        }
    }
}
