package dev.diskimage.crypto;

import java.security.PublicKey;
import java.security.interfaces.DSAPublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Locale;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * The kind of key an image was signed with: the closed set of values the Glance property
 * {@code img_signature_key_type} takes (cursive's registered {@code SignatureKeyType}s). The
 * elliptic curves are the ones cursive lists, all of at least 384 bits; the binary
 * {@code sect} curves come from Bouncy Castle, since current JDKs no longer implement them.
 *
 * <p>The signing certificate's public key must be of this type. For the {@code ECC_*} types
 * the key must also be on the named curve; cursive only checks that the key is an elliptic
 * curve key, which would let a certificate with a smaller curve stand in for the one the
 * image names.
 */
public enum SignatureKeyType {
    /** RSA with PSS padding: MGF1 with the signature's hash, the largest salt the key allows. */
    RSA_PSS("RSA-PSS", null),
    /** DSA (FIPS 186-4), signature DER-encoded as in RFC 3279. */
    DSA("DSA", null),
    /** ECDSA on NIST P-384 (SEC 2 secp384r1). */
    ECC_SECP384R1("ECC_SECP384R1", SECObjectIdentifiers.secp384r1),
    /** ECDSA on NIST P-521 (SEC 2 secp521r1). */
    ECC_SECP521R1("ECC_SECP521R1", SECObjectIdentifiers.secp521r1),
    /** ECDSA on the binary Koblitz curve sect409k1 (SEC 2, NIST K-409). */
    ECC_SECT409K1("ECC_SECT409K1", SECObjectIdentifiers.sect409k1),
    /** ECDSA on the binary curve sect409r1 (SEC 2, NIST B-409). */
    ECC_SECT409R1("ECC_SECT409R1", SECObjectIdentifiers.sect409r1),
    /** ECDSA on the binary Koblitz curve sect571k1 (SEC 2, NIST K-571). */
    ECC_SECT571K1("ECC_SECT571K1", SECObjectIdentifiers.sect571k1),
    /** ECDSA on the binary curve sect571r1 (SEC 2, NIST B-571). */
    ECC_SECT571R1("ECC_SECT571R1", SECObjectIdentifiers.sect571r1);

    /** The value of {@code img_signature_key_type}. */
    private final String propertyValue;
    /** The named curve an ECC key must be on; null for RSA and DSA. */
    private final ASN1ObjectIdentifier curve;

    SignatureKeyType(String propertyValue, ASN1ObjectIdentifier curve) {
        this.propertyValue = propertyValue;
        this.curve = curve;
    }

    /**
     * The key type a property value names, compared exactly as cursive does.
     *
     * @param value the value of {@code img_signature_key_type}; may be null
     * @return the key type, or empty when the value names none of the supported types
     */
    public static Optional<SignatureKeyType> fromPropertyValue(String value) {
        for (SignatureKeyType type : values()) {
            if (type.propertyValue.equals(value)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    /**
     * The value Glance stores in {@code img_signature_key_type} for this type.
     *
     * @return e.g. {@code RSA-PSS} or {@code ECC_SECT571K1}
     */
    public String propertyValue() {
        return propertyValue;
    }

    /**
     * The SEC 2 name of the curve for the {@code ECC_*} types.
     *
     * @return e.g. {@code sect409k1}; empty for {@link #RSA_PSS} and {@link #DSA}
     */
    public Optional<String> curveName() {
        return curve == null
                ? Optional.empty()
                : Optional.of(name().substring("ECC_".length()).toLowerCase(Locale.ROOT));
    }

    /** Whether {@code key} is a key of this type (and, for ECC, on this curve). */
    boolean matches(PublicKey key) {
        return switch (this) {
            case RSA_PSS -> key instanceof RSAPublicKey;
            case DSA -> key instanceof DSAPublicKey;
            default -> key instanceof ECPublicKey && curve.equals(namedCurve(key));
        };
    }

    /** The JCA name of the signature algorithm for this key type and {@code hash}. */
    String jcaAlgorithm(SignatureHashMethod hash) {
        return switch (this) {
            case RSA_PSS -> hash.jcaPrefix() + "withRSAandMGF1";
            case DSA -> hash.jcaPrefix() + "withDSA";
            default -> hash.jcaPrefix() + "withECDSA";
        };
    }

    /**
     * The named curve in an EC key's SubjectPublicKeyInfo (RFC 5480, 2.1.1), or null when the
     * key has explicit parameters or is not an EC key: explicit parameters are refused rather
     * than compared, as RFC 5480 forbids them in certificates.
     */
    private static ASN1ObjectIdentifier namedCurve(PublicKey key) {
        byte[] encoded = key.getEncoded();
        if (encoded == null) {
            return null;
        }
        try {
            SubjectPublicKeyInfo info = SubjectPublicKeyInfo.getInstance(encoded);
            if (!X9ObjectIdentifiers.id_ecPublicKey.equals(info.getAlgorithm().getAlgorithm())) {
                return null;
            }
            X962Parameters parameters = X962Parameters.getInstance(info.getAlgorithm().getParameters());
            return parameters.isNamedCurve() ? ASN1ObjectIdentifier.getInstance(parameters.getParameters()) : null;
        } catch (IllegalArgumentException | IllegalStateException malformed) {
            return null;
        }
    }
}
