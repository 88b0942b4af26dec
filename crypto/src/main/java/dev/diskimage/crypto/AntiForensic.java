package dev.diskimage.crypto;

import java.nio.ByteBuffer;
import org.bouncycastle.crypto.Digest;

/**
 * The LUKS anti-forensic information merge (LUKS1 specification 1.2.3, "AF-merge"; LUKS2 keeps it
 * as af type {@code luks1}): the key is spread over {@code stripes} blocks; merging XORs each block
 * into an accumulator that is diffused with the hash between blocks.
 */
final class AntiForensic {
    private AntiForensic() {
    }

    /**
     * Merges {@code stripes} blocks of {@code keyBytes} from {@code material} into the key.
     *
     * @param material at least {@code keyBytes * stripes} bytes of decrypted key material
     */
    static byte[] merge(byte[] material, int keyBytes, int stripes, String hash) {
        Digest digest = Hashes.digest(hash).orElseThrow();
        byte[] accumulator = new byte[keyBytes];
        for (int stripe = 0; stripe < stripes - 1; stripe++) {
            xor(accumulator, material, stripe * keyBytes);
            diffuse(accumulator, digest);
        }
        xor(accumulator, material, (stripes - 1) * keyBytes);
        return accumulator;
    }

    private static void xor(byte[] accumulator, byte[] material, int from) {
        for (int i = 0; i < accumulator.length; i++) {
            accumulator[i] ^= material[from + i];
        }
    }

    /**
     * LUKS spec "H1" diffusion: block i of the buffer (digest-sized, the last one possibly shorter)
     * becomes the first bytes of hash(i as 32-bit big-endian || block i).
     */
    private static void diffuse(byte[] buffer, Digest digest) {
        int size = digest.getDigestSize();
        byte[] out = new byte[size];
        ByteBuffer blockNumber = ByteBuffer.allocate(Integer.BYTES);
        for (int block = 0, at = 0; at < buffer.length; block++) {
            int length = Math.min(size, buffer.length - at);
            digest.update(blockNumber.putInt(0, block).array(), 0, Integer.BYTES);
            digest.update(buffer, at, length);
            digest.doFinal(out, 0);
            System.arraycopy(out, 0, buffer, at, length);
            at += length;
        }
        Secrets.wipe(out);
    }
}
