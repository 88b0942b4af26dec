package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.bouncycastle.crypto.generators.PKCS5S2ParametersGenerator;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** PBKDF2 as LUKS key slots and digests use it: the published vectors, and Bouncy Castle's answer. */
class KeyDerivationTest {
    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void matchesTheRfc6070Sha1Vectors() {
        assertThat(KeyDerivation.pbkdf2("sha1", ascii("password"), ascii("salt"), 1, 20))
                .isEqualTo(HexFormat.of().parseHex("0c60c80f961f0e71f3a9b524af6012062fe037a6"));
        assertThat(KeyDerivation.pbkdf2("sha1", ascii("password"), ascii("salt"), 4096, 20))
                .isEqualTo(HexFormat.of().parseHex("4b007901b765489abead49d926f721d065a429c1"));
        // A key longer than one HMAC block: the second block is computed with counter 2.
        assertThat(KeyDerivation.pbkdf2("sha1", ascii("passwordPASSWORDpassword"),
                ascii("saltSALTsaltSALTsaltSALTsaltSALTsalt"), 4096, 25))
                .isEqualTo(HexFormat.of().parseHex("3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"));
    }

    @Test
    void matchesTheRfc7914Sha256Vector() {
        assertThat(KeyDerivation.pbkdf2("sha256", ascii("passwd"), ascii("salt"), 1, 64))
                .isEqualTo(HexFormat.of().parseHex("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                        + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"sha1", "sha224", "sha256", "sha384", "sha512", "ripemd160"})
    void agreesWithBouncyCastleForEveryHashLuksUses(String hash) {
        Random random = new Random(hash.hashCode());
        for (int length : new int[] {16, 32, 33, 64, 100}) {
            byte[] password = new byte[1 + random.nextInt(40)];
            byte[] salt = new byte[32];
            random.nextBytes(password);
            random.nextBytes(salt);
            int iterations = 1 + random.nextInt(50);
            assertThat(KeyDerivation.pbkdf2(hash, password, salt, iterations, length))
                    .as("%s, %d bytes", hash, length)
                    .isEqualTo(bouncyCastle(hash, password, salt, iterations, length));
        }
    }

    @Test
    void derivesAKeyFromAnEmptyPassphrase() {
        byte[] salt = new byte[32];
        assertThat(KeyDerivation.pbkdf2("sha256", new byte[0], salt, 10, 32))
                .isEqualTo(bouncyCastle("sha256", new byte[0], salt, 10, 32));
    }

    /**
     * Argon2 version 1.3 against the reference implementation's own vectors (phc-winner-argon2,
     * src/test.c: "password", "somesalt", 2 passes, 256 KiB, 32-byte tag). RFC 9106's vectors add
     * a secret and associated data, which LUKS2 never uses.
     */
    @ParameterizedTest
    @CsvSource({
        "false, 1, 89e9029f4637b295beb027056a7336c414fadd43f6b208645281cb214a56452f",
        "false, 2, 4ff5ce2769a1d7f4c8a491df09d41a9fbe90e5eb02155a13e4c01e20cd4eab61",
        "true,  1, 9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe",
        "true,  2, 6d093c501fd5999645e0ea3bf620d7b8be7fd2db59c20d9fff9539da2bf57037",
    })
    void argon2MatchesTheReferenceVectors(boolean id, int lanes, String tag) {
        assertThat(KeyDerivation.argon2(id, ascii("password"), ascii("somesalt"), 2, 256, lanes, 32))
                .isEqualTo(HexFormat.of().parseHex(tag));
    }

    @Test
    void pbkdf2KeysOfWholeAndPartialBlocksAreTheRfcVectorsPrefix() {
        // RFC 6070: the 25-byte key is two SHA-1 blocks, the second cut; its first 20 bytes are one whole block.
        byte[] password = ascii("passwordPASSWORDpassword");
        byte[] salt = ascii("saltSALTsaltSALTsaltSALTsaltSALTsalt");
        assertThat(KeyDerivation.pbkdf2("sha1", password, salt, 4096, 20))
                .isEqualTo(HexFormat.of().parseHex("3d2eec4fe41c849b80c8d83662c0e44a8b291a96"));
        assertThat(KeyDerivation.pbkdf2("sha1", password, salt, 4096, 40))
                .startsWith(HexFormat.of().parseHex("3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"))
                .isEqualTo(bouncyCastle("sha1", password, salt, 4096, 40));
    }

    private static byte[] bouncyCastle(String hash, byte[] password, byte[] salt, int iterations, int length) {
        PKCS5S2ParametersGenerator generator = new PKCS5S2ParametersGenerator(Hashes.digest(hash).orElseThrow());
        generator.init(password, salt, iterations);
        return ((KeyParameter) generator.generateDerivedParameters(length * 8)).getKey();
    }
}
