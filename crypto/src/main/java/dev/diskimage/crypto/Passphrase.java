package dev.diskimage.crypto;

import dev.diskimage.core.ImageIoException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a LUKS passphrase comes from: a file the caller keeps (read only when it is needed, all
 * its bytes, no trailing newline removed, as qemu's {@code secret} object and cryptsetup's
 * {@code --key-file} read it) or bytes in memory (copied). One type for every module that takes
 * a passphrase ({@link LuksHeader#unlocks(Passphrase)}, encrypted conversions and resizes), so
 * that a file is read by one set of rules everywhere. The passphrase reaches qemu-img only
 * through a {@link QemuSecret}; it never appears on a command line, in a log line, an exception
 * message or {@link #toString()}.
 */
public final class Passphrase {
    private final Path file;
    private final byte[] bytes;

    private Passphrase(Path file, byte[] bytes) {
        this.file = file;
        this.bytes = bytes;
    }

    /**
     * A passphrase read from {@code file} when the conversion needs it.
     *
     * @param file a file of at most {@value LuksHeader#MAX_PASSPHRASE_FILE} bytes; it is not
     *     checked here, so a missing file is reported when the conversion starts
     * @return the passphrase source
     * @throws NullPointerException if {@code file} is null
     */
    public static Passphrase fromFile(Path file) {
        return new Passphrase(Objects.requireNonNull(file, "file"), null);
    }

    /**
     * A passphrase held in memory.
     *
     * @param passphrase the bytes; copied, so the caller may wipe its array at once
     * @return the passphrase
     * @throws IllegalArgumentException if the passphrase is empty
     * @throws NullPointerException if {@code passphrase} is null
     */
    public static Passphrase of(byte[] passphrase) {
        if (passphrase.length == 0) {
            throw new IllegalArgumentException("the passphrase is empty");
        }
        return new Passphrase(null, passphrase.clone());
    }

    /**
     * A passphrase held in memory, encoded as UTF-8 (as cryptsetup reads a typed passphrase).
     *
     * @param passphrase the characters; not kept, so the caller may wipe its array at once
     * @return the passphrase
     * @throws IllegalArgumentException if the passphrase is empty
     * @throws NullPointerException if {@code passphrase} is null
     */
    public static Passphrase of(char[] passphrase) {
        byte[] utf8 = utf8(passphrase);
        try {
            return of(utf8);
        } finally {
            Secrets.wipe(utf8);
        }
    }

    /** The UTF-8 bytes of {@code passphrase}; the encoder's own buffer is wiped. */
    static byte[] utf8(char[] passphrase) {
        ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(passphrase));
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        Secrets.wipe(encoded);
        return bytes;
    }

    /**
     * The file the passphrase is read from, if it comes from one.
     *
     * @return the file, or empty for a passphrase held in memory
     */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /**
     * The passphrase bytes, read from the file now if it comes from one.
     *
     * @return a new array; wipe it ({@code Arrays.fill(bytes, (byte) 0)}) after use
     * @throws ImageIoException naming the file if it cannot be read, is empty or is larger than
     *     {@value LuksHeader#MAX_PASSPHRASE_FILE} bytes
     */
    public byte[] bytes() {
        if (bytes != null) {
            return bytes.clone();
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] content = in.readNBytes((int) LuksHeader.MAX_PASSPHRASE_FILE + 1);
            if (content.length > LuksHeader.MAX_PASSPHRASE_FILE || content.length == 0) {
                Secrets.wipe(content);
                throw new ImageIoException("could not use the passphrase file", file, new IOException(
                        content.length == 0 ? "the file is empty"
                                : "the file is larger than " + LuksHeader.MAX_PASSPHRASE_FILE + " bytes"));
            }
            return content;
        } catch (IOException e) {
            throw new ImageIoException("could not read the passphrase file", file, e);
        }
    }

    /**
     * Says where the passphrase comes from, never what it is.
     *
     * @return {@code Passphrase[file=<path>]} or {@code Passphrase[in memory]}
     */
    @Override
    public String toString() {
        return file != null ? "Passphrase[file=" + file + "]" : "Passphrase[in memory]";
    }
}
