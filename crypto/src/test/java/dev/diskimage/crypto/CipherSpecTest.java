package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CipherSpecTest {

    @ParameterizedTest
    @CsvSource({
        "aes-xts-plain64,      512, aes-256,     xts, plain64, ''",
        "aes-xts-plain64,      256, aes-128,     xts, plain64, ''",
        "aes-cbc-essiv:sha256, 256, aes-256,     cbc, essiv,   sha256",
        "aes-cbc-essiv:sha256, 128, aes-128,     cbc, essiv,   sha256",
        "serpent-xts-plain64,  512, serpent-256, xts, plain64, ''",
        "twofish-cbc-plain,    192, twofish-192, cbc, plain,   ''",
        "AES-XTS-PLAIN64,      384, aes-192,     xts, plain64, ''",
        "cast5-cbc-plain64,    128, cast5-128,   cbc, plain64, ''",
        "aes-ctr-plain64,      256, aes-256,     ctr, plain64, ''",
    })
    void decodesCinderCipherSpecsIntoQemuOptions(String spec, int bits, String alg, String mode, String ivgen,
            String hash) {
        CipherSpec decoded = CipherSpec.decode(spec, bits);
        assertThat(decoded.cipherAlg()).isEqualTo(alg);
        assertThat(decoded.cipherMode()).isEqualTo(mode);
        assertThat(decoded.ivgenAlg()).isEqualTo(ivgen);
        assertThat(decoded.ivgenHashAlg()).isEqualTo(hash.isEmpty() ? Optional.empty() : Optional.of(hash));
        assertThat(decoded.keySizeBits()).isEqualTo(bits);
        assertThat(decoded.dmCryptName()).isEqualTo(spec.toLowerCase(java.util.Locale.ROOT));
    }

    @Test
    void xtsKeySizeCountsBothHalves() {
        assertThat(CipherSpec.decode("aes-xts-plain64", 512).cipherAlg()).isEqualTo("aes-256");
        assertThat(CipherSpec.decode("aes-cbc-essiv:sha256", 256).cipherAlg()).isEqualTo("aes-256");
        assertThat(catchThrowableOfType(CipherSpecException.class, () -> CipherSpec.decode("aes-xts-plain64", 128))
                .part()).isEqualTo(CipherSpecException.Part.KEY_SIZE);
        assertThat(catchThrowableOfType(CipherSpecException.class, () -> CipherSpec.decode("aes-cbc-plain64", 512))
                .getMessage()).contains("'512'");
    }

    @Test
    void rendersOrderedQemuOptionsWithAPrefix() {
        assertThat(CipherSpec.decode("aes-cbc-essiv:sha256", 256).qemuOptions("encrypt.")).containsExactly(
                Map.entry("encrypt.cipher-alg", "aes-256"), Map.entry("encrypt.cipher-mode", "cbc"),
                Map.entry("encrypt.ivgen-alg", "essiv"), Map.entry("encrypt.ivgen-hash-alg", "sha256"));
        assertThat(CipherSpec.decode("aes-xts-plain64", 512).qemuOptions("")).containsExactly(
                Map.entry("cipher-alg", "aes-256"), Map.entry("cipher-mode", "xts"), Map.entry("ivgen-alg", "plain64"));
        assertThatThrownBy(() -> CipherSpec.decode("aes-xts-plain64", 512).qemuOptions("").put("x", "y"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @ParameterizedTest
    @CsvSource({
        "aes-xts,               512, SPEC,       aes-xts",
        "aes-xts-plain64-extra, 512, SPEC,       aes-xts-plain64-extra",
        "-xts-plain64,          512, SPEC,       -xts-plain64",
        "camellia-xts-plain64,  512, CIPHER,     camellia",
        "des-cbc-plain,         64,  CIPHER,     des",
        "aes-gcm-plain64,       256, CHAIN_MODE, gcm",
        "aes-xts-benbi,         512, IV_MODE,    benbi",
        "aes-cbc-essiv,         256, IV_HASH,    ''",
        "aes-cbc-essiv:sm3,     256, IV_HASH,    sm3",
        "aes-cbc-plain64:sha256, 256, IV_HASH,   sha256",
        "aes-xts-plain64,       500, KEY_SIZE,   500",
        "aes-xts-plain64,       1024, KEY_SIZE,  1024",
        "aes-cbc-plain64,       0,   KEY_SIZE,   0",
        "cast5-cbc-plain,       256, KEY_SIZE,   256",
        "aes-cbc-:sha256,       256, IV_MODE,    ''",
    })
    void refusesWhatQemuRefusesNamingThePart(String spec, int bits, CipherSpecException.Part part, String value) {
        CipherSpecException error = catchThrowableOfType(CipherSpecException.class, () -> CipherSpec.decode(spec, bits));
        assertThat(error.part()).isEqualTo(part);
        assertThat(error.value()).isEqualTo(value);
        assertThat(error.getMessage()).contains("'" + value + "'");
    }

    @Test
    void theRecordItselfCannotHoldWhatQemuRefuses() {
        assertThatThrownBy(() -> new CipherSpec("aes-512", "xts", "plain64", Optional.empty(), 1024))
                .isInstanceOf(CipherSpecException.class);
        assertThatThrownBy(() -> new CipherSpec("aes-256", "xts", "plain64", Optional.empty(), 256))
                .isInstanceOf(CipherSpecException.class).hasMessageContaining("512 bits");
        assertThatThrownBy(() -> new CipherSpec("aes-256", "cbc", "essiv", Optional.empty(), 256))
                .isInstanceOf(CipherSpecException.class).hasMessageContaining("essiv needs a hash");
        assertThat(new CipherSpec("aes-256", "xts", "plain64", Optional.empty(), 512))
                .isEqualTo(CipherSpec.decode("aes-xts-plain64", 512));
    }

    @Test
    void theRecordRefusesAChainModeQemuLacksEvenWhenTheKeySizeFits() {
        CipherSpecException error = catchThrowableOfType(CipherSpecException.class,
                () -> new CipherSpec("aes-256", "gcm", "plain64", Optional.empty(), 256));
        assertThat(error.part()).isEqualTo(CipherSpecException.Part.CHAIN_MODE);
        assertThat(error.value()).isEqualTo("gcm");
    }

    @Test
    void anUnsupportedChainModeIsNamedBeforeTheKeySize() {
        CipherSpecException error = catchThrowableOfType(CipherSpecException.class,
                () -> CipherSpec.decode("aes-gcm-plain64", 100));
        assertThat(error.part()).isEqualTo(CipherSpecException.Part.CHAIN_MODE);
        assertThat(error.getMessage()).contains("'gcm'", "is not supported by qemu");
    }

    @Test
    void controlCharactersInARefusedValueAreEscaped() {
        CipherSpecException error = catchThrowableOfType(CipherSpecException.class,
                () -> CipherSpec.decode("a\u001b[31mes-xts-plain64", 512));
        assertThat(error.getMessage()).doesNotContain("\u001b");
    }

    @Test
    void keySizeRefusalsSayWhyAndMentionXtsOnlyForXts() {
        assertThat(refusal("aes-xts-plain64", 264)).contains("is not a whole number of bytes for both XTS halves");
        assertThat(refusal("aes-cbc-plain64", 0)).contains("is not a whole number of bytes").doesNotContain("XTS");
        assertThat(refusal("aes-cbc-plain64", 12)).contains("is not a whole number of bytes").doesNotContain("XTS");
        assertThat(refusal("aes-xts-plain64", 1024)).contains("is not a key size qemu offers for aes-xts",
                "(XTS keys are two cipher keys in one)");
        assertThat(refusal("aes-cbc-plain64", 512)).contains("is not a key size qemu offers for aes-cbc")
                .doesNotContain("XTS");
        assertThat(refusal("aes-cbc-plain64", 264)).contains("is not a key size qemu offers");
    }

    private static String refusal(String spec, int bits) {
        CipherSpecException error = catchThrowableOfType(CipherSpecException.class, () -> CipherSpec.decode(spec, bits));
        assertThat(error).as(spec + " " + bits).isNotNull();
        assertThat(error.part()).isEqualTo(CipherSpecException.Part.KEY_SIZE);
        return error.getMessage();
    }
}
