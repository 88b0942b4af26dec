package dev.diskimage.crypto;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.engines.SerpentEngine;
import org.bouncycastle.crypto.engines.TwofishEngine;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Decrypts LUKS key material in place, 512-byte sector by sector from sector 0, the way dm-crypt
 * encrypts it: {@code xts-plain64}/{@code xts-plain}, {@code cbc-essiv:<hash>},
 * {@code cbc-plain64}/{@code cbc-plain} and {@code ecb}, over AES, Serpent or Twofish (16-byte
 * blocks). Built on Bouncy Castle's block engines; XTS (IEEE 1619) and ESSIV are the few lines
 * here because Bouncy Castle offers neither as a mode.
 */
final class SectorCipher {
    /** LUKS key material is always encrypted in 512-byte sectors, whatever the data sector size. */
    static final int SECTOR = 512;
    private static final int BLOCK = 16;

    private final Supplier<BlockCipher> engine;
    private final String chain;
    private final String ivMode;
    private final Optional<String> ivHash;

    private SectorCipher(Supplier<BlockCipher> engine, String chain, String ivMode, Optional<String> ivHash) {
        this.engine = engine;
        this.chain = chain;
        this.ivMode = ivMode;
        this.ivHash = ivHash;
    }

    /**
     * The cipher for a dm-crypt name such as {@code aes-xts-plain64}, or empty when this class does
     * not implement it.
     */
    static Optional<SectorCipher> forName(String name) {
        String[] parts = name.toLowerCase(Locale.ROOT).split("-", -1);
        if (parts.length < 2 || parts.length > 3) {
            return Optional.empty();
        }
        Supplier<BlockCipher> engine = switch (parts[0]) {
            case "aes" -> AESEngine::newInstance;
            case "serpent" -> SerpentEngine::new;
            case "twofish" -> TwofishEngine::new;
            default -> null;
        };
        if (engine == null) {
            return Optional.empty();
        }
        String chain = parts[1];
        String iv = parts.length == 3 ? parts[2] : "";
        Optional<String> hash = Optional.empty();
        if (iv.startsWith("essiv:")) {
            hash = Optional.of(iv.substring("essiv:".length()));
            iv = "essiv";
            if (!Hashes.supported(hash.get())) {
                return Optional.empty();
            }
        }
        boolean supported = switch (chain) {
            case "xts" -> iv.equals("plain64") || iv.equals("plain");
            case "cbc" -> iv.equals("plain64") || iv.equals("plain") || iv.equals("essiv");
            case "ecb" -> iv.isEmpty() || iv.equals("null");
            default -> false;
        };
        return supported ? Optional.of(new SectorCipher(engine, chain, iv, hash)) : Optional.empty();
    }

    /** Whether {@code keyBytes} is a key length this cipher takes (XTS: two cipher keys). */
    boolean acceptsKeyLength(int keyBytes) {
        int cipherKey = chain.equals("xts") ? keyBytes / 2 : keyBytes;
        return (!chain.equals("xts") || keyBytes % 2 == 0) && (cipherKey == 16 || cipherKey == 24 || cipherKey == 32);
    }

    /** Decrypts {@code data} (a whole number of sectors) in place with {@code key}. */
    void decrypt(byte[] key, byte[] data) {
        switch (chain) {
            case "xts" -> xts(key, data);
            case "cbc" -> cbc(key, data);
            default -> ecb(key, data);
        }
    }

    private void xts(byte[] key, byte[] data) {
        int half = key.length / 2;
        byte[] dataKey = Arrays.copyOfRange(key, 0, half);
        byte[] tweakKey = Arrays.copyOfRange(key, half, key.length);
        BlockCipher decrypt = engine.get();
        decrypt.init(false, new KeyParameter(dataKey));
        BlockCipher tweakCipher = engine.get();
        tweakCipher.init(true, new KeyParameter(tweakKey));
        byte[] tweak = new byte[BLOCK];
        byte[] block = new byte[BLOCK];
        for (int sector = 0; sector * SECTOR < data.length; sector++) {
            sectorNumber(sector, tweak);
            tweakCipher.processBlock(tweak, 0, tweak, 0);
            for (int at = sector * SECTOR; at < (sector + 1) * SECTOR; at += BLOCK) {
                for (int i = 0; i < BLOCK; i++) {
                    block[i] = (byte) (data[at + i] ^ tweak[i]);
                }
                decrypt.processBlock(block, 0, block, 0);
                for (int i = 0; i < BLOCK; i++) {
                    data[at + i] = (byte) (block[i] ^ tweak[i]);
                }
                multiplyByAlpha(tweak);
            }
        }
        Secrets.wipe(dataKey, tweakKey, block, tweak);
    }

    /** IEEE 1619: multiply the tweak by the primitive element of GF(2^128), little-endian. */
    private static void multiplyByAlpha(byte[] tweak) {
        int carry = 0;
        for (int i = 0; i < BLOCK; i++) {
            int next = (tweak[i] >>> 7) & 1;
            tweak[i] = (byte) ((tweak[i] << 1) | carry);
            carry = next;
        }
        if (carry != 0) {
            tweak[0] ^= (byte) 0x87;
        }
    }

    private void cbc(byte[] key, byte[] data) {
        BlockCipher decrypt = engine.get();
        decrypt.init(false, new KeyParameter(key));
        BlockCipher essiv = null;
        byte[] salt = null;
        if (ivMode.equals("essiv")) {
            Digest digest = Hashes.digest(ivHash.orElseThrow()).orElseThrow();
            salt = new byte[digest.getDigestSize()];
            digest.update(key, 0, key.length);
            digest.doFinal(salt, 0);
            essiv = engine.get();
            essiv.init(true, new KeyParameter(salt));
        }
        byte[] iv = new byte[BLOCK];
        byte[] previous = new byte[BLOCK];
        byte[] block = new byte[BLOCK];
        for (int sector = 0; sector * SECTOR < data.length; sector++) {
            // plain64; plain is its low 32 bits, the same IV for an int sector number.
            sectorNumber(sector, iv);
            if (essiv != null) {
                essiv.processBlock(iv, 0, iv, 0);
            }
            System.arraycopy(iv, 0, previous, 0, BLOCK);
            for (int at = sector * SECTOR; at < (sector + 1) * SECTOR; at += BLOCK) {
                decrypt.processBlock(data, at, block, 0);
                for (int i = 0; i < BLOCK; i++) {
                    block[i] ^= previous[i];
                }
                System.arraycopy(data, at, previous, 0, BLOCK);
                System.arraycopy(block, 0, data, at, BLOCK);
            }
        }
        Secrets.wipe(block, previous, iv, salt);
    }

    private void ecb(byte[] key, byte[] data) {
        BlockCipher decrypt = engine.get();
        decrypt.init(false, new KeyParameter(key));
        for (int at = 0; at < data.length; at += BLOCK) {
            decrypt.processBlock(data, at, data, at);
        }
    }

    /** The sector number as a 64-bit little-endian value, zero-padded to one block (plain64). */
    private static void sectorNumber(long sector, byte[] out) {
        Arrays.fill(out, (byte) 0);
        for (int i = 0; i < Long.BYTES; i++) {
            out[i] = (byte) (sector >>> (8 * i));
        }
    }
}
