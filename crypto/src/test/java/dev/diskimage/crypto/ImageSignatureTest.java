package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Reading the four Glance signature properties: all or none, and each value checked. */
class ImageSignatureTest {
    private static final String UUID = "6f1e9d44-3c1a-4a5e-b0a3-0d7c6c1e2f99";
    private static final byte[] SIGNATURE = {0, 1, 2, (byte) 0xfe, (byte) 0xff, 42};

    private static Map<String, String> complete() {
        Map<String, String> properties = new HashMap<>();
        properties.put(ImageSignature.SIGNATURE, Base64.getEncoder().encodeToString(SIGNATURE));
        properties.put(ImageSignature.HASH_METHOD, "SHA-256");
        properties.put(ImageSignature.KEY_TYPE, "RSA-PSS");
        properties.put(ImageSignature.CERTIFICATE_UUID, UUID);
        properties.put("os_distro", "cirros");
        return properties;
    }

    @Test
    void allFourPropertiesMakeASignature() {
        ImageSignature signature = ImageSignature.fromProperties(complete()).orElseThrow();

        assertThat(signature.signature()).isEqualTo(SIGNATURE);
        assertThat(signature.hashMethod()).isEqualTo(SignatureHashMethod.SHA_256);
        assertThat(signature.keyType()).isEqualTo(SignatureKeyType.RSA_PSS);
        assertThat(signature.certificateId()).isEqualTo(UUID);
    }

    @Test
    void noneOfTheFourMeansUnsigned() {
        assertThat(ImageSignature.fromProperties(Map.of("os_distro", "cirros"))).isEmpty();
        assertThat(ImageSignature.fromProperties(Map.of())).isEmpty();
    }

    @Test
    void aPropertyMappedToNullCountsAsMissing() {
        Map<String, String> properties = new HashMap<>();
        properties.put(ImageSignature.SIGNATURE, null);
        assertThat(ImageSignature.fromProperties(properties)).isEmpty();

        Map<String, String> partial = complete();
        partial.put(ImageSignature.KEY_TYPE, null);
        assertThatThrownBy(() -> ImageSignature.fromProperties(partial))
                .isInstanceOfSatisfying(SignaturePropertiesException.class,
                        e -> assertThat(e.properties()).containsExactly(ImageSignature.KEY_TYPE));
    }

    @Test
    void everyPartialSetIsAnErrorNamingExactlyTheMissingProperties() {
        List<String> names = List.of(ImageSignature.SIGNATURE, ImageSignature.HASH_METHOD, ImageSignature.KEY_TYPE,
                ImageSignature.CERTIFICATE_UUID);
        for (int present = 1; present < 15; present++) {
            Map<String, String> properties = new HashMap<>(complete());
            List<String> missing = new java.util.ArrayList<>();
            for (int bit = 0; bit < 4; bit++) {
                if ((present & (1 << bit)) == 0) {
                    properties.remove(names.get(bit));
                    missing.add(names.get(bit));
                }
            }
            assertThatThrownBy(() -> ImageSignature.fromProperties(properties))
                    .isInstanceOfSatisfying(SignaturePropertiesException.class, e -> {
                        assertThat(e.problem()).isEqualTo(SignaturePropertiesException.Problem.INCOMPLETE);
                        assertThat(e.properties()).containsExactlyElementsOf(missing);
                        missing.forEach(name -> assertThat(e).hasMessageContaining(name));
                    });
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "not base64!", "AAE", "AA=A", "A===", "====", "AAECAw==AAEC", "AAE\u00e9"})
    void aSignatureThatIsNotPaddedBase64IsRefused(String value) {
        Map<String, String> properties = complete();
        properties.put(ImageSignature.SIGNATURE, value);

        assertThatThrownBy(() -> ImageSignature.fromProperties(properties))
                .isInstanceOfSatisfying(SignaturePropertiesException.class, e -> {
                    assertThat(e.problem()).isEqualTo(SignaturePropertiesException.Problem.MALFORMED_SIGNATURE);
                    assertThat(e.properties()).containsExactly(ImageSignature.SIGNATURE);
                }).hasMessageContaining("img_signature");
    }

