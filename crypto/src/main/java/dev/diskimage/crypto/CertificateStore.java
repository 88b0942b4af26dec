package dev.diskimage.crypto;

import java.nio.file.Path;
import java.security.cert.X509Certificate;

/**
 * Where signing certificates come from, by the id an image's
 * {@code img_signature_certificate_uuid} names: Barbican through castellan in OpenStack, a
 * directory of PEM files here ({@link #directory(Path)}), or whatever a caller plugs in.
 *
 * <p>A store only finds certificates; {@link ImageSignatureVerifier#prepare} checks their dates,
 * key type and chain. Ids come from image properties, which anyone who can upload an image
 * sets: a store must treat them as hostile (no path, query or command built from one without
 * checking it).
 */
public interface CertificateStore {
    /**
     * The certificate with this id.
     *
     * @param certificateId the id, as an image property names it; untrusted
     * @return the certificate
     * @throws SigningCertificateException with {@link SigningCertificateException.Reason#NOT_FOUND}
     *     when there is none, {@link SigningCertificateException.Reason#INVALID_ID} for an id the
     *     store refuses, {@link SigningCertificateException.Reason#UNREADABLE} when it cannot be
     *     read or parsed
     */
    X509Certificate certificate(String certificateId);

    /**
     * A store reading {@code <uuid>.pem} files (one PEM or DER certificate each) from a directory.
     * Only a plain UUID ({@code 8-4-4-4-12} hexadecimal digits, as Barbican issues) is accepted
     * as an id, so no id can name a file outside the directory.
     *
     * @param directory the directory holding the certificates; read on each call, so files may
     *     be added while the store is in use
     * @return the store
     */
    static CertificateStore directory(Path directory) {
        return new DirectoryCertificateStore(directory);
    }
}
