package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificate chains under {@link TrustPolicy#trusting}: cursive's checks (issuer by name and
 * signature among the trusted certificates, CA with keyCertSign, validity, path length, a
 * self-signed trusted root at the end), each refusal with its reason.
 */
class TrustPolicyTest {
    private static final Clock CLOCK = Clock.fixed(TestSigner.NOW, ZoneOffset.UTC);
    private static final SignatureKeyType TYPE = SignatureKeyType.ECC_SECP384R1;

    @TempDir
    Path dir;

    private byte[] data;
    private KeyPair rootKey;
    private KeyPair intermediateKey;
    private KeyPair leafKey;
    private X509Certificate root;

    @BeforeEach
    void setUp() throws Exception {
        data = new byte[10_000];
        new Random(7).nextBytes(data);
        rootKey = newKey();
        intermediateKey = newKey();
        leafKey = newKey();
        root = TestSigner.certificate("root", rootKey).ca().issue();
    }

    private static KeyPair newKey() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", TestSigner.BC);
        generator.initialize(new ECGenParameterSpec("secp384r1"));
        return generator.generateKeyPair();
    }

    private X509Certificate leafUnder(X509Certificate issuer, KeyPair issuerKey) {
        return TestSigner.certificate("leaf", leafKey).issuedBy(issuer, issuerKey.getPrivate()).issue();
    }

    private X509Certificate intermediate(TestSigner.CertificateSpec spec) {
        return spec.issuedBy(root, rootKey.getPrivate()).issue();
    }

    /** Prepares and verifies data signed with the leaf key, whose certificate is {@code leaf}. */
    private void verify(X509Certificate leaf, TrustPolicy policy) throws Exception {
        String uuid = TestSigner.store(dir, leaf);
        byte[] signed = TestSigner.sign(leafKey.getPrivate(), leafKey.getPublic(), TYPE, SignatureHashMethod.SHA_384,
                data);
        ImageSignature signature = ImageSignature.fromProperties(
                TestSigner.properties(signed, SignatureHashMethod.SHA_384, TYPE, uuid)).orElseThrow();
        ImageSignatureVerifier verifier = ImageSignatureVerifier.prepare("cirros", signature,
                CertificateStore.directory(dir), policy, CLOCK);
        verifier.update(data, 0, data.length);
        verifier.verify();
    }

    private void assertRefused(X509Certificate leaf, TrustPolicy policy, SigningCertificateException.Reason reason) {
        assertThatThrownBy(() -> verify(leaf, policy)).isInstanceOfSatisfying(SigningCertificateException.class,
                e -> assertThat(e.reason()).isEqualTo(reason)).hasMessageContaining("image 'cirros'");
    }

    @Test
    void aChainThroughATrustedIntermediateToATrustedRootPasses() throws Exception {
        X509Certificate intermediate = intermediate(TestSigner.certificate("intermediate", intermediateKey).ca());

        verify(leafUnder(intermediate, intermediateKey), TrustPolicy.trusting(List.of(root, intermediate)));
    }

    @Test
    void aLeafDirectlyUnderATrustedRootPasses() throws Exception {
        verify(leafUnder(root, rootKey), TrustPolicy.trusting(List.of(root)));
    }

    @Test
    void theOrderOfTheTrustedCertificatesDoesNotMatter() throws Exception {
        X509Certificate intermediate = intermediate(TestSigner.certificate("intermediate", intermediateKey).ca());

        verify(leafUnder(intermediate, intermediateKey), TrustPolicy.trusting(List.of(intermediate, root)));
    }

    @Test
    void aChainToAnUntrustedCaFails() throws Exception {
        KeyPair otherKey = newKey();
        X509Certificate other = TestSigner.certificate("other root", otherKey).ca().issue();

        assertRefused(leafUnder(root, rootKey), TrustPolicy.trusting(List.of(other)),
                SigningCertificateException.Reason.UNTRUSTED);
    }

    @Test
    void anIntermediateMissingFromTheTrustedSetFailsAsInCursive() {
        X509Certificate intermediate = intermediate(TestSigner.certificate("intermediate", intermediateKey).ca());

        assertRefused(leafUnder(intermediate, intermediateKey), TrustPolicy.trusting(List.of(root)),
                SigningCertificateException.Reason.UNTRUSTED);
    }

    @Test
    void aTrustedIntermediateWithoutItsRootFails() {
        X509Certificate intermediate = intermediate(TestSigner.certificate("intermediate", intermediateKey).ca());

        assertRefused(leafUnder(intermediate, intermediateKey), TrustPolicy.trusting(List.of(intermediate)),
                SigningCertificateException.Reason.UNTRUSTED);
    }

    @Test
    void anImpostorRootWithTheSameNameButAnotherKeyIsNoIssuer() throws Exception {
        X509Certificate impostor = TestSigner.certificate("root", newKey()).ca().issue();

        assertRefused(leafUnder(root, rootKey), TrustPolicy.trusting(List.of(impostor)),
                SigningCertificateException.Reason.UNTRUSTED);
    }

    @Test
    void anIntermediateWithoutBasicConstraintsFails() {
        X509Certificate intermediate = intermediate(TestSigner.certificate("intermediate", intermediateKey).ca()
                .withoutBasicConstraints());

        assertRefused(leafUnder(intermediate, intermediateKey), TrustPolicy.trusting(List.of(root, intermediate)),
                SigningCertificateException.Reason.ISSUER_NOT_A_CA);
    }

    @Test
    void anIntermediateMarkedNotCaFails() {
        X509Certificate intermediate = intermediate(TestSigner.certificate("intermediate", intermediateKey).ca()
                .notCa());

        assertRefused(leafUnder(intermediate, intermediateKey), TrustPolicy.trusting(List.of(root, intermediate)),
                SigningCertificateException.Reason.ISSUER_NOT_A_CA);
    }

    @Test
    void anIntermediateWithoutKeyCertSignFails() {
        X509Certificate intermediate = intermediate(TestSigner.certificate("intermediate", intermediateKey).ca()
                .withoutKeyCertSign());

        assertRefused(leafUnder(intermediate, intermediateKey), TrustPolicy.trusting(List.of(root, intermediate)),
                SigningCertificateException.Reason.ISSUER_NOT_A_CA);
    }

    @Test
    void anIntermediateWithoutKeyUsageFails() {
        X509Certificate intermediate = intermediate(TestSigner.certificate("intermediate", intermediateKey).ca()
                .withoutKeyUsage());

        assertRefused(leafUnder(intermediate, intermediateKey), TrustPolicy.trusting(List.of(root, intermediate)),
                SigningCertificateException.Reason.ISSUER_NOT_A_CA);
    }

    @Test
    void aRootWithoutKeyCertSignFails() throws Exception {
        X509Certificate weakRoot = TestSigner.certificate("weak root", rootKey).ca().withoutKeyCertSign().issue();

        assertRefused(leafUnder(weakRoot, rootKey), TrustPolicy.trusting(List.of(weakRoot)),
                SigningCertificateException.Reason.ISSUER_NOT_A_CA);
    }

    @Test
    void aRootWithPathLengthZeroCannotHaveAnIntermediate() throws Exception {
        root = TestSigner.certificate("root", rootKey).ca(0).issue();
        X509Certificate intermediate = intermediate(TestSigner.certificate("intermediate", intermediateKey).ca());

        assertRefused(leafUnder(intermediate, intermediateKey), TrustPolicy.trusting(List.of(root, intermediate)),
                SigningCertificateException.Reason.PATH_LENGTH_EXCEEDED);
        verify(leafUnder(root, rootKey), TrustPolicy.trusting(List.of(root)));
    }

    @Test
    void pathLengthsAllowExactlyTheIntermediatesBelow() throws Exception {
        root = TestSigner.certificate("root", rootKey).ca(1).issue();
        X509Certificate intermediate = intermediate(TestSigner.certificate("intermediate", intermediateKey).ca(0));

        verify(leafUnder(intermediate, intermediateKey), TrustPolicy.trusting(List.of(root, intermediate)));

        KeyPair secondKey = newKey();
        X509Certificate second = TestSigner.certificate("second", secondKey).ca()
                .issuedBy(intermediate, intermediateKey.getPrivate()).issue();
        assertRefused(leafUnder(second, secondKey), TrustPolicy.trusting(List.of(root, intermediate, second)),
                SigningCertificateException.Reason.PATH_LENGTH_EXCEEDED);
    }

    @Test
    void aRootWithPathLengthOneRefusesTwoIntermediates() throws Exception {
        root = TestSigner.certificate("root", rootKey).ca(1).issue();
        X509Certificate intermediate = intermediate(TestSigner.certificate("intermediate", intermediateKey).ca());
        KeyPair secondKey = newKey();
        X509Certificate second = TestSigner.certificate("second", secondKey).ca()
                .issuedBy(intermediate, intermediateKey.getPrivate()).issue();

        assertThatThrownBy(() -> verify(leafUnder(second, secondKey),
                TrustPolicy.trusting(List.of(root, intermediate, second))))
                .isInstanceOfSatisfying(SigningCertificateException.class, e -> assertThat(e.reason())
                        .isEqualTo(SigningCertificateException.Reason.PATH_LENGTH_EXCEEDED))
                .hasMessageContaining("CN=root").hasMessageContaining("allows 1");
    }

    @Test
    void anExpiredIntermediateFails() {
        X509Certificate intermediate = intermediate(TestSigner.certificate("intermediate", intermediateKey).ca()
                .valid(TestSigner.NOW.minus(Duration.ofDays(100)), TestSigner.NOW.minus(Duration.ofDays(1))));

        assertRefused(leafUnder(intermediate, intermediateKey), TrustPolicy.trusting(List.of(root, intermediate)),
                SigningCertificateException.Reason.ISSUER_NOT_VALID_NOW);
    }

    @Test
    void aNotYetValidRootFails() {
        root = TestSigner.certificate("root", rootKey).ca()
                .valid(TestSigner.NOW.plus(Duration.ofDays(1)), TestSigner.NOW.plus(Duration.ofDays(100))).issue();

        assertRefused(leafUnder(root, rootKey), TrustPolicy.trusting(List.of(root)),
                SigningCertificateException.Reason.ISSUER_NOT_VALID_NOW);
    }

    @Test
    void aRenewedRootWithTheSameNameAndKeyIsUsedWhenTheOldOneExpired() throws Exception {
        X509Certificate expiredRoot = TestSigner.certificate("root", rootKey).ca()
                .valid(TestSigner.NOW.minus(Duration.ofDays(100)), TestSigner.NOW.minus(Duration.ofDays(1))).issue();

        verify(leafUnder(root, rootKey), TrustPolicy.trusting(List.of(expiredRoot, root)));
    }

    @Test
    void aTrustedSelfSignedSigningCertificateMustBeACaAsInCursive() throws Exception {
        X509Certificate selfSigned = TestSigner.certificate("self", leafKey).issue();
        assertRefused(selfSigned, TrustPolicy.trusting(List.of(selfSigned)),
                SigningCertificateException.Reason.ISSUER_NOT_A_CA);

        X509Certificate selfSignedCa = TestSigner.certificate("self ca", leafKey).ca().issue();
        verify(selfSignedCa, TrustPolicy.trusting(List.of(selfSignedCa)));
    }

    @Test
    void anUntrustedSelfSignedSigningCertificateFails() {
        X509Certificate selfSigned = TestSigner.certificate("self", leafKey).ca().issue();

        assertRefused(selfSigned, TrustPolicy.trusting(List.of(root)), SigningCertificateException.Reason.UNTRUSTED);
    }

    @Test
    void crossSignedCertificatesThatNeverReachARootAreRefusedNotFollowedForever() throws Exception {
        KeyPair aKey = newKey();
        KeyPair bKey = newKey();
        X509Certificate bSelf = TestSigner.certificate("b", bKey).ca().issue();
        X509Certificate a = TestSigner.certificate("a", aKey).ca().issuedBy(bSelf, bKey.getPrivate()).issue();
        X509Certificate b = TestSigner.certificate("b", bKey).ca().issuedBy(a, aKey.getPrivate()).issue();

        assertThatThrownBy(() -> verify(leafUnder(a, aKey), TrustPolicy.trusting(List.of(a, b))))
                .isInstanceOfSatisfying(SigningCertificateException.class, e -> assertThat(e.reason())
                        .isEqualTo(SigningCertificateException.Reason.UNTRUSTED))
                .hasMessageContaining("loops");
    }

    @Test
    void chainsOfSixteenCertificatesAreFollowedAndLongerOnesRefused() throws Exception {
        List<X509Certificate> trusted = new ArrayList<>(List.of(root));
        X509Certificate issuer = root;
        KeyPair issuerKey = rootKey;
        for (int i = 1; i <= 14; i++) {
            KeyPair key = newKey();
            issuer = TestSigner.certificate("ca " + i, key).ca().issuedBy(issuer, issuerKey.getPrivate()).issue();
            issuerKey = key;
            trusted.add(issuer);
        }
        // root + 14 intermediates + the signing certificate: 16
        verify(leafUnder(issuer, issuerKey), TrustPolicy.trusting(trusted));

        KeyPair key = newKey();
        X509Certificate fifteenth = TestSigner.certificate("ca 15", key).ca()
                .issuedBy(issuer, issuerKey.getPrivate()).issue();
        trusted.add(fifteenth);
        X509Certificate seventeenth = leafUnder(fifteenth, key);
        assertThatThrownBy(() -> verify(seventeenth, TrustPolicy.trusting(trusted)))
                .isInstanceOfSatisfying(SigningCertificateException.class, e -> assertThat(e.reason())
                        .isEqualTo(SigningCertificateException.Reason.UNTRUSTED))
                .hasMessageContaining("longer than 16");
    }

    @Test
    void theChainCountsEveryCertificateFromTheSigningOneToTheRoot() {
        X509Certificate intermediate = intermediate(TestSigner.certificate("intermediate", intermediateKey).ca());
        CertificateChain chain = new CertificateChain("cirros", "id");
        java.util.Date now = java.util.Date.from(TestSigner.NOW);

        assertThat(chain.verify(leafUnder(intermediate, intermediateKey), List.of(root, intermediate), now))
                .isEqualTo(3);
        assertThat(chain.verify(root, List.of(root), now)).isEqualTo(1);
    }

    @Test
    void theSigningCertificatesOwnDatesAreCheckedUnderEitherPolicy() {
        X509Certificate expiredLeaf = TestSigner.certificate("leaf", leafKey).issuedBy(root, rootKey.getPrivate())
                .valid(TestSigner.NOW.minus(Duration.ofDays(10)), TestSigner.NOW.minus(Duration.ofDays(1))).issue();

        assertRefused(expiredLeaf, TrustPolicy.trusting(List.of(root)), SigningCertificateException.Reason.EXPIRED);
        assertRefused(expiredLeaf, TrustPolicy.validityOnly(), SigningCertificateException.Reason.EXPIRED);
    }

    @Test
    void validityOnlyChecksNoChain() throws Exception {
        KeyPair otherKey = newKey();
        X509Certificate other = TestSigner.certificate("other root", otherKey).ca().issue();

        verify(leafUnder(other, otherKey), TrustPolicy.validityOnly());
    }

    @Test
    void trustedCertificatesCanComeFromAStoreByIdAndMissingOnesAreSkippedAsInCursive() throws Exception {
        X509Certificate intermediate = intermediate(TestSigner.certificate("intermediate", intermediateKey).ca());
        Path trustedDir = java.nio.file.Files.createDirectory(dir.resolve("trusted"));
        String rootId = TestSigner.store(trustedDir, root);
        String intermediateId = TestSigner.store(trustedDir, intermediate);
        CertificateStore trustedStore = CertificateStore.directory(trustedDir);
        String missing = "00000000-0000-4000-8000-000000000000";

        TrustPolicy policy = TrustPolicy.trusting(trustedStore, List.of(missing, rootId, "../etc", intermediateId));
        assertThat(policy.trustedCertificates()).containsExactly(root, intermediate);
        verify(leafUnder(intermediate, intermediateKey), policy);

        TrustPolicy nothing = TrustPolicy.trusting(trustedStore, List.of(missing));
        assertThat(nothing.requiresChain()).isTrue();
        assertRefused(leafUnder(root, rootKey), nothing, SigningCertificateException.Reason.UNTRUSTED);
        assertThat(TrustPolicy.trusting(id -> null, List.of("x")).trustedCertificates()).isEmpty();
    }

    @Test
    void aPolicyNeedsAtLeastOneTrustedCertificateAndSaysWhatItIs() {
        assertThatThrownBy(() -> TrustPolicy.trusting(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("validityOnly()");
        TrustPolicy trusting = TrustPolicy.trusting(List.of(root));

        assertThat(trusting.requiresChain()).isTrue();
        assertThat(trusting.trustedCertificates()).containsExactly(root);
        assertThat(trusting).hasToString("TrustPolicy[trusting 1 certificates]");
        assertThat(TrustPolicy.validityOnly().requiresChain()).isFalse();
        assertThat(TrustPolicy.validityOnly().trustedCertificates()).isEmpty();
        assertThat(TrustPolicy.validityOnly()).hasToString("TrustPolicy[validity only]");
    }
}
