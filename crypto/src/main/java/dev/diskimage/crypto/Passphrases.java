package dev.diskimage.crypto;

import dev.diskimage.core.IoErrorText;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/** Reads a passphrase file whole, with a size cap, never echoing its content anywhere. */
final class Passphrases {
    private Passphrases() {
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
