package dev.diskimage.catalog.cache;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageException;
import dev.diskimage.core.ImageGate;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Random;

/** Images and the gate the cache tests use (the catalog may not depend on the validator). */
final class TestImages {
    /** qcow2 spec: the header starts with "QFI\xfb". */
    private static final byte[] QCOW2_MAGIC = {'Q', 'F', 'I', (byte) 0xfb};
    /** What the test gate refuses: an image starting with these bytes. */
    static final byte[] REFUSED_MAGIC = "EVIL".getBytes(StandardCharsets.US_ASCII);

    private TestImages() {
    }

    /**
     * A gate that reads the first bytes: qcow2 by its magic, refused for {@link #REFUSED_MAGIC},
     * raw otherwise; a declared format must match.
     */
    static final ImageGate GATE = TestImages::admit;

    private static DiskFormat admit(Path image, Optional<DiskFormat> declared) {
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(image)) {
            int n = in.readNBytes(head, 0, 4);
            head = Arrays.copyOf(head, n);
        } catch (IOException e) {
            throw new ImageException("cannot read " + image, e);
        }
        if (Arrays.equals(head, REFUSED_MAGIC)) {
            throw new ImageException("image " + image + " is refused: it starts with EVIL");
        }
        DiskFormat detected = Arrays.equals(head, QCOW2_MAGIC) ? DiskFormat.QCOW2 : DiskFormat.RAW;
        if (declared.isPresent() && declared.get() != detected) {
            throw new ImageException("image " + image + " is " + detected.qemuName() + ", declared "
                    + declared.get().qemuName());
        }
        return detected;
    }

    /** Random raw bytes that do not start with a known magic. */
    static byte[] raw(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        bytes[0] = 'R';
        return bytes;
    }

    static Checksum sha256(byte[] bytes) {
        return new Checksum(ChecksumAlgorithm.SHA256,
                HexFormat.of().formatHex(ChecksumAlgorithm.SHA256.newDigest().digest(bytes)));
    }
}
