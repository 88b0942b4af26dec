package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Against Python cryptography, the library cursive verifies with, driven as cursive drives it
 * ({@code cursive_primitives.py}): what Python signs (RSA-PSS with {@code PSS.MAX_LENGTH}, as
 * Glance documents) verifies here, and what the tests' signer makes verifies there as a
 * prehashed signature. Skipped without python3 and cryptography; recent Python cryptography
 * releases (48 here) no longer have the binary {@code sect} curves, so those are proven against
 * OpenSSL only ({@link OpenSslSignatureInteropTest}).
 */
class CursivePrimitivesInteropTest {
    private static final Clock CLOCK = Clock.fixed(TestSigner.NOW, ZoneOffset.UTC);

    @TempDir
    Path dir;

    private Path script;
    private Path dataFile;
    private byte[] data;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(ExternalTools.available(dir, List.of("python3", "-c", "import cryptography")),
                "python3 with the cryptography package is not installed");
        try (InputStream in = getClass().getResourceAsStream("cursive_primitives.py")) {
            script = Files.write(dir.resolve("cursive_primitives.py"), in.readAllBytes());
        }
        data = new byte[150_001];
        new Random(11).nextBytes(data);
        dataFile = Files.write(dir.resolve("image.raw"), data);
    }

    static Stream<Arguments> typesPythonSupports() {
        List<Arguments> cases = new ArrayList<>();
        for (SignatureHashMethod hash : SignatureHashMethod.values()) {
            cases.add(Arguments.of(SignatureKeyType.RSA_PSS, hash));
        }
        cases.add(Arguments.of(SignatureKeyType.DSA, SignatureHashMethod.SHA_224));
        cases.add(Arguments.of(SignatureKeyType.ECC_SECP384R1, SignatureHashMethod.SHA_384));
        cases.add(Arguments.of(SignatureKeyType.ECC_SECP521R1, SignatureHashMethod.SHA_512));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("typesPythonSupports")
    void whatPythonCryptographySignsVerifiesHere(SignatureKeyType type, SignatureHashMethod hash) throws Exception {
        KeyPair key = TestSigner.keyPair(type);
        Path privateKey = Files.writeString(dir.resolve("key.pem"), TestSigner.pem(key.getPrivate()));
        Path signature = dir.resolve("python.sig");
        ExternalTools.Result signed = python("sign", type, hash, privateKey, signature);
        assertThat(signed.exitCode()).as(signed.output()).isZero();

        String uuid = TestSigner.store(dir, TestSigner.certificate("python", key).issue());
        ImageSignature properties = ImageSignature.fromProperties(
                TestSigner.properties(Files.readAllBytes(signature), hash, type, uuid)).orElseThrow();
        ImageSignatureVerifier verifier = ImageSignatureVerifier.prepare("cirros", properties,
                CertificateStore.directory(dir), TrustPolicy.validityOnly(), CLOCK);
        verifier.update(data, 0, data.length);
        verifier.verify();

        ImageSignatureVerifier tampered = ImageSignatureVerifier.prepare("cirros", properties,
                CertificateStore.directory(dir), TrustPolicy.validityOnly(), CLOCK);
        tampered.update(data, 0, data.length - 1);
        assertThatThrownBy(tampered::verify).isInstanceOf(SignatureMismatchException.class);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("typesPythonSupports")
    void whatTheTestSignerMakesVerifiesInPythonAsCursiveChecksIt(SignatureKeyType type, SignatureHashMethod hash)
            throws Exception {
        KeyPair key = TestSigner.keyPair(type);
        Path publicKey = Files.writeString(dir.resolve("public.pem"),
                TestSigner.pem("PUBLIC KEY", key.getPublic().getEncoded()));
        Path signature = Files.write(dir.resolve("java.sig"), TestSigner.sign(type, hash, data));

        ExternalTools.Result verified = python("verify", type, hash, publicKey, signature);
        assertThat(verified.output()).contains("verified");
        assertThat(verified.exitCode()).isZero();

        Files.write(dataFile, new byte[] {1, 2, 3});
        assertThat(python("verify", type, hash, publicKey, signature).output()).contains("invalid signature");
    }

    private ExternalTools.Result python(String mode, SignatureKeyType type, SignatureHashMethod hash, Path key,
            Path signature) throws Exception {
        return ExternalTools.run(dir, List.of("python3", script.toString(), mode, type.propertyValue(),
                hash.propertyValue(), key.toString(), dataFile.toString(), signature.toString()));
    }
}
