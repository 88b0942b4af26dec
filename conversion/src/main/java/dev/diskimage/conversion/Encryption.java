package dev.diskimage.conversion;

import dev.diskimage.conversion.ConversionRefusedException.Reason;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgConvertRequest;
import dev.diskimage.crypto.LuksHeader;
import dev.diskimage.crypto.Passphrase;
import dev.diskimage.crypto.QemuSecret;
import dev.diskimage.validation.ValidatedImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encryption side of one conversion or resize: which secrets qemu-img needs, the checks made
 * before it runs (a passphrase for an encrypted source, decryption only when asked, LUKS1 only,
 * the passphrase proved in Java), and the options and objects it gets. Passphrases are read only
 * here, wiped after use, and reach qemu-img only through {@link QemuSecret} files.
 */
final class Encryption {
    private static final Logger LOG = LoggerFactory.getLogger(Encryption.class);
    static final String SOURCE_SECRET_ID = "sec0";
    static final String TARGET_SECRET_ID = "sec1";
    // qemu 7.2 crypto/block-luks.c: what qemu-img says when no key slot opens.
    static final String QEMU_WRONG_PASSPHRASE = "Invalid password, cannot unlock any keyslot";
    // qemu's luks driver (crypto/block-luks.c) reads LUKS version 1 only.
    private static final int QEMU_LUKS_VERSION = 1;
    // Room for a LUKS header in a target: qemu's LUKS1 header with 8 slots of a 512-bit key is
    // about 2 MiB; 16 MiB also covers the largest LUKS2 header cryptsetup writes by default.
    static final long LUKS_HEADER_ALLOWANCE = 16L << 20;
    // The validator's detail for qcow2 with crypt_method 2 (qcow2 spec: LUKS).
    private static final String QCOW2_ENCRYPTED_DETAIL = "encrypted";

    private final boolean sourceEncrypted;
    private final Optional<Passphrase> sourcePassphrase;
    private final Optional<LuksTarget> target;
    private final DiskFormat targetFormat;

    private Encryption(boolean sourceEncrypted, Optional<Passphrase> sourcePassphrase, Optional<LuksTarget> target,
            DiskFormat targetFormat) {
        this.sourceEncrypted = sourceEncrypted;
        this.sourcePassphrase = sourcePassphrase;
        this.target = target;
        this.targetFormat = targetFormat;
    }

    /**
     * Checks a conversion's encryption before qemu-img runs and proves the source passphrase.
     *
     * @throws ConversionRefusedException for a missing or wrong passphrase, a decryption not
     *     asked for, or a LUKS2 source
     * @throws dev.diskimage.core.ImageIoException if a passphrase file cannot be read
     */
    static Encryption forConversion(ConvertRequest request, ValidatedImage source) {
        boolean encrypted = isEncrypted(source);
        if (encrypted) {
            Passphrase passphrase = requirePassphrase(source, request.sourcePassphrase());
            if (request.encryption().isEmpty() && !request.decrypt()) {
                throw new ConversionRefusedException(Reason.DECRYPTION_NOT_ALLOWED, source.path()
                        + " is encrypted and " + request.target() + " would not be; ask for decryption explicitly"
                        + " to write it in plain text, or encrypt the target");
            }
            prove(source, passphrase);
        } else if (request.sourcePassphrase().isPresent()) { // only a log line: mutants are equivalent
            LOG.debug("{} is not encrypted; its passphrase is not used", source.path());
        }
        // Reads the target's passphrase (a file) now, so that an unreadable one is refused before
        // qemu-img runs; the fill wipes that copy, which nobody reads (removing it is equivalent).
        request.encryption().ifPresent(luks -> Arrays.fill(luks.passphrase().bytes(), (byte) 0));
        return new Encryption(encrypted, encrypted ? request.sourcePassphrase() : Optional.empty(),
                request.encryption(), request.targetFormat());
    }

    /**
     * Checks a resize's encryption before qemu-img runs and proves the passphrase.
     *
     * @return the passphrase to use, or empty for a plain image
     * @throws ConversionRefusedException for a missing or wrong passphrase or a LUKS2 image
     */
    static Optional<Passphrase> forResize(ValidatedImage image, Optional<Passphrase> passphrase) {
        if (!isEncrypted(image)) {
            return Optional.empty();
        }
        Passphrase given = requirePassphrase(image, passphrase);
        prove(image, given);
        return Optional.of(given);
    }

    /** Whether qemu needs a key to read {@code image}: a LUKS volume, or qcow2 with LUKS encryption. */
    static boolean isEncrypted(ValidatedImage image) {
        return image.format() == DiskFormat.LUKS || (image.format() == DiskFormat.QCOW2
                && "luks".equals(image.report().details().get(QCOW2_ENCRYPTED_DETAIL)));
    }

