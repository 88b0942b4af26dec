package dev.diskimage.conversion;

import dev.diskimage.core.ImageException;
import java.util.Objects;

/**
 * A conversion or resize was refused before qemu-img ran, because the request asks for something
 * this converter will not do or this host cannot do. The {@link #reason()} says which, so
 * callers branch on a value instead of message text.
 */
public class ConversionRefusedException extends ImageException {
    private static final long serialVersionUID = 1L;

    /** Why a request was refused. */
    public enum Reason {
        /** Image conversion is disabled and the source and target formats differ. */
        CONVERSION_DISABLED,
        /** Compression was asked for a target format that cannot store compressed data. */
        COMPRESSION_UNSUPPORTED,
        /** Keeping bitmaps was asked for formats that cannot carry them (only qcow2 to qcow2 can). */
        BITMAPS_UNSUPPORTED,
        /** A resize to a smaller size without permission to shrink. */
        SHRINK_NOT_ALLOWED,
        /** A cgroup I/O throttle was asked, but this process cannot create one here. */
        THROTTLE_UNAVAILABLE,
        /** The declared source format differs from the one the validated image has. */
        FORMAT_MISMATCH,
        /** The source (or the image to resize) is encrypted and no passphrase was given. */
        PASSPHRASE_MISSING,
        /**
         * The passphrase does not unlock the encrypted source. Proved in Java before qemu-img runs
         * for a LUKS file; for qcow2 with LUKS encryption, qemu-img finds out when it opens the
         * source, before it writes anything.
         */
        WRONG_PASSPHRASE,
        /** An encrypted source would become a plain target, and decryption was not asked for. */
        DECRYPTION_NOT_ALLOWED,
        /**
         * Encryption this converter or qemu-img cannot handle: LUKS2 sources (qemu's luks driver
         * reads LUKS1 only), encryption of an existing target.
         */
        ENCRYPTION_UNSUPPORTED
    }

    private final Reason reason;

    /**
     * Creates the error.
     *
     * @param reason why the request was refused; not null
     * @param message one line naming the image and what the caller can change
     */
    public ConversionRefusedException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /**
     * Why the request was refused.
     *
     * @return the reason, never null
     */
    public Reason reason() {
        return reason;
    }
}