    @Test
    void base64WrappedOnSeveralLinesIsAccepted() {
        Map<String, String> properties = complete();
        properties.put(ImageSignature.SIGNATURE, "AAEC\r\n/v8q\n");

        assertThat(ImageSignature.fromProperties(properties).orElseThrow().signature()).isEqualTo(SIGNATURE);
    }

    @Test
    void anEmptySignatureSaysSo() {
        Map<String, String> properties = complete();
        properties.put(ImageSignature.SIGNATURE, " \n");

        assertThatThrownBy(() -> ImageSignature.fromProperties(properties))
                .hasMessage("image signature property img_signature: the signature is empty");
        properties.put(ImageSignature.SIGNATURE, "AAE");
        assertThatThrownBy(() -> ImageSignature.fromProperties(properties))
                .hasMessageContaining("not a multiple of 4");
    }

    @Test
    void aSignatureAtTheLengthCapIsDecoded() {
        Map<String, String> properties = complete();
        properties.put(ImageSignature.SIGNATURE, "AAAA".repeat(4096));

        assertThat(ImageSignature.fromProperties(properties).orElseThrow().signature()).hasSize(3 * 4096);
    }

    @Test
    void anOverlongSignatureIsRefusedWithoutDecodingIt() {
        Map<String, String> properties = complete();
        properties.put(ImageSignature.SIGNATURE, "AAAA".repeat(4096) + "=");

        assertThatThrownBy(() -> ImageSignature.fromProperties(properties))
                .isInstanceOfSatisfying(SignaturePropertiesException.class, e -> assertThat(e.problem())
                        .isEqualTo(SignaturePropertiesException.Problem.MALFORMED_SIGNATURE))
                .hasMessageContaining("longer than");
    }

    @ParameterizedTest
    @ValueSource(strings = {"MD5", "SHA-1", "sha-256", "SHA256", "SHA-256 ", "SHA3-256", ""})
    void anUnknownHashMethodIsRefusedNamingIt(String value) {
        Map<String, String> properties = complete();
        properties.put(ImageSignature.HASH_METHOD, value);

        assertThatThrownBy(() -> ImageSignature.fromProperties(properties))
                .isInstanceOfSatisfying(SignaturePropertiesException.class, e -> {
                    assertThat(e.problem()).isEqualTo(SignaturePropertiesException.Problem.UNKNOWN_HASH_METHOD);
                    assertThat(e.properties()).containsExactly(ImageSignature.HASH_METHOD);
                }).hasMessageContaining("'" + value + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"RSA", "rsa-pss", "ECC_SECP256R1", "ECC_SECT283K1", "ED25519", ""})
    void anUnknownKeyTypeIsRefusedNamingIt(String value) {
        Map<String, String> properties = complete();
        properties.put(ImageSignature.KEY_TYPE, value);

        assertThatThrownBy(() -> ImageSignature.fromProperties(properties))
                .isInstanceOfSatisfying(SignaturePropertiesException.class, e -> {
                    assertThat(e.problem()).isEqualTo(SignaturePropertiesException.Problem.UNKNOWN_KEY_TYPE);
                    assertThat(e.properties()).containsExactly(ImageSignature.KEY_TYPE);
                }).hasMessageContaining("'" + value + "'");
    }

