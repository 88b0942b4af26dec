package dev.diskimage.crypto;

import dev.diskimage.core.IoErrorText;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/** Passphrase bytes from a file (whole, with a size cap) or from characters, never echoed anywhere. */
final class Passphrases {
    private Passphrases() {
    }

    /** The UTF-8 bytes of {@code passphrase}; the encoder's own buffer is wiped. */
    static byte[] utf8(char[] passphrase) {
        ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(passphrase));
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        if (encoded.hasArray()) {
            Arrays.fill(encoded.array(), (byte) 0);
        }
        return bytes;
    }

    static byte[] read(Path file, long maxBytes) {
        Objects.requireNonNull(file, "passphraseFile");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes((int) maxBytes + 1);
            if (bytes.length > maxBytes) {
                Arrays.fill(bytes, (byte) 0);
                throw new LuksHeaderException(file, -1, "passphrase file is larger than " + maxBytes + " bytes");
            }
            return bytes;
        } catch (IOException e) {
            throw new LuksHeaderException(file, -1, "passphrase file cannot be read: " + IoErrorText.describe(e), e);
        }
    }
}
