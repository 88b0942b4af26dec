package dev.diskimage.crypto;

import dev.diskimage.core.testing.OneBytePerReadChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;

/** Edits LUKS images in memory: patch a LUKS1 field, or replace LUKS2 JSON metadata with valid checksums. */
final class LuksImages {
    private LuksImages() {
    }

    static byte[] patchU32(byte[] image, int offset, long value) {
        byte[] copy = image.clone();
        ByteBuffer.wrap(copy).putInt(offset, (int) value);
        return copy;
    }

    /** Both LUKS2 header copies get {@code json} and a correct SHA-256 checksum. */
    static byte[] withJson(byte[] image, String json) throws Exception {
        byte[] copy = image.clone();
        int hdrSize = (int) ByteBuffer.wrap(copy).getLong(8);
        byte[] text = json.getBytes(StandardCharsets.UTF_8);
        for (int at : new int[] {0, hdrSize}) {
            Arrays.fill(copy, at + 4096, at + hdrSize, (byte) 0);
            System.arraycopy(text, 0, copy, at + 4096, Math.min(text.length, hdrSize - 4096));
            Arrays.fill(copy, at + 448, at + 448 + 64, (byte) 0);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(copy, at, hdrSize);
            System.arraycopy(sha.digest(), 0, copy, at + 448, 32);
        }
        return copy;
    }

    /** The JSON text of a LUKS2 image (up to the NUL). */
    static String json(byte[] image) {
        int end = 4096;
        while (image[end] != 0) {
            end++;
        }
        return new String(image, 4096, end - 4096, StandardCharsets.UTF_8);
    }

    static Path write(Path dir, String name, byte[] image) throws Exception {
        return Files.write(dir.resolve(name), image);
    }

    static LuksHeader readBytes(byte[] image) throws Exception {
        return LuksHeader.read(Path.of("memory.luks"), new OneBytePerReadChannel(image));
    }
}