    private static Passphrase requirePassphrase(ValidatedImage image, Optional<Passphrase> passphrase) {
        return passphrase.orElseThrow(() -> new ConversionRefusedException(Reason.PASSPHRASE_MISSING,
                image.path() + " is encrypted (" + image.format().glanceName() + "); its passphrase is needed"));
    }

    /**
     * Proves the passphrase of a LUKS file in Java, so that a wrong one fails in a second rather
     * than after qemu-img started; qcow2's embedded LUKS header is proved by qemu-img itself.
     */
    private static void prove(ValidatedImage image, Passphrase passphrase) {
        if (image.format() != DiskFormat.LUKS) {
            return;
        }
        image.requireUnchanged();
        LuksHeader header = LuksHeader.read(image.path());
        if (header.version() != QEMU_LUKS_VERSION) {
            throw new ConversionRefusedException(Reason.ENCRYPTION_UNSUPPORTED, image.path() + " is LUKS"
                    + header.version() + "; qemu-img's luks driver opens LUKS1 only (cryptsetup convert"
                    + " --type luks1 turns it into one)");
        }
        if (!header.unlocks(passphrase)) {
            throw new ConversionRefusedException(Reason.WRONG_PASSPHRASE, "the passphrase does not unlock "
                    + image.path());
        }
        LOG.debug("the passphrase unlocks {}", image.path());
    }

    boolean sourceEncrypted() {
        return sourceEncrypted;
    }

    boolean targetEncrypted() {
        return target.isPresent();
    }

    /**
     * Writes the secret files qemu-img needs into fresh 0700 directories inside {@code directory};
     * nothing is written for a plain conversion.
     */
    Secrets writeSecrets(Path directory) {
        Secrets secrets = new Secrets();
        try {
            sourcePassphrase.ifPresent(p -> secrets.source = QemuSecret.write(SOURCE_SECRET_ID, p, directory));
            target.ifPresent(luks -> secrets.target = QemuSecret.write(TARGET_SECRET_ID, luks.passphrase(),
                    directory));
            return secrets;
        } catch (RuntimeException e) {
            secrets.close();
            throw e;
        }
    }

    /** Adds the secret objects, the source's {@code --image-opts} key and the target's LUKS options. */
    void apply(QemuImgConvertRequest.Builder command, Secrets secrets) {
        if (secrets.source != null) {
            command.object(secrets.source.object());
            command.sourceKeySecret(secrets.source.id());
        }
        if (secrets.target != null) {
            command.object(secrets.target.object());
            targetOptions(secrets.target.id()).forEach(command::option);
        }
    }

    /** The target's LUKS creation options: qcow2 prefixes every key with {@code encrypt.}. */
    Map<String, String> targetOptions(String secretId) {
        LuksTarget luks = target.orElseThrow();
        String prefix = targetFormat == DiskFormat.QCOW2 ? "encrypt." : "";
        Map<String, String> options = new LinkedHashMap<>();
        if (targetFormat == DiskFormat.QCOW2) {
            options.put("encrypt.format", "luks");
        }
        options.put(prefix + "key-secret", secretId);
        options.putAll(luks.cipher().qemuOptions(prefix));
        luks.iterTime().ifPresent(t -> options.put(prefix + "iter-time", Long.toString(t.toMillis())));
        return options;
    }

    /**
     * The bytes an encrypted conversion's new target needs. qemu-img measure cannot open an
     * encrypted source without its key nor size a LUKS target without one, so the estimate is made
     * from the virtual size: all of it (encrypted data does not stay sparse in a LUKS container),
     * or qcow2's fully allocated size, plus room for the LUKS header.
     */
    long spaceNeeded(QemuImg qemu, long virtualSize) {
        if (targetFormat.sameQemuDriverAs(DiskFormat.RAW)) {
            return virtualSize;
        }
        long data = targetFormat == DiskFormat.QCOW2 ? qemu.measure(virtualSize, DiskFormat.QCOW2).fullyAllocated()
                : virtualSize;
        return data + LUKS_HEADER_ALLOWANCE;
    }

    /**
     * The secret files of one qemu-img run; closing deletes them (also on failure, cancel and JVM
     * shutdown, which may close them from another thread: closing is synchronized and idempotent).
     */
    static final class Secrets implements AutoCloseable {
        private QemuSecret source;
        private QemuSecret target;

        static Secrets none() {
            return new Secrets();
        }

        @Override
        public synchronized void close() {
            if (source != null) {
                source.close();
            }
            if (target != null) {
                target.close();
            }
        }
    }
}
