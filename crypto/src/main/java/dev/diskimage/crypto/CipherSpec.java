package dev.diskimage.crypto;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A LUKS cipher in qemu's terms, decoded from the dm-crypt notation Cinder and cryptsetup use
 * ({@code cipher-chainmode-ivmode[:ivhash]}, e.g. {@code aes-xts-plain64} or
 * {@code aes-cbc-essiv:sha256}); Cinder's {@code image_utils.decode_cipher}, checked against what
 * qemu 7.2 accepts (QAPI {@code QCryptoCipherAlgorithm}, {@code QCryptoCipherMode},
 * {@code QCryptoIVGenAlgorithm}, {@code QCryptoHashAlgorithm}).
 *
 * <p><b>Key size and XTS.</b> {@code keySizeBits} is the size of the whole volume key, as
 * cryptsetup's {@code --key-size} and the LUKS header count it. XTS uses two keys of equal size
 * in one (one encrypts the data, one the tweak), so {@code aes-xts-plain64} with a 512-bit key is
 * qemu's {@code cipher-alg=aes-256}, and with a 256-bit key {@code aes-128}. Cinder's
 * {@code decode_cipher} appends the key size to the cipher name unchanged; here the XTS key is
 * halved, so that the same number means the same volume key everywhere.
 *
 * <pre>{@code
 * CipherSpec spec = CipherSpec.decode("aes-xts-plain64", 512);
 * spec.cipherAlg();                 // "aes-256"
 * spec.qemuOptions("encrypt.");     // {encrypt.cipher-alg=aes-256, encrypt.cipher-mode=xts,
 *                                   //  encrypt.ivgen-alg=plain64}
 * spec.qemuOptions("");             // the same keys without prefix, for the luks driver
 * }</pre>
 *
 * @param cipherAlg qemu's {@code cipher-alg}, e.g. {@code aes-256}
 * @param cipherMode qemu's {@code cipher-mode}: {@code ecb}, {@code cbc}, {@code xts} or {@code ctr}
 * @param ivgenAlg qemu's {@code ivgen-alg}: {@code plain}, {@code plain64} or {@code essiv}
 * @param ivgenHashAlg qemu's {@code ivgen-hash-alg}, present only with {@code essiv}
 * @param keySizeBits the whole volume key size in bits (both XTS halves)
 */