    @Test
    void aHostileValueIsEscapedInTheMessage() {
        Map<String, String> properties = complete();
        properties.put(ImageSignature.KEY_TYPE, "RSA\u001b]0;owned\u0007");

        assertThatThrownBy(() -> ImageSignature.fromProperties(properties))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u001b").contains("\\x1b"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "id\nwith newline"})
    void anEmptyOrControlCharacterCertificateIdIsRefused(String value) {
        Map<String, String> properties = complete();
        properties.put(ImageSignature.CERTIFICATE_UUID, value);

        assertThatThrownBy(() -> ImageSignature.fromProperties(properties))
                .isInstanceOfSatisfying(SignaturePropertiesException.class, e -> {
                    assertThat(e.problem()).isEqualTo(SignaturePropertiesException.Problem.MALFORMED_CERTIFICATE_ID);
                    assertThat(e.properties()).containsExactly(ImageSignature.CERTIFICATE_UUID);
                });
    }

    @Test
    void anOverlongCertificateIdIsRefused() {
        Map<String, String> properties = complete();
        properties.put(ImageSignature.CERTIFICATE_UUID, "x".repeat(256));

        assertThatThrownBy(() -> ImageSignature.fromProperties(properties))
                .isInstanceOf(SignaturePropertiesException.class);
        properties.put(ImageSignature.CERTIFICATE_UUID, "x".repeat(255));
        assertThat(ImageSignature.fromProperties(properties)).isPresent();
    }

    @ParameterizedTest
    @EnumSource(SignatureHashMethod.class)
    void everyHashMethodReadsBackFromItsPropertyValue(SignatureHashMethod method) {
        assertThat(SignatureHashMethod.fromPropertyValue(method.propertyValue())).contains(method);
    }

    @ParameterizedTest
    @EnumSource(SignatureKeyType.class)
    void everyKeyTypeReadsBackFromItsPropertyValue(SignatureKeyType type) {
        assertThat(SignatureKeyType.fromPropertyValue(type.propertyValue())).contains(type);
    }

    @Test
    void theSupportedValuesAreCursives() {
        assertThat(Set.of(SignatureHashMethod.values())).extracting(SignatureHashMethod::propertyValue)
                .containsExactlyInAnyOrder("SHA-224", "SHA-256", "SHA-384", "SHA-512");
        assertThat(Set.of(SignatureKeyType.values())).extracting(SignatureKeyType::propertyValue)
                .containsExactlyInAnyOrder("RSA-PSS", "DSA", "ECC_SECP384R1", "ECC_SECP521R1", "ECC_SECT409K1",
                        "ECC_SECT409R1", "ECC_SECT571K1", "ECC_SECT571R1");
        assertThat(SignatureKeyType.ECC_SECT571K1.curveName()).contains("sect571k1");
        assertThat(SignatureKeyType.DSA.curveName()).isEmpty();
        assertThat(SignatureHashMethod.SHA_384.digestLength()).isEqualTo(48);
        assertThat(SignatureHashMethod.SHA_224.jcaDigestName()).isEqualTo("SHA-224");
    }

    @Test
    void propertiesRoundTrip() {
        ImageSignature signature = ImageSignature.fromProperties(complete()).orElseThrow();

        assertThat(ImageSignature.fromProperties(signature.toProperties())).contains(signature);
        assertThat(signature.toProperties()).hasSize(4);
    }

    @Test
    void theSignatureIsCopiedInAndOut() {
        byte[] bytes = SIGNATURE.clone();
        ImageSignature signature = new ImageSignature(bytes, SignatureHashMethod.SHA_512, SignatureKeyType.DSA, UUID);
        bytes[0] = 9;
        signature.signature()[1] = 9;

        assertThat(signature.signature()).isEqualTo(SIGNATURE);
    }

    @Test
    void equalityIsByContentAndToStringShowsNoSignatureBytes() {
        ImageSignature one = new ImageSignature(SIGNATURE.clone(), SignatureHashMethod.SHA_512, SignatureKeyType.DSA,
                UUID);
        ImageSignature same = new ImageSignature(SIGNATURE.clone(), SignatureHashMethod.SHA_512, SignatureKeyType.DSA,
                UUID);
        ImageSignature other = new ImageSignature(new byte[] {1}, SignatureHashMethod.SHA_512, SignatureKeyType.DSA,
                UUID);

        assertThat(one).isEqualTo(same).hasSameHashCodeAs(same).isNotEqualTo(other);
        assertThat(one.hashCode()).isNotEqualTo(other.hashCode());
        assertThat(one.equals(new ImageSignature(SIGNATURE.clone(), SignatureHashMethod.SHA_384,
                SignatureKeyType.DSA, UUID))).isFalse();
        assertThat(one).hasToString("ImageSignature[SHA-512, DSA, certificate=" + UUID + ", 6 bytes]");
    }

    @Test
    void theConstructorRefusesAnEmptySignatureOrId() {
        assertThatThrownBy(() -> new ImageSignature(new byte[0], SignatureHashMethod.SHA_256,
                SignatureKeyType.DSA, UUID)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ImageSignature(SIGNATURE, SignatureHashMethod.SHA_256,
                SignatureKeyType.DSA, "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ImageSignature(SIGNATURE, null, SignatureKeyType.DSA, UUID))
                .isInstanceOf(NullPointerException.class);
    }
}
