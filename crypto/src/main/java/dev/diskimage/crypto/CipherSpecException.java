package dev.diskimage.crypto;

import dev.diskimage.core.ImageException;
import dev.diskimage.core.UntrustedText;
import java.util.Objects;

/**
 * A cipher specification ({@code cipher-chainmode-ivmode[:ivhash]}) or key size that qemu cannot
 * use. Names the part that is wrong and its value, so a caller can tell the user which setting
 * to change.
 */
public final class CipherSpecException extends ImageException {
    private static final long serialVersionUID = 1L;

    /** The part of a cipher specification that was refused. */
    public enum Part {
        /** The whole text: not {@code cipher-chainmode-ivmode[:ivhash]}. */
        SPEC,
        /** The cipher, e.g. {@code aes}. */
        CIPHER,
        /** The chaining mode, e.g. {@code xts}. */
        CHAIN_MODE,
        /** The IV generator, e.g. {@code plain64}. */
        IV_MODE,
        /** The IV generator's hash, e.g. {@code sha256} in {@code essiv:sha256}. */
        IV_HASH,
        /** The key size in bits. */
        KEY_SIZE
    }

    /** The part that was refused. */
    private final Part part;
    /** The refused value, sanitized. */
    private final String value;

    CipherSpecException(Part part, String value, String reason) {
        super("cipher " + part.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " '"
                + UntrustedText.sanitize(value, 80) + "' " + reason);
        this.part = Objects.requireNonNull(part, "part");
        this.value = UntrustedText.sanitize(value, 80);
    }

    /**
     * The part that was refused.
     *
     * @return the part
     */
    public Part part() {
        return part;
    }

    /**
     * The refused value, sanitized.
     *
     * @return the value as the caller gave it, control characters escaped
     */
    public String value() {
        return value;
    }
}
