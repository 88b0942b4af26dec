package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Signatures made by OpenSSL, the tool Glance's documentation signs images with
 * ({@code openssl dgst -sha256 -sign key.pem -sigopt rsa_padding_mode:pss}), verify here for
 * every key type; and the RSA-PSS salt convention is proven against it in both directions:
 * OpenSSL's maximum salt ({@code rsa_pss_saltlen:-2}) passes, its digest-length salt fails as it
 * does in cursive, and OpenSSL accepts what the tests' signer makes only with the maximum salt.
 */
class OpenSslSignatureInteropTest {
    private static final Clock CLOCK = Clock.fixed(TestSigner.NOW, ZoneOffset.UTC);

    @TempDir
    Path dir;

    private byte[] data;
    private Path dataFile;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(ExternalTools.available(dir, List.of("openssl", "version")), "openssl is not installed");
        data = new byte[200_003];
        new Random(3).nextBytes(data);
        dataFile = Files.write(dir.resolve("image.raw"), data);
    }

    static Stream<Arguments> keyTypesAndHashes() {
        List<Arguments> cases = new ArrayList<>();
        for (SignatureHashMethod hash : SignatureHashMethod.values()) {
            cases.add(Arguments.of(SignatureKeyType.RSA_PSS, hash));
            cases.add(Arguments.of(SignatureKeyType.DSA, hash));
        }
        for (SignatureKeyType type : SignatureKeyType.values()) {
            if (type.curveName().isPresent()) {
                cases.add(Arguments.of(type, SignatureHashMethod.SHA_384));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("keyTypesAndHashes")
    void aSignatureMadeByOpenSslVerifies(SignatureKeyType type, SignatureHashMethod hash) throws Exception {
        KeyPair key = TestSigner.keyPair(type);
        List<String> options = type == SignatureKeyType.RSA_PSS
                ? List.of("-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-2") : List.of();

        ImageSignatureVerifier verifier = prepare(key, type, hash, opensslSign(key, hash, options));
        verifier.update(data, 0, data.length);
        verifier.verify();

        ImageSignatureVerifier tampered = prepare(key, type, hash, opensslSign(key, hash, options));
        tampered.update(data, 1, data.length - 1);
        assertThatThrownBy(tampered::verify).isInstanceOf(SignatureMismatchException.class);
    }

    @Test
    void anRsaPssSignatureWithADigestLengthSaltFailsAsInCursive() throws Exception {
        KeyPair key = TestSigner.keyPair(SignatureKeyType.RSA_PSS);
        byte[] signed = opensslSign(key, SignatureHashMethod.SHA_256,
                List.of("-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"));

        ImageSignatureVerifier verifier = prepare(key, SignatureKeyType.RSA_PSS, SignatureHashMethod.SHA_256, signed);
        verifier.update(data, 0, data.length);
        assertThatThrownBy(verifier::verify).isInstanceOf(SignatureMismatchException.class);
    }

    @Test
    void aPkcs1SignatureIsNotAnRsaPssOne() throws Exception {
        KeyPair key = TestSigner.keyPair(SignatureKeyType.RSA_PSS);
        byte[] signed = opensslSign(key, SignatureHashMethod.SHA_256, List.of());

        ImageSignatureVerifier verifier = prepare(key, SignatureKeyType.RSA_PSS, SignatureHashMethod.SHA_256, signed);
        verifier.update(data, 0, data.length);
        assertThatThrownBy(verifier::verify).isInstanceOf(SignatureMismatchException.class);
    }

    @Test
    void openSslAcceptsTheTestSignersRsaPssOnlyWithTheMaximumSalt() throws Exception {
        KeyPair key = TestSigner.keyPair(SignatureKeyType.RSA_PSS);
        Path signature = Files.write(dir.resolve("java.sig"), TestSigner.sign(SignatureKeyType.RSA_PSS,
                SignatureHashMethod.SHA_256, data));
        Path publicKey = Files.writeString(dir.resolve("public.pem"),
                TestSigner.pem("PUBLIC KEY", key.getPublic().getEncoded()));
        int max = TestSigner.maxSalt((RSAPublicKey) key.getPublic(), SignatureHashMethod.SHA_256);
        assertThat(max).isEqualTo(2048 / 8 - 32 - 2);

        assertThat(opensslVerify(publicKey, signature, Integer.toString(max)).output()).contains("Verified OK");
        assertThat(opensslVerify(publicKey, signature, "max").output()).contains("Verified OK");
        assertThat(opensslVerify(publicKey, signature, "digest").exitCode()).isNotZero();
    }

    private ExternalTools.Result opensslVerify(Path publicKey, Path signature, String saltLength) throws Exception {
        return ExternalTools.run(dir, List.of("openssl", "dgst", "-sha256", "-verify", publicKey.toString(),
                "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:" + saltLength, "-signature",
                signature.toString(), dataFile.toString()));
    }

    private byte[] opensslSign(KeyPair key, SignatureHashMethod hash, List<String> options) throws Exception {
        Path privateKey = Files.writeString(dir.resolve("key.pem"), TestSigner.pem(key.getPrivate()));
        Path out = dir.resolve("openssl.sig");
        List<String> command = new ArrayList<>(List.of("openssl", "dgst",
                "-" + hash.jcaDigestName().replace("-", "").toLowerCase(Locale.ROOT), "-sign", privateKey.toString()));
        command.addAll(options);
        command.addAll(List.of("-out", out.toString(), dataFile.toString()));
        ExternalTools.Result result = ExternalTools.run(dir, command);
        assertThat(result.exitCode()).as(result.output()).isZero();
        return Files.readAllBytes(out);
    }

    private ImageSignatureVerifier prepare(KeyPair key, SignatureKeyType type, SignatureHashMethod hash,
            byte[] signature) throws Exception {
        String uuid = TestSigner.store(dir, TestSigner.certificate("openssl " + type, key).issue());
        ImageSignature properties = ImageSignature.fromProperties(
                TestSigner.properties(signature, hash, type, uuid)).orElseThrow();
        return ImageSignatureVerifier.prepare("cirros", properties, CertificateStore.directory(dir),
                TrustPolicy.validityOnly(), CLOCK);
    }
}
