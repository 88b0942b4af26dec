package dev.diskimage.conversion.vhd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The undo file of a parent change: read back exactly as written, anything torn or forged is no undo. */
class ParentRewriteUndoTest {

    @TempDir
    Path dir;

    private static final List<ParentRewrite.Region> REGIONS = List.of(new ParentRewrite.Region(512, bytes(1024, 1)),
            new ParentRewrite.Region(3072, bytes(512, 2)), new ParentRewrite.Region(0, new byte[0]));

    private static byte[] bytes(int length, int seed) {
        byte[] bytes = new byte[length];
        new java.util.Random(seed).nextBytes(bytes);
        return bytes;
    }

    @Test
    void readsBackWhatWasWritten() throws Exception {
        Path undo = dir.resolve("undo");
        ParentRewrite.writeUndo(undo, REGIONS);

        List<ParentRewrite.Region> read = ParentRewrite.readUndo(undo);

        assertThat(read).hasSize(REGIONS.size());
        for (int i = 0; i < REGIONS.size(); i++) {
            assertThat(read.get(i).offset()).isEqualTo(REGIONS.get(i).offset());
            assertThat(read.get(i).bytes()).isEqualTo(REGIONS.get(i).bytes());
        }
    }

    @Test
    void aFileCutAnywhereIsNoUndo() throws Exception {
        Path undo = dir.resolve("undo");
        ParentRewrite.writeUndo(undo, REGIONS);
        byte[] whole = Files.readAllBytes(undo);
        Path cut = dir.resolve("cut");

        for (int length = 0; length < whole.length; length++) {
            Files.write(cut, Arrays.copyOf(whole, length));
            assertThat(ParentRewrite.readUndo(cut)).as("cut at %d", length).isNull();
        }
    }

    @Test
    void aFlippedByteIsNoUndo() throws Exception {
        Path undo = dir.resolve("undo");
        ParentRewrite.writeUndo(undo, REGIONS);
        byte[] whole = Files.readAllBytes(undo);

        for (int at : new int[] {0, 7, 8, 12, 20, whole.length - 1}) {
            byte[] flipped = whole.clone();
            flipped[at] ^= 1;
            Files.write(undo, flipped);
            assertThat(ParentRewrite.readUndo(undo)).as("flipped at %d", at).isNull();
        }
    }

    @Test
    void forgedCountsLengthsAndOffsetsWithAGoodChecksumAreNoUndo() throws Exception {
        // magic, count, then one region of 4 bytes at offset 10: variants with lies in each field.
        assertThat(ParentRewrite.readUndo(sealed(body("DIMGUNDO", 1, 10, 4, 4)))).hasSize(1);
        assertThat(ParentRewrite.readUndo(sealed(body("DIMGUNDO", 2, 10, 4, 4)))).as("count too high").isNull();
        assertThat(ParentRewrite.readUndo(sealed(body("DIMGUNDO", 1, 10, 5, 4)))).as("length too long").isNull();
        assertThat(ParentRewrite.readUndo(sealed(body("DIMGUNDO", 1, 10, -1, 4)))).as("negative length").isNull();
        assertThat(ParentRewrite.readUndo(sealed(body("DIMGUNDO", 1, -10, 4, 4)))).as("negative offset").isNull();
        assertThat(ParentRewrite.readUndo(sealed(body("DIMGUNDX", 1, 10, 4, 4)))).as("magic").isNull();
        assertThat(ParentRewrite.readUndo(sealed(body("DIMGUNDO", 0, 10, 4, 4)))).as("no region").isEmpty();
    }

    private static byte[] body(String magic, int count, long offset, int length, int actual) {
        ByteBuffer out = ByteBuffer.allocate(8 + 4 + 8 + 4 + actual);
        out.put(magic.getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(count).putLong(offset)
                .putInt(length).put(new byte[actual]);
        return out.array();
    }

    private Path sealed(byte[] body) throws Exception {
        CRC32 crc = new CRC32();
        crc.update(body);
        Path file = dir.resolve("forged");
        Files.write(file, ByteBuffer.allocate(body.length + 8).put(body).putLong(crc.getValue()).array());
        return file;
    }
}
