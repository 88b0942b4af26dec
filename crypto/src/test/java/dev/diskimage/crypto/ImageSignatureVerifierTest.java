package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.SignatureVerificationException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Signing and verifying image data for every key type and hash cursive supports, fed in odd
 * chunks as a download would, and every way the data, the properties or the certificate can
 * make verification fail.
 */
class ImageSignatureVerifierTest {
    private static final Clock CLOCK = Clock.fixed(TestSigner.NOW, ZoneOffset.UTC);
    /** Chunk sizes that are not block sizes of any hash, and a one-byte one. */
    private static final int[] CHUNKS = {1, 7, 4093, 65537, 3};

    @TempDir
    Path dir;

    private CertificateStore store;
    private byte[] data;

    @BeforeEach
    void setUp() {
        store = CertificateStore.directory(dir);
        data = new byte[300_001];
        new Random(42).nextBytes(data);
    }

    static Stream<Arguments> everyKeyTypeAndHash() {
        Stream<Arguments> rsa = Arrays.stream(SignatureHashMethod.values())
                .map(hash -> Arguments.of(SignatureKeyType.RSA_PSS, hash));
        Stream<Arguments> dsa = Arrays.stream(SignatureHashMethod.values())
                .map(hash -> Arguments.of(SignatureKeyType.DSA, hash));
        Stream<Arguments> ecc = Arrays.stream(SignatureKeyType.values()).filter(t -> t.curveName().isPresent())
                .flatMap(type -> Stream.of(Arguments.of(type, SignatureHashMethod.SHA_256),
                        Arguments.of(type, SignatureHashMethod.SHA_512)));
        return Stream.of(rsa, dsa, ecc).flatMap(s -> s);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("everyKeyTypeAndHash")
    void verifiesDataStreamedInOddChunksAndRefusesItTampered(SignatureKeyType type, SignatureHashMethod hash)
            throws Exception {
        ImageSignature signature = signedWithSelfSigned(type, hash, data);

        ImageSignatureVerifier verifier = prepare(signature);
        feedInOddChunks(verifier, data);
        verifier.verify();

        byte[] tampered = data.clone();
        tampered[150_000] ^= 0x01;
        ImageSignatureVerifier again = prepare(signature);
        feedInOddChunks(again, tampered);
        assertThatThrownBy(again::verify).isInstanceOf(SignatureMismatchException.class)
                .isInstanceOf(SignatureVerificationException.class)
                .hasMessageContaining("image 'cirros'").hasMessageContaining("does not match the image data");
    }

    @ParameterizedTest
    @EnumSource(SignatureKeyType.class)
    void aSignatureMadeWithAnotherHashThanThePropertyNamesFails(SignatureKeyType type) throws Exception {
        byte[] signed = TestSigner.sign(type, SignatureHashMethod.SHA_256, data);
        String uuid = TestSigner.store(dir, selfSigned(type));
        ImageSignature claimsSha384 = ImageSignature.fromProperties(
                TestSigner.properties(signed, SignatureHashMethod.SHA_384, type, uuid)).orElseThrow();

        ImageSignatureVerifier verifier = prepare(claimsSha384);
        verifier.update(data, 0, data.length);

        assertThatThrownBy(verifier::verify).isInstanceOf(SignatureMismatchException.class);
    }

    @Test
    void dataFedAsByteBuffersVerifiesLikeArrays() throws Exception {
        ImageSignature signature = signedWithSelfSigned(SignatureKeyType.ECC_SECP384R1, SignatureHashMethod.SHA_384,
                data);
        ImageSignatureVerifier verifier = prepare(signature);
        ByteBuffer direct = ByteBuffer.allocateDirect(data.length);
        direct.put(data, 0, 1000).flip();
        verifier.update(direct);
        assertThat(direct.hasRemaining()).isFalse();
        verifier.update(ByteBuffer.wrap(data, 1000, data.length - 1000));

        verifier.verify();
    }

    @Test
    void tamperedDataFedAsByteBuffersFailsNamingWhatWasFed() throws Exception {
        ImageSignature signature = signedWithSelfSigned(SignatureKeyType.ECC_SECP384R1, SignatureHashMethod.SHA_384,
                data);
        ImageSignatureVerifier verifier = prepare(signature);
        verifier.update(ByteBuffer.wrap(data, 0, 1000));
        verifier.update(ByteBuffer.wrap(data, 1001, 500));

        assertThatThrownBy(verifier::verify).isInstanceOf(SignatureMismatchException.class)
                .hasMessageContaining(", 1500 bytes)");
    }

    @Test
    void anEmptyImageCanBeSignedAndVerified() throws Exception {
        ImageSignature signature = signedWithSelfSigned(SignatureKeyType.RSA_PSS, SignatureHashMethod.SHA_256,
                new byte[0]);
        ImageSignatureVerifier verifier = prepare(signature);
        verifier.update(new byte[10], 5, 0);

        verifier.verify();
    }

    @Test
    void truncatedDataFails() throws Exception {
        ImageSignature signature = signedWithSelfSigned(SignatureKeyType.DSA, SignatureHashMethod.SHA_256, data);
        ImageSignatureVerifier verifier = prepare(signature);
        verifier.update(data, 0, data.length - 1);

        assertThatThrownBy(verifier::verify).isInstanceOf(SignatureMismatchException.class)
                .hasMessageContaining(", " + (data.length - 1) + " bytes)");
    }

    @Test
    void garbageInPlaceOfADerSignatureIsAMismatchNamingTheKeyType() throws Exception {
        String uuid = TestSigner.store(dir, selfSigned(SignatureKeyType.ECC_SECP521R1));
        ImageSignature garbage = ImageSignature.fromProperties(TestSigner.properties(new byte[] {1, 2, 3, 4},
                SignatureHashMethod.SHA_256, SignatureKeyType.ECC_SECP521R1, uuid)).orElseThrow();
        ImageSignatureVerifier verifier = prepare(garbage);
        verifier.update(data, 0, data.length);

        assertThatThrownBy(verifier::verify).isInstanceOf(SignatureMismatchException.class)
                .hasMessageContaining("ECC_SECP521R1");
    }

    @Test
    void aSignatureFromAnotherKeyOfTheSameTypeFails() throws Exception {
        KeyPair other = TestSigner.rsa(2048);
        byte[] signed = TestSigner.sign(other.getPrivate(), other.getPublic(), SignatureKeyType.RSA_PSS,
                SignatureHashMethod.SHA_256, data);
        String uuid = TestSigner.store(dir, selfSigned(SignatureKeyType.RSA_PSS));
        ImageSignatureVerifier verifier = prepare(ImageSignature.fromProperties(
                TestSigner.properties(signed, SignatureHashMethod.SHA_256, SignatureKeyType.RSA_PSS, uuid)).orElseThrow());
        verifier.update(data, 0, data.length);

        assertThatThrownBy(verifier::verify).isInstanceOf(SignatureMismatchException.class);
    }

    @Test
    void rsaPssSaltIsTheMaximumEvenWhenTheModulusIsOneBitPastAByte() throws Exception {
        // 2049 bits: emLen = ceil(2048 / 8) = 256 bytes, one less than the modulus' 257
        KeyPair odd = TestSigner.rsa(2049);
        X509Certificate certificate = TestSigner.certificate("odd", odd).issue();
        String uuid = TestSigner.store(dir, certificate);
        byte[] signed = TestSigner.sign(odd.getPrivate(), odd.getPublic(), SignatureKeyType.RSA_PSS,
                SignatureHashMethod.SHA_512, data);
        ImageSignatureVerifier verifier = prepare(ImageSignature.fromProperties(
                TestSigner.properties(signed, SignatureHashMethod.SHA_512, SignatureKeyType.RSA_PSS, uuid)).orElseThrow());
        verifier.update(data, 0, data.length);

        verifier.verify();
        assertThat(TestSigner.maxSalt((java.security.interfaces.RSAPublicKey) odd.getPublic(),
                SignatureHashMethod.SHA_512)).isEqualTo(256 - 64 - 2);
    }

    @Test
    void verifyRunsOnceAndNothingIsFedAfterIt() throws Exception {
        ImageSignature signature = signedWithSelfSigned(SignatureKeyType.RSA_PSS, SignatureHashMethod.SHA_224, data);
        ImageSignatureVerifier verifier = prepare(signature);
        verifier.update(data, 0, data.length);
        verifier.verify();

        assertThatThrownBy(verifier::verify).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> verifier.update(data, 0, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> verifier.update(ByteBuffer.wrap(data))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aRangeOutsideTheArrayIsRefused() throws Exception {
        ImageSignatureVerifier verifier = prepare(signedWithSelfSigned(SignatureKeyType.DSA,
                SignatureHashMethod.SHA_256, data));

        assertThatThrownBy(() -> verifier.update(data, data.length - 1, 2))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> verifier.update(data, -1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void theVerifierExposesWhatItChecked() throws Exception {
        ImageSignature signature = signedWithSelfSigned(SignatureKeyType.ECC_SECT409K1, SignatureHashMethod.SHA_256,
                data);
        ImageSignatureVerifier verifier = prepare(signature);

        assertThat(verifier.signature()).isEqualTo(signature);
        assertThat(verifier.certificate().getSubjectX500Principal().getName()).contains("CN=ECC_SECT409K1");
    }

    static Stream<Arguments> mismatchedKeys() {
        return Stream.of(Arguments.of(SignatureKeyType.RSA_PSS, SignatureKeyType.DSA),
                Arguments.of(SignatureKeyType.DSA, SignatureKeyType.ECC_SECP384R1),
                Arguments.of(SignatureKeyType.ECC_SECP384R1, SignatureKeyType.RSA_PSS),
                Arguments.of(SignatureKeyType.ECC_SECP521R1, SignatureKeyType.ECC_SECP384R1),
                Arguments.of(SignatureKeyType.ECC_SECT571K1, SignatureKeyType.ECC_SECT571R1),
                Arguments.of(SignatureKeyType.ECC_SECT409R1, SignatureKeyType.ECC_SECT409K1));
    }

    @ParameterizedTest(name = "image says {0}, certificate holds {1}")
    @MethodSource("mismatchedKeys")
    void aKeyTypeTheCertificatesKeyIsNotIsRefusedBeforeAnyData(SignatureKeyType claimed, SignatureKeyType actual)
            throws Exception {
        String uuid = TestSigner.store(dir, selfSigned(actual));
        ImageSignature signature = ImageSignature.fromProperties(
                TestSigner.properties(new byte[64], SignatureHashMethod.SHA_256, claimed, uuid)).orElseThrow();

        assertThatThrownBy(() -> prepare(signature)).isInstanceOfSatisfying(SigningCertificateException.class,
                e -> {
                    assertThat(e.reason()).isEqualTo(SigningCertificateException.Reason.KEY_TYPE_MISMATCH);
                    assertThat(e.certificateId()).isEqualTo(uuid);
                    assertThat(e).hasMessageContaining("image 'cirros'").hasMessageContaining(claimed.propertyValue())
                            .hasMessageContaining(claimed.curveName().isPresent() && actual.curveName().isPresent()
                                    ? "an EC key on another curve" : "holds a " + (actual == SignatureKeyType.RSA_PSS
                                            ? "RSA" : actual == SignatureKeyType.DSA ? "DSA" : "EC") + " key");
                });
    }

    @Test
    void anRsaKeyTooSmallForTheHashIsRefusedBeforeAnyData() throws Exception {
        KeyPair small = TestSigner.rsa(512);
        String uuid = TestSigner.store(dir, TestSigner.certificate("small", small).issue());
        ImageSignature signature = ImageSignature.fromProperties(
                TestSigner.properties(new byte[64], SignatureHashMethod.SHA_512, SignatureKeyType.RSA_PSS, uuid))
                .orElseThrow();

        assertThatThrownBy(() -> prepare(signature)).isInstanceOfSatisfying(SigningCertificateException.class,
                e -> assertThat(e.reason()).isEqualTo(SigningCertificateException.Reason.KEY_TYPE_MISMATCH))
                .hasMessageContaining("512 bits");
    }

    @Test
    void anRsaKeyJustLargeEnoughForAnEmptySaltIsAccepted() throws Exception {
        // 528 bits: emLen = 66 = 64 (SHA-512) + 2, so the largest salt is 0
        KeyPair tight = TestSigner.rsa(528);
        String uuid = TestSigner.store(dir, TestSigner.certificate("tight", tight).issue());
        byte[] signed = TestSigner.sign(tight.getPrivate(), tight.getPublic(), SignatureKeyType.RSA_PSS,
                SignatureHashMethod.SHA_512, data);
        ImageSignatureVerifier verifier = prepare(ImageSignature.fromProperties(
                TestSigner.properties(signed, SignatureHashMethod.SHA_512, SignatureKeyType.RSA_PSS, uuid)).orElseThrow());
        verifier.update(data, 0, data.length);

        verifier.verify();
    }

    @Test
    void anExpiredCertificateIsRefusedBeforeAnyData() throws Exception {
        KeyPair key = TestSigner.keyPair(SignatureKeyType.RSA_PSS);
        X509Certificate expired = TestSigner.certificate("old", key)
                .valid(TestSigner.NOW.minus(Duration.ofDays(400)), TestSigner.NOW.minusSeconds(1)).issue();
        ImageSignature signature = signatureFor(expired, SignatureKeyType.RSA_PSS);

        assertThatThrownBy(() -> prepare(signature)).isInstanceOfSatisfying(SigningCertificateException.class,
                e -> assertThat(e.reason()).isEqualTo(SigningCertificateException.Reason.EXPIRED))
                .hasMessageContaining("image 'cirros'").hasMessageContaining("valid until");
    }

    @Test
    void aNotYetValidCertificateIsRefusedBeforeAnyData() throws Exception {
        KeyPair key = TestSigner.keyPair(SignatureKeyType.ECC_SECP384R1);
        X509Certificate future = TestSigner.certificate("future", key)
                .valid(TestSigner.NOW.plusSeconds(1), TestSigner.NOW.plus(Duration.ofDays(10))).issue();
        ImageSignature signature = signatureFor(future, SignatureKeyType.ECC_SECP384R1);

        assertThatThrownBy(() -> prepare(signature)).isInstanceOfSatisfying(SigningCertificateException.class,
                e -> assertThat(e.reason()).isEqualTo(SigningCertificateException.Reason.NOT_YET_VALID));
    }

    @Test
    void theValidityPeriodIncludesItsFirstAndLastInstant() throws Exception {
        KeyPair key = TestSigner.keyPair(SignatureKeyType.ECC_SECP384R1);
        X509Certificate exact = TestSigner.certificate("exact", key)
                .valid(TestSigner.NOW, TestSigner.NOW).issue();
        ImageSignature signature = signatureFor(exact, SignatureKeyType.ECC_SECP384R1);

        assertThat(prepare(signature)).isNotNull();
    }

    @Test
    void aMissingCertificateIsATypedErrorNamingTheImageAndId() throws Exception {
        String uuid = "0b6e5a4c-1f2d-4c3b-9a8e-7d6c5b4a3f21";
        ImageSignature signature = ImageSignature.fromProperties(TestSigner.properties(new byte[64],
                SignatureHashMethod.SHA_256, SignatureKeyType.RSA_PSS, uuid)).orElseThrow();

        assertThatThrownBy(() -> prepare(signature)).isInstanceOfSatisfying(SigningCertificateException.class,
                e -> {
                    assertThat(e.reason()).isEqualTo(SigningCertificateException.Reason.NOT_FOUND);
                    assertThat(e.certificateId()).isEqualTo(uuid);
                }).hasMessageStartingWith("image 'cirros': signing certificate '" + uuid + "' not found");
    }

    @Test
    void aStoreThatFailsOtherwiseIsASignatureErrorNamingTheImage() {
        CertificateStore broken = id -> {
            throw new SignatureVerificationException("key manager unavailable");
        };
        ImageSignature signature = new ImageSignature(new byte[8], SignatureHashMethod.SHA_256,
                SignatureKeyType.DSA, "id");

        assertThatThrownBy(() -> ImageSignatureVerifier.prepare("cirros", signature, broken,
                TrustPolicy.validityOnly(), CLOCK)).isExactlyInstanceOf(SignatureVerificationException.class)
                .hasMessage("image 'cirros': key manager unavailable");
    }

    @Test
    void aStoreReturningNullIsNotFound() {
        ImageSignature signature = new ImageSignature(new byte[8], SignatureHashMethod.SHA_256,
                SignatureKeyType.DSA, "id");

        assertThatThrownBy(() -> ImageSignatureVerifier.prepare("cirros", signature, id -> null,
                TrustPolicy.validityOnly(), CLOCK)).isInstanceOfSatisfying(SigningCertificateException.class,
                e -> assertThat(e.reason()).isEqualTo(SigningCertificateException.Reason.NOT_FOUND));
    }

    @Test
    void aCertificateTheJdkParsedIsReparsedSoBinaryCurveKeysWork() throws Exception {
        X509Certificate bc = selfSigned(SignatureKeyType.ECC_SECT571R1);
        X509Certificate jdk = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(bc.getEncoded()));
        byte[] signed = TestSigner.sign(SignatureKeyType.ECC_SECT571R1, SignatureHashMethod.SHA_384, data);
        ImageSignature signature = ImageSignature.fromProperties(TestSigner.properties(signed,
                SignatureHashMethod.SHA_384, SignatureKeyType.ECC_SECT571R1, "in-memory")).orElseThrow();

        ImageSignatureVerifier verifier = ImageSignatureVerifier.prepare("cirros", signature, id -> jdk,
                TrustPolicy.validityOnly(), CLOCK);
        verifier.update(data, 0, data.length);
        verifier.verify();
    }

    @Test
    void hostileImageNamesAreEscapedInMessages() throws Exception {
        ImageSignature signature = signedWithSelfSigned(SignatureKeyType.DSA, SignatureHashMethod.SHA_256, data);
        ImageSignatureVerifier verifier = ImageSignatureVerifier.prepare("evil\u001b[2J", signature, store,
                TrustPolicy.validityOnly(), CLOCK);
        verifier.update(data, 0, 10);

        assertThatThrownBy(verifier::verify).hasMessageContaining("evil\\x1b[2J").satisfies(
                e -> assertThat(e.getMessage()).doesNotContain("\u001b"));
    }

    @Test
    void messagesNeverCarryTheSignatureOrKeyBytes() throws Exception {
        ImageSignature signature = signedWithSelfSigned(SignatureKeyType.RSA_PSS, SignatureHashMethod.SHA_256, data);
        ImageSignatureVerifier verifier = prepare(signature);
        verifier.update(data, 0, 10);
        String publicKey = Base64.getEncoder().encodeToString(verifier.certificate().getPublicKey().getEncoded());
        String signatureText = Base64.getEncoder().encodeToString(signature.signature());

        assertThatThrownBy(verifier::verify).satisfies(e -> assertThat(e.getMessage())
                .doesNotContain(signatureText.substring(0, 16)).doesNotContain(publicKey.substring(40, 56)));
    }

    private ImageSignatureVerifier prepare(ImageSignature signature) {
        return ImageSignatureVerifier.prepare("cirros", signature, store, TrustPolicy.validityOnly(), CLOCK);
    }

    private static void feedInOddChunks(ImageSignatureVerifier verifier, byte[] bytes) {
        int offset = 0;
        for (int i = 0; offset < bytes.length; i++) {
            int length = Math.min(CHUNKS[i % CHUNKS.length], bytes.length - offset);
            verifier.update(bytes, offset, length);
            offset += length;
        }
    }

    private static X509Certificate selfSigned(SignatureKeyType type) {
        return TestSigner.certificate(type.name(), TestSigner.keyPair(type)).issue();
    }

    private ImageSignature signedWithSelfSigned(SignatureKeyType type, SignatureHashMethod hash, byte[] bytes)
            throws Exception {
        String uuid = TestSigner.store(dir, selfSigned(type));
        byte[] signed = TestSigner.sign(type, hash, bytes);
        return ImageSignature.fromProperties(TestSigner.properties(signed, hash, type, uuid)).orElseThrow();
    }

    private ImageSignature signatureFor(X509Certificate certificate, SignatureKeyType type) throws Exception {
        String uuid = TestSigner.store(dir, certificate);
        Map<String, String> properties = new HashMap<>(TestSigner.properties(
                TestSigner.sign(type, SignatureHashMethod.SHA_256, data), SignatureHashMethod.SHA_256, type, uuid));
        return ImageSignature.fromProperties(properties).orElseThrow();
    }
}