public record CipherSpec(String cipherAlg, String cipherMode, String ivgenAlg, Optional<String> ivgenHashAlg,
        int keySizeBits) {

    // qemu 7.2 qapi/crypto.json, QCryptoCipherAlgorithm; des and 3des exist there too, but qemu's
    // LUKS driver refuses them ("Algorithm 'des' not supported"), so they are not offered.
    private static final Set<String> QEMU_CIPHER_ALGS = Set.of("aes-128", "aes-192", "aes-256", "cast5-128",
            "serpent-128", "serpent-192", "serpent-256", "twofish-128", "twofish-192", "twofish-256");
    // qemu 7.2 qapi/crypto.json, QCryptoCipherMode.
    private static final Set<String> QEMU_CIPHER_MODES = Set.of("ecb", "cbc", "xts", "ctr");
    // qemu 7.2 qapi/crypto.json, QCryptoIVGenAlgorithm.
    private static final Set<String> QEMU_IVGEN_ALGS = Set.of("plain", "plain64", "essiv");
    // qemu 7.2 qapi/crypto.json, QCryptoHashAlgorithm.
    private static final Set<String> QEMU_HASH_ALGS = Set.of("md5", "sha1", "sha224", "sha256", "sha384", "sha512",
            "ripemd160");
    private static final String ESSIV = "essiv";
    private static final String XTS = "xts";

    /**
     * Checks every part against qemu's lists: the record cannot hold what qemu would refuse.
     *
     * @param cipherAlg qemu's cipher-alg
     * @param cipherMode qemu's cipher-mode
     * @param ivgenAlg qemu's ivgen-alg
     * @param ivgenHashAlg qemu's ivgen-hash-alg, required with {@code essiv} and refused otherwise
     * @param keySizeBits the whole key size: the cipher's key size, doubled for XTS
     * @throws CipherSpecException naming the part qemu would refuse
     * @throws NullPointerException if a component is null
     */
    public CipherSpec {
        Objects.requireNonNull(ivgenHashAlg, "ivgenHashAlg");
        require(QEMU_CIPHER_ALGS, cipherAlg, CipherSpecException.Part.CIPHER);
        require(QEMU_CIPHER_MODES, cipherMode, CipherSpecException.Part.CHAIN_MODE);
        require(QEMU_IVGEN_ALGS, ivgenAlg, CipherSpecException.Part.IV_MODE);
        if (ivgenAlg.equals(ESSIV) != ivgenHashAlg.isPresent()) {
            throw new CipherSpecException(CipherSpecException.Part.IV_HASH, ivgenHashAlg.orElse(""),
                    ivgenAlg.equals(ESSIV) ? "is missing: essiv needs a hash, e.g. essiv:sha256"
                            : "is only allowed with essiv");
        }
        ivgenHashAlg.ifPresent(hash -> require(QEMU_HASH_ALGS, hash, CipherSpecException.Part.IV_HASH));
        int cipherBits = Integer.parseInt(cipherAlg.substring(cipherAlg.lastIndexOf('-') + 1));
        int expected = cipherMode.equals(XTS) ? 2 * cipherBits : cipherBits;
        if (keySizeBits != expected) {
            throw new CipherSpecException(CipherSpecException.Part.KEY_SIZE, Integer.toString(keySizeBits),
                    "does not match " + cipherAlg + "-" + cipherMode + " (" + expected + " bits)");
        }
    }

    /**
     * Decodes a dm-crypt cipher specification and a key size into qemu's options.
     *
     * @param spec {@code cipher-chainmode-ivmode[:ivhash]}, e.g. {@code aes-xts-plain64},
     *     {@code aes-cbc-essiv:sha256}, {@code serpent-xts-plain64}, {@code twofish-cbc-plain};
     *     case-insensitive
     * @param keySizeBits the whole volume key size in bits, e.g. 512 for AES-256 in XTS mode or 256
     *     for AES-256 in CBC mode
     * @return the decoded spec
     * @throws CipherSpecException naming the part qemu does not support: the shape, the cipher, the
     *     chaining mode, the IV mode, the IV hash or the key size
     * @throws NullPointerException if {@code spec} is null
     */
    public static CipherSpec decode(String spec, int keySizeBits) {
        String[] parts = spec.toLowerCase(Locale.ROOT).split("-", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
            throw new CipherSpecException(CipherSpecException.Part.SPEC, spec,
                    "is not cipher-chainmode-ivmode[:ivhash], e.g. aes-xts-plain64");
        }
        String cipher = parts[0];
        String mode = parts[1];
        String ivmode = parts[2];
        Optional<String> ivhash = Optional.empty();
        int colon = ivmode.indexOf(':');
        if (colon >= 0) {
            ivhash = Optional.of(ivmode.substring(colon + 1));
            ivmode = ivmode.substring(0, colon);
        }
        require(Set.of("aes", "serpent", "twofish", "cast5"), cipher, CipherSpecException.Part.CIPHER);
        require(QEMU_CIPHER_MODES, mode, CipherSpecException.Part.CHAIN_MODE);
        if (keySizeBits <= 0 || keySizeBits % 8 != 0 || (mode.equals(XTS) && keySizeBits % 16 != 0)) {
            throw new CipherSpecException(CipherSpecException.Part.KEY_SIZE, Integer.toString(keySizeBits),
                    "is not a whole number of bytes" + (mode.equals(XTS) ? " for both XTS halves" : ""));
        }
        int cipherBits = mode.equals(XTS) ? keySizeBits / 2 : keySizeBits;
        String alg = cipher + "-" + cipherBits;
        if (!QEMU_CIPHER_ALGS.contains(alg)) {
            throw new CipherSpecException(CipherSpecException.Part.KEY_SIZE, Integer.toString(keySizeBits),
                    "is not a key size qemu offers for " + cipher + "-" + mode
                            + (mode.equals(XTS) ? " (XTS keys are two cipher keys in one)" : ""));
        }
        return new CipherSpec(alg, mode, ivmode, ivhash, keySizeBits);
    }

    private static void require(Set<String> allowed, String value, CipherSpecException.Part part) {
        if (!allowed.contains(Objects.requireNonNull(value, "value"))) {
            throw new CipherSpecException(part, value, "is not supported by qemu (one of "
                    + allowed.stream().sorted().toList() + ")");
        }
    }

    /**
     * The options {@code qemu-img create} or {@code convert} needs for this cipher, in qemu's
     * order: {@code cipher-alg}, {@code cipher-mode}, {@code ivgen-alg}, and {@code ivgen-hash-alg}
     * with essiv.
     *
     * @param prefix put before every key: {@code "encrypt."} for qcow2 ({@code encrypt.format=luks}),
     *     {@code ""} for the luks driver
     * @return an unmodifiable map in that order
     * @throws NullPointerException if {@code prefix} is null
     */
    public Map<String, String> qemuOptions(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        Map<String, String> options = new LinkedHashMap<>();
        options.put(prefix + "cipher-alg", cipherAlg);
        options.put(prefix + "cipher-mode", cipherMode);
        options.put(prefix + "ivgen-alg", ivgenAlg);
        ivgenHashAlg.ifPresent(hash -> options.put(prefix + "ivgen-hash-alg", hash));
        return java.util.Collections.unmodifiableMap(options);
    }

    /**
     * The dm-crypt notation of this cipher, as cryptsetup and a LUKS header write it.
     *
     * @return e.g. {@code aes-xts-plain64} or {@code aes-cbc-essiv:sha256}
     */
    public String dmCryptName() {
        return cipherAlg.substring(0, cipherAlg.lastIndexOf('-')) + "-" + cipherMode + "-" + ivgenAlg
                + ivgenHashAlg.map(hash -> ":" + hash).orElse("");
    }
}
