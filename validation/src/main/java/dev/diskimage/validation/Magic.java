package dev.diskimage.validation;

import java.nio.ByteBuffer;

/**
 * Compares magic numbers, cookies and signatures in buffers read from an image: the first test
 * every inspector and sniffer makes, written once. A buffer too short to hold the magic (the
 * image ended) never matches.
 */
final class Magic {
    private Magic() {
    }

    /** Whether {@code buffer} holds {@code magic} at its index 0. */
    static boolean startsWith(ByteBuffer buffer, byte[] magic) {
        return at(buffer, 0, magic);
    }

    /** Whether {@code buffer} holds {@code magic} at {@code index}. */
    static boolean at(ByteBuffer buffer, int index, byte[] magic) {
        if (index < 0 || buffer.limit() - index < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if (buffer.get(index + i) != magic[i]) {
                return false;
            }
        }
        return true;
    }
}
