package dev.diskimage.conversion;

import dev.diskimage.crypto.CipherSpec;
import dev.diskimage.crypto.Passphrase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How a conversion encrypts its target with LUKS: the cipher ({@link CipherSpec}, Cinder's
 * {@code decode_cipher}), the passphrase of the new key slot, and optionally the time qemu spends
 * deriving the key ({@code iter-time}; qemu's default is 2 s, tests use a few milliseconds).
 * A {@link dev.diskimage.core.DiskFormat#QCOW2} target gets {@code encrypt.format=luks}, a
 * {@link dev.diskimage.core.DiskFormat#LUKS} target is a raw LUKS container. Immutable;
 * {@link #toString()} never shows the passphrase.
 */
public final class LuksTarget {
    private final CipherSpec cipher;
    private final Passphrase passphrase;
    private final Optional<Duration> iterTime;

    private LuksTarget(CipherSpec cipher, Passphrase passphrase, Optional<Duration> iterTime) {
        this.cipher = Objects.requireNonNull(cipher, "cipher");
        this.passphrase = Objects.requireNonNull(passphrase, "passphrase");
        this.iterTime = iterTime;
    }

    /**
     * A LUKS target with {@code cipher}, unlocked by {@code passphrase}.
     *
     * @param cipher the cipher, e.g. {@code CipherSpec.decode("aes-xts-plain64", 512)}
     * @param passphrase the new key slot's passphrase
     * @return the target encryption with qemu's default key derivation time
     * @throws NullPointerException if an argument is null
     */
    public static LuksTarget of(CipherSpec cipher, Passphrase passphrase) {
        return new LuksTarget(cipher, passphrase, Optional.empty());
    }

    /**
     * A LUKS target whose passphrase is the content of {@code passphraseFile}.
     *
     * @param cipher the cipher
     * @param passphraseFile the file holding the passphrase (all its bytes); read when the
     *     conversion starts
     * @return the target encryption
     * @throws NullPointerException if an argument is null
     */
    public static LuksTarget of(CipherSpec cipher, Path passphraseFile) {
        return of(cipher, Passphrase.fromFile(passphraseFile));
    }

    /**
     * A LUKS target whose passphrase is {@code passphrase}.
     *
     * @param cipher the cipher
     * @param passphrase the passphrase bytes; copied
     * @return the target encryption
     * @throws IllegalArgumentException if the passphrase is empty
     * @throws NullPointerException if an argument is null
     */
    public static LuksTarget of(CipherSpec cipher, byte[] passphrase) {
        return of(cipher, Passphrase.of(passphrase));
    }

    /**
     * A copy whose key derivation runs for {@code iterTime} ({@code iter-time}): longer is harder
     * to brute-force and slower to open.
     *
     * @param iterTime at least 1 ms
     * @return a copy with that time
     * @throws IllegalArgumentException if {@code iterTime} is shorter than 1 ms
     */
    public LuksTarget withIterTime(Duration iterTime) {
        if (iterTime.toMillis() < 1) {
            throw new IllegalArgumentException("iter-time must be at least 1 ms: " + iterTime);
        }
        return new LuksTarget(cipher, passphrase, Optional.of(iterTime));
    }

    /**
     * The cipher.
     *
     * @return the cipher spec rendered with {@link CipherSpec#qemuOptions(String)}
     */
    public CipherSpec cipher() {
        return cipher;
    }

    /**
     * The passphrase of the new key slot.
     *
     * @return where it comes from
     */
    public Passphrase passphrase() {
        return passphrase;
    }

    /**
     * The key derivation time, if set.
     *
     * @return the time, or empty for qemu's default (2 s)
     */
    public Optional<Duration> iterTime() {
        return iterTime;
    }

    /**
     * Names the cipher and where the passphrase comes from, never the passphrase.
     *
     * @return e.g. {@code LuksTarget[cipher=aes-xts-plain64/512, passphrase=Passphrase[in memory]]}
     */
    @Override
    public String toString() {
        return "LuksTarget[cipher=" + cipher.dmCryptName() + "/" + cipher.keySizeBits() + ", passphrase="
                + passphrase + iterTime.map(t -> ", iterTime=" + t.toMillis() + "ms").orElse("") + "]";
    }
}
