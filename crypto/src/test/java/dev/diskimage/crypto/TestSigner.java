package dev.diskimage.crypto;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.EnumMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Test support: keys of every {@link SignatureKeyType}, certificates (self-signed or issued by
 * another, with or without CA basic constraints, keyCertSign, a path length, any validity
 * period) built with Bouncy Castle's {@link X509v3CertificateBuilder}, and signatures made the
 * way Glance's documentation tells users to make them. Key pairs are generated once per JVM.
 */
final class TestSigner {
    /** A Bouncy Castle provider of the tests' own, so signing does not share state with the code under test. */
    static final Provider BC = new BouncyCastleProvider();
    /** The moment test certificates are valid around. */
    static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

    private static final Map<SignatureKeyType, KeyPair> KEYS = new EnumMap<>(SignatureKeyType.class);
    private static final AtomicLong SERIAL = new AtomicLong(1000);

    private TestSigner() {
    }

    /** A key pair of this type: RSA 2048 bits, DSA 2048 bits (q 256), EC on the type's curve. Cached. */
    static synchronized KeyPair keyPair(SignatureKeyType type) {
        return KEYS.computeIfAbsent(type, TestSigner::generate);
    }

    private static KeyPair generate(SignatureKeyType type) {
        try {
            if (type == SignatureKeyType.RSA_PSS) {
                return rsa(2048);
            }
            if (type == SignatureKeyType.DSA) {
                // the JDK's precomputed 2048-bit parameters: generating them would take seconds
                KeyPairGenerator generator = KeyPairGenerator.getInstance("DSA", "SUN");
                generator.initialize(2048);
                return generator.generateKeyPair();
            }
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", BC);
            generator.initialize(new ECGenParameterSpec(type.curveName().orElseThrow()));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fresh RSA key pair of {@code bits}, from the JDK. */
    static KeyPair rsa(int bits) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(bits);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Signs {@code data} as cursive expects: RSA-PSS through the JDK's own RSASSA-PSS (not the
     * Bouncy Castle code that verifies) with MGF1 of the same hash and the maximum salt computed
     * here from RFC 8017; DSA and ECDSA through Bouncy Castle, DER-encoded.
     */
    static byte[] sign(PrivateKey key, PublicKey publicKey, SignatureKeyType type, SignatureHashMethod hash,
            byte[] data) {
        try {
            Signature signer;
            if (type == SignatureKeyType.RSA_PSS) {
                signer = Signature.getInstance("RSASSA-PSS", "SunRsaSign");
                signer.setParameter(new PSSParameterSpec(hash.jcaDigestName(), "MGF1",
                        new MGF1ParameterSpec(hash.jcaDigestName()), maxSalt((RSAPublicKey) publicKey, hash), 1));
            } else {
                signer = Signature.getInstance(hash.jcaDigestName().replace("-", "")
                        + (type == SignatureKeyType.DSA ? "withDSA" : "withECDSA"), BC);
            }
            signer.initSign(key);
            signer.update(data);
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** RFC 8017, 9.1.1: emLen = ceil((modBits - 1) / 8); the largest salt is emLen - hLen - 2. */
    static int maxSalt(RSAPublicKey key, SignatureHashMethod hash) {
        int emBits = key.getModulus().bitLength() - 1;
        return (emBits + 7) / 8 - hash.digestLength() - 2;
    }

    /** Signs with the cached key pair of {@code type}. */
    static byte[] sign(SignatureKeyType type, SignatureHashMethod hash, byte[] data) {
        KeyPair pair = keyPair(type);
        return sign(pair.getPrivate(), pair.getPublic(), type, hash, data);
    }

    /** A builder for a certificate holding {@code key}, named {@code cn}. */
    static CertificateSpec certificate(String cn, KeyPair key) {
        return new CertificateSpec(cn, key);
    }

    /** The Glance properties for a signature over {@code data}. */
    static Map<String, String> properties(byte[] signature, SignatureHashMethod hash, SignatureKeyType type,
            String certificateId) {
        return Map.of(ImageSignature.SIGNATURE, Base64.getEncoder().encodeToString(signature),
                ImageSignature.HASH_METHOD, hash.propertyValue(), ImageSignature.KEY_TYPE, type.propertyValue(),
                ImageSignature.CERTIFICATE_UUID, certificateId);
    }

    /** Writes {@code certificate} as {@code <uuid>.pem} in {@code directory}; returns the uuid. */
    static String store(Path directory, X509Certificate certificate) throws IOException, GeneralSecurityException {
        String uuid = UUID.randomUUID().toString();
        Files.writeString(directory.resolve(uuid + ".pem"), pem("CERTIFICATE", certificate.getEncoded()));
        return uuid;
    }

    /** PEM text of a DER structure. */
    static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    /** PEM of a private key (PKCS#8), for openssl. */
    static String pem(Key key) {
        return pem("PRIVATE KEY", key.getEncoded());
    }

    /** What a test certificate looks like; {@link #issue()} builds it. */
    static final class CertificateSpec {
        private final String cn;
        private final KeyPair key;
        private X509Certificate issuer;
        private PrivateKey issuerKey;
        private boolean basicConstraints;
        private boolean ca;
        private Integer pathLength;
        private boolean keyUsage = true;
        private boolean keyCertSign;
        private Instant notBefore = NOW.minus(Duration.ofDays(30));
        private Instant notAfter = NOW.plus(Duration.ofDays(365));

        private CertificateSpec(String cn, KeyPair key) {
            this.cn = cn;
            this.key = key;
        }

        /** Issued by {@code issuer} (signed with its key) instead of self-signed. */
        CertificateSpec issuedBy(X509Certificate issuer, PrivateKey issuerKey) {
            this.issuer = issuer;
            this.issuerKey = issuerKey;
            return this;
        }

        /** A CA: basic constraints CA true (no path length) and key usage keyCertSign. */
        CertificateSpec ca() {
            basicConstraints = true;
            ca = true;
            keyCertSign = true;
            return this;
        }

        /** A CA whose path length constraint is {@code length}. */
        CertificateSpec ca(int length) {
            ca();
            pathLength = length;
            return this;
        }

        /** Drops the basic constraints extension (key usage stays as set). */
        CertificateSpec withoutBasicConstraints() {
            basicConstraints = false;
            return this;
        }

        /** Basic constraints present with CA false. */
        CertificateSpec notCa() {
            basicConstraints = true;
            ca = false;
            pathLength = null;
            return this;
        }

        /** Key usage without keyCertSign. */
        CertificateSpec withoutKeyCertSign() {
            keyCertSign = false;
            return this;
        }

        /** No key usage extension at all. */
        CertificateSpec withoutKeyUsage() {
            keyUsage = false;
            return this;
        }

        /** Valid from {@code from} to {@code to}. */
        CertificateSpec valid(Instant from, Instant to) {
            notBefore = from;
            notAfter = to;
            return this;
        }

        X509Certificate issue() {
            X500Principal subject = new X500Principal("CN=" + cn + ",O=diskimage tests");
            X500Principal issuerName = issuer == null ? subject : issuer.getSubjectX500Principal();
            PrivateKey signingKey = issuer == null ? key.getPrivate() : issuerKey;
            try {
                X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName,
                        BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(notBefore), Date.from(notAfter), subject,
                        key.getPublic());
                if (basicConstraints) {
                    builder.addExtension(Extension.basicConstraints, true, pathLength != null
                            ? new BasicConstraints(pathLength) : new BasicConstraints(ca));
                }
                if (keyUsage) {
                    int usage = KeyUsage.digitalSignature | (keyCertSign ? KeyUsage.keyCertSign | KeyUsage.cRLSign : 0);
                    builder.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
                }
                JcaContentSignerBuilder signer = new JcaContentSignerBuilder(certificateAlgorithm(signingKey))
                        .setProvider(BC);
                return new JcaX509CertificateConverter().setProvider(BC)
                        .getCertificate(builder.build(signer.build(signingKey)));
            } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
                throw new IllegalStateException(e);
            }
        }

        private static String certificateAlgorithm(PrivateKey key) {
            return switch (key.getAlgorithm()) {
                case "RSA" -> "SHA256withRSA";
                case "DSA" -> "SHA256withDSA";
                default -> "SHA384withECDSA";
            };
        }
    }
}
