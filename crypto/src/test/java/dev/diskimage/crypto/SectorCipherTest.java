package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sector ciphers that decrypt LUKS key material, against the JDK's own AES: what dm-crypt's
 * ECB and CBC modes (plain, plain64) produce is decrypted back to the original bytes. XTS and
 * ESSIV are proved on real volumes (LuksHeaderRealVolumesTest, LuksHeaderSeedsTest).
 */
class SectorCipherTest {
    private static final int SECTOR = 512;

    private static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** dm-crypt's IV for a sector: its number, little-endian, 64 bits (plain64) or 32 (plain). */
    private static byte[] iv(long sector, boolean plain64) {
        ByteBuffer iv = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        iv.putLong(plain64 ? sector : sector & 0xFFFFFFFFL);
        return iv.array();
    }

    private static byte[] cbcEncrypt(byte[] key, byte[] plain, boolean plain64) throws Exception {
        byte[] out = new byte[plain.length];
        for (int sector = 0; sector * SECTOR < plain.length; sector++) {
            Cipher aes = Cipher.getInstance("AES/CBC/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv(sector, plain64)));
            aes.doFinal(plain, sector * SECTOR, SECTOR, out, sector * SECTOR);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"aes-cbc-plain64", "aes-cbc-plain"})
    void cbcDecryptsWhatTheJdkEncryptsSectorBySector(String name) throws Exception {
        byte[] key = random(32, 1);
        byte[] plain = random(4 * SECTOR, 2);
        byte[] data = cbcEncrypt(key, plain, name.endsWith("plain64"));

        SectorCipher.forName(name).orElseThrow().decrypt(key, data);

        assertThat(data).isEqualTo(plain);
    }

    @ParameterizedTest
    @ValueSource(strings = {"aes-ecb", "aes-ecb-null"})
    void ecbDecryptsWhatTheJdkEncrypts(String name) throws Exception {
        byte[] key = random(16, 3);
        byte[] plain = random(2 * SECTOR, 4);
        Cipher aes = Cipher.getInstance("AES/ECB/NoPadding");
        aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
        byte[] data = aes.doFinal(plain);

        SectorCipher.forName(name).orElseThrow().decrypt(key, data);

        assertThat(data).isEqualTo(plain);
    }

    @Test
    void decryptionUsesTheSectorNumberSoSectorsDiffer() throws Exception {
        byte[] key = random(32, 5);
        byte[] sameTwice = new byte[2 * SECTOR];
        byte[] data = cbcEncrypt(key, sameTwice, true);
        assertThat(Arrays.copyOfRange(data, 0, SECTOR)).isNotEqualTo(Arrays.copyOfRange(data, SECTOR, 2 * SECTOR));

        SectorCipher.forName("aes-cbc-plain64").orElseThrow().decrypt(key, data);

        assertThat(data).isEqualTo(sameTwice);
    }

    @Test
    void namesAreParsedStrictlyAndCaseInsensitively() {
        assertThat(SectorCipher.forName("AES-XTS-PLAIN64")).isPresent();
        assertThat(SectorCipher.forName("serpent-cbc-essiv:sha256")).isPresent();
        assertThat(SectorCipher.forName("twofish-xts-plain")).isPresent();
        assertThat(SectorCipher.forName("aes-ecb")).isPresent();
        assertThat(SectorCipher.forName("aes")).as("no chain mode").isEmpty();
        assertThat(SectorCipher.forName("aes-xts")).as("xts without an IV").isEmpty();
        assertThat(SectorCipher.forName("aes-xts-plain64-extra")).as("four parts").isEmpty();
        assertThat(SectorCipher.forName("aes-ecb-plain64")).as("ECB takes no IV").isEmpty();
        assertThat(SectorCipher.forName("aes-cbc-essiv:nosuchhash")).isEmpty();
        assertThat(SectorCipher.forName("aes-xts-essiv:sha256")).as("ESSIV is a CBC IV").isEmpty();
        assertThat(SectorCipher.forName("aes-gcm-plain64")).isEmpty();
        assertThat(SectorCipher.forName("camellia-xts-plain64")).isEmpty();
    }

    @Test
    void keyLengthsAreTheCiphersOwnAndXtsTakesTwoKeys() {
        SectorCipher xts = SectorCipher.forName("aes-xts-plain64").orElseThrow();
        SectorCipher cbc = SectorCipher.forName("aes-cbc-plain64").orElseThrow();

        assertThat(xts.acceptsKeyLength(32)).isTrue();
        assertThat(xts.acceptsKeyLength(48)).isTrue();
        assertThat(xts.acceptsKeyLength(64)).isTrue();
        assertThat(xts.acceptsKeyLength(16)).isFalse();
        assertThat(xts.acceptsKeyLength(65)).isFalse();
        assertThat(xts.acceptsKeyLength(33)).isFalse();
        assertThat(cbc.acceptsKeyLength(16)).isTrue();
        assertThat(cbc.acceptsKeyLength(24)).isTrue();
        assertThat(cbc.acceptsKeyLength(32)).isTrue();
        assertThat(cbc.acceptsKeyLength(64)).isFalse();
        assertThat(cbc.acceptsKeyLength(8)).isFalse();
    }
}
