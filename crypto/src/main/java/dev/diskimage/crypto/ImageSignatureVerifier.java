package dev.diskimage.crypto;

import dev.diskimage.core.SignatureVerificationException;
import dev.diskimage.core.UntrustedText;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Clock;
import java.util.Date;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks an image's Glance signature while the image streams past, in the same pass that
 * hashes or stores it: {@link #prepare} checks the properties' certificate before the first
 * byte is read, {@link #update} takes the image data in chunks of any size, and
 * {@link #verify} says whether the data is what was signed.
 *
 * <pre>{@code
 * Optional<ImageSignature> signature = ImageSignature.fromProperties(image.properties());
 * if (signature.isPresent()) {
 *     ImageSignatureVerifier verifier = ImageSignatureVerifier.prepare(imageId, signature.get(),
 *             CertificateStore.directory(certificates), TrustPolicy.trusting(roots), Clock.systemUTC());
 *     // for each chunk downloaded: verifier.update(buffer, 0, read);
 *     verifier.verify();   // throws SignatureMismatchException for changed data
 * }
 * }</pre>
 *
 * <p>What is verified is what cursive (used by Nova, Cinder and Glance) verifies: the image
 * data hashed with the property's hash method, signed with the certificate's key: RSA with
 * PSS padding, MGF1 with that same hash and the largest salt the key allows (Python
 * cryptography's {@code PSS.MAX_LENGTH}, OpenSSL's {@code rsa_pss_saltlen:max}), DSA or ECDSA
 * with DER-encoded signatures. The certificate must be within its validity period at the
 * clock's time, hold a key of the property's key type (and curve), and, under
 * {@link TrustPolicy#trusting}, chain to a trusted root.
 *
 * <p>Not thread-safe: one verifier per image, fed from one thread at a time. Messages name the
 * image and the reason, never key material.
 */
public final class ImageSignatureVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(ImageSignatureVerifier.class);
    /** How much of an image name a message quotes. */
    private static final int MAX_QUOTED = 120;

    /** The image, sanitized, for messages. */
    private final String imageName;
    /** What the properties said. */
    private final ImageSignature signature;
    /** The signing certificate, parsed by Bouncy Castle. */
    private final X509Certificate certificate;
    /** The signature engine, initialised with the certificate's key, fed the image data. */
    private final Signature engine;
    /** Bytes fed so far, for the log. */
    private long bytes;
    /** Whether {@link #verify} has run; the engine cannot be used again. */
    private boolean finished;

    private ImageSignatureVerifier(String imageName, ImageSignature signature, X509Certificate certificate,
            Signature engine) {
        this.imageName = imageName;
        this.signature = signature;
        this.certificate = certificate;
        this.engine = engine;
    }

    /**
     * Checks the signing certificate and readies a verifier, before any image data is read, so a
     * download that cannot be verified never starts.
     *
     * @param imageName the image's name or id, for messages and logs; untrusted, sanitized here
     * @param signature the image's signature properties ({@link ImageSignature#fromProperties})
     * @param store where the certificate named by {@link ImageSignature#certificateId()} is found
     * @param trust which certificates are accepted
     * @param clock the time validity periods are checked against
     * @return a verifier to feed the image data to
     * @throws SigningCertificateException if the certificate is not in the store, unreadable,
     *     outside its validity period, of another key type, or not trusted under {@code trust};
     *     its reason says which
     * @throws SignatureVerificationException if the store fails in another way
     */
    public static ImageSignatureVerifier prepare(String imageName, ImageSignature signature,
            CertificateStore store, TrustPolicy trust, Clock clock) {
        String image = UntrustedText.sanitize(Objects.requireNonNull(imageName, "imageName"), MAX_QUOTED);
        Objects.requireNonNull(signature, "signature");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(trust, "trust");
        Objects.requireNonNull(clock, "clock");
        String id = signature.certificateId();
        X509Certificate certificate = load(image, id, store);
        Date now = Date.from(clock.instant());
        if (now.before(certificate.getNotBefore())) {
            throw refused(image, SigningCertificateException.Reason.NOT_YET_VALID, id,
                    "valid from " + certificate.getNotBefore().toInstant() + ", now is " + now.toInstant());
        }
        if (now.after(certificate.getNotAfter())) {
            throw refused(image, SigningCertificateException.Reason.EXPIRED, id,
                    "valid until " + certificate.getNotAfter().toInstant() + ", now is " + now.toInstant());
        }
        PublicKey key = certificate.getPublicKey();
        if (!signature.keyType().matches(key)) {
            throw refused(image, SigningCertificateException.Reason.KEY_TYPE_MISMATCH, id,
                    "the image names key type " + signature.keyType().propertyValue()
                            + ", the certificate holds " + describe(key, signature.keyType()));
        }
        int chainLength = 1;
        if (trust.requiresChain()) {
            chainLength = new CertificateChain(image, id).verify(certificate, trust.trustedCertificates(), now);
        }
        Signature engine = engine(image, signature, key);
        LOG.debug("image '{}': signature {} prepared, certificate '{}' ({}), chain of {} under {}", image,
                signature, UntrustedText.sanitize(id, MAX_QUOTED), CertificateChain.subject(certificate),
                chainLength, trust);
        return new ImageSignatureVerifier(image, signature, certificate, engine);
    }

    /**
     * Feeds the next chunk of image data.
     *
     * @param data the buffer holding the chunk
     * @param offset where the chunk starts in {@code data}
     * @param length the chunk's length, possibly 0
     * @throws IndexOutOfBoundsException if the range is outside {@code data}
     * @throws IllegalStateException after {@link #verify}
     */
    public void update(byte[] data, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, data.length);
        requireOpen();
        try {
            engine.update(data, offset, length);
        } catch (SignatureException notInitialised) {
            throw new IllegalStateException("signature engine not initialised", notInitialised);
        }
        bytes += length;
    }

    /**
     * Feeds the next chunk of image data: the buffer's remaining bytes, after which its
     * position is its limit.
     *
     * @param data the chunk
     * @throws IllegalStateException after {@link #verify}
     */
    public void update(ByteBuffer data) {
        requireOpen();
        int length = data.remaining();
        try {
            engine.update(data);
        } catch (SignatureException notInitialised) {
            throw new IllegalStateException("signature engine not initialised", notInitialised);
        }
        bytes += length;
    }

    /**
     * Checks the signature against all the data fed. Call once, at the end of the image.
     *
     * @throws SignatureMismatchException if the data is not what was signed, or the signature
     *     is not well formed for the key
     * @throws IllegalStateException if called a second time
     */
    public void verify() {
        requireOpen();
        finished = true;
        boolean valid;
        SignatureException malformed = null;
        try {
            valid = engine.verify(signature.signature());
        } catch (SignatureException e) {
            valid = false;
            malformed = e;
        }
        if (!valid) {
            String why = malformed == null ? "does not match the image data"
                    : "is not a well-formed " + signature.keyType().propertyValue() + " signature";
            throw new SignatureMismatchException("image '" + imageName + "': signature " + why + " ("
                    + signature.hashMethod().propertyValue() + ", " + signature.keyType().propertyValue()
                    + ", certificate '" + UntrustedText.sanitize(signature.certificateId(), MAX_QUOTED) + "', "
                    + bytes + " bytes)", malformed);
        }
        LOG.debug("image '{}': signature verified over {} bytes", imageName, bytes);
    }

    /**
     * The signature being checked.
     *
     * @return the properties this verifier was prepared with
     */
    public ImageSignature signature() {
        return signature;
    }

    /**
     * The signing certificate that passed the checks.
     *
     * @return the certificate from the store
     */
    public X509Certificate certificate() {
        return certificate;
    }

    private void requireOpen() {
        if (finished) {
            throw new IllegalStateException("image '" + imageName + "': signature already verified");
        }
    }

    private static X509Certificate load(String image, String id, CertificateStore store) {
        X509Certificate found;
        try {
            found = store.certificate(id);
        } catch (SigningCertificateException refused) {
            throw refused.forImage(image);
        } catch (SignatureVerificationException failed) {
            throw new SignatureVerificationException("image '" + image + "': " + failed.getMessage(), failed);
        }
        if (found == null) {
            throw refused(image, SigningCertificateException.Reason.NOT_FOUND, id, "the store returned none");
        }
        try {
            return BouncyCastle.reparse(found);
        } catch (CertificateException malformed) {
            throw new SigningCertificateException(image, SigningCertificateException.Reason.UNREADABLE, id,
                    "the store's certificate cannot be parsed", malformed);
        }
    }

    /**
     * The engine for the key type and hash. RSA-PSS: MGF1 with the same hash and the salt
     * length Python cryptography's {@code PSS.MAX_LENGTH} gives, {@code emLen - hLen - 2} with
     * {@code emLen = ceil((modBits - 1) / 8)} (RFC 8017, 9.1.1); Bouncy Castle checks the salt
     * length exactly, as OpenSSL does for a fixed length.
     */
    private static Signature engine(String image, ImageSignature signature, PublicKey key) {
        String id = signature.certificateId();
        SignatureHashMethod hash = signature.hashMethod();
        try {
            Signature engine = Signature.getInstance(signature.keyType().jcaAlgorithm(hash), BouncyCastle.PROVIDER);
            if (signature.keyType() == SignatureKeyType.RSA_PSS) {
                int modulusBits = ((RSAPublicKey) key).getModulus().bitLength();
                int saltLength = (modulusBits - 1 + 7) / 8 - hash.digestLength() - 2;
                if (saltLength < 0) {
                    throw refused(image, SigningCertificateException.Reason.KEY_TYPE_MISMATCH, id,
                            "an RSA key of " + modulusBits + " bits is too small for PSS with "
                                    + hash.propertyValue());
                }
                engine.setParameter(new PSSParameterSpec(hash.jcaDigestName(), "MGF1",
                        new MGF1ParameterSpec(hash.jcaDigestName()), saltLength, PSSParameterSpec.TRAILER_FIELD_BC));
            }
            engine.initVerify(key);
            return engine;
        } catch (InvalidKeyException unusable) {
            throw new SigningCertificateException(image, SigningCertificateException.Reason.KEY_TYPE_MISMATCH, id,
                    "the certificate's key cannot verify " + signature.keyType().propertyValue() + " signatures",
                    unusable);
        } catch (GeneralSecurityException unavailable) {
            throw new SignatureVerificationException("image '" + image + "': no " + hash.propertyValue() + " "
                    + signature.keyType().propertyValue() + " verifier in Bouncy Castle", unavailable);
        }
    }

    private static String describe(PublicKey key, SignatureKeyType expected) {
        if (expected.curveName().isPresent() && key instanceof java.security.interfaces.ECPublicKey) {
            return "an EC key on another curve or with explicit parameters";
        }
        return "a " + key.getAlgorithm() + " key";
    }

    private static SigningCertificateException refused(String image, SigningCertificateException.Reason reason,
            String id, String detail) {
        return new SigningCertificateException(image, reason, id, detail, null);
    }
}
