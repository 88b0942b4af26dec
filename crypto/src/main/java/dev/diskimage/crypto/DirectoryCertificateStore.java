package dev.diskimage.crypto;

import dev.diskimage.core.IoErrorText;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/** {@link CertificateStore#directory(Path)}: {@code <uuid>.pem} files in one directory. */
final class DirectoryCertificateStore implements CertificateStore {
    /** A plain UUID (RFC 4122 text form), either case; nothing else reaches the file system. */
    private static final Pattern UUID = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    /** Largest certificate file read: a certificate is a few KiB; this bounds a hostile file. */
    static final int MAX_FILE_BYTES = 1 << 20;

    /** The directory holding the PEM files. */
    private final Path directory;

    DirectoryCertificateStore(Path directory) {
        this.directory = Objects.requireNonNull(directory, "directory");
    }

    @Override
    public X509Certificate certificate(String certificateId) {
        Objects.requireNonNull(certificateId, "certificateId");
        if (!UUID.matcher(certificateId).matches()) {
            throw new SigningCertificateException(SigningCertificateException.Reason.INVALID_ID, certificateId,
                    "the certificate directory accepts plain UUIDs only", null);
        }
        Path file = directory.resolve(certificateId + ".pem");
        byte[] encoded = read(certificateId, file);
        List<X509Certificate> certificates;
        try {
            certificates = BouncyCastle.parse(encoded);
        } catch (CertificateException | RuntimeException malformed) {
            throw new SigningCertificateException(SigningCertificateException.Reason.UNREADABLE, certificateId,
                    file + " is not a PEM or DER X.509 certificate", malformed);
        }
        if (certificates.size() != 1) {
            throw new SigningCertificateException(SigningCertificateException.Reason.UNREADABLE, certificateId,
                    file + " holds " + certificates.size() + " certificates, not one", null);
        }
        return certificates.get(0);
    }

    private static byte[] read(String certificateId, Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] encoded = in.readNBytes(MAX_FILE_BYTES + 1);
            if (encoded.length > MAX_FILE_BYTES) {
                throw new SigningCertificateException(SigningCertificateException.Reason.UNREADABLE, certificateId,
                        file + " is larger than " + MAX_FILE_BYTES + " bytes", null);
            }
            return encoded;
        } catch (NoSuchFileException gone) {
            throw new SigningCertificateException(SigningCertificateException.Reason.NOT_FOUND, certificateId,
                    "no " + file.getFileName() + " in " + file.getParent(), gone);
        } catch (IOException failed) {
            throw new SigningCertificateException(SigningCertificateException.Reason.UNREADABLE, certificateId,
                    "cannot read " + file + ": " + IoErrorText.describe(failed), failed);
        }
    }

    @Override
    public String toString() {
        return "CertificateStore[directory=" + directory + "]";
    }
}
