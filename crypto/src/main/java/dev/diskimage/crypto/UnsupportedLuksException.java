package dev.diskimage.crypto;

import java.nio.file.Path;

/**
 * No key slot opened, and at least one could not be tried because it uses something this
 * project does not implement (a cipher, hash or KDF), or needs more memory than this JVM can
 * give. The passphrase may be right: only cryptsetup or qemu can tell.
 */
public final class UnsupportedLuksException extends LuksHeaderException {
    private static final long serialVersionUID = 1L;

    UnsupportedLuksException(Path file, String reason) {
        super(file, -1, reason);
    }
}
