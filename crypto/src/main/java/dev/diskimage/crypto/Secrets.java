package dev.diskimage.crypto;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The one place secrets in memory are wiped: derived keys, decrypted key material, candidate
 * master keys, passphrase copies and the buffers that held them.
 *
 * <p>Most callers wipe an array that nobody reads again, so no test can see whether the wipe
 * happened: the mutation run does not mutate the lines that call this class ({@code avoidCallsTo}
 * in the {@code mutation} profile), and {@code SecretsTest} checks the wipe itself. Where a wiped
 * array is visible to a caller ({@link LuksHeader#matches}), a test checks it is zeros.
 */
final class Secrets {
    private Secrets() {
    }

    /** Overwrites every given array with zeros; null arrays (a secret not made yet) are skipped. */
    static void wipe(byte[]... buffers) {
        for (byte[] buffer : buffers) {
            if (buffer != null) {
                Arrays.fill(buffer, (byte) 0);
            }
        }
    }

    /** Overwrites the whole array behind {@code buffer} with zeros, when it has an accessible one. */
    static void wipe(ByteBuffer buffer) {
        if (buffer.hasArray()) {
            Arrays.fill(buffer.array(), (byte) 0);
        }
    }
}
