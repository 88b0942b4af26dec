package dev.diskimage.validation;

import java.nio.ByteBuffer;
import java.util.OptionalLong;

/**
 * Apple disk images (UDIF, qemu {@code dmg}). qemu 7.2 probes dmg by the file name alone
 * ({@code dmg_probe}: a name ending in {@code .dmg}); the bytes say it through the 512-byte UDIF
 * trailer, whose {@code "koly"} signature {@code dmg_find_koly_offset} looks for in the last
 * 1023 bytes of the file (odd sizes put it anywhere in the last two sectors). This sniffer looks
 * for the signature anywhere in the last 1024 bytes, so a file carrying a trailer is refused
 * whatever it is called.
 */
final class DmgSniffer implements ForeignFormat {
    // UDIF specification / block/dmg.c: trailer signature "koly".
    private static final byte[] KOLY = {'k', 'o', 'l', 'y'};
    // block/dmg.c: the trailer is searched for within the last 1023 bytes; one more is harmless.
    static final int WINDOW = 1024;

    @Override
    public String qemuDriver() {
        return "dmg";
    }

    @Override
    public String description() {
        return "dmg (UDIF)";
    }

    @Override
    public OptionalLong sniff(ImageBytes image) {
        long size = image.size();
        if (size == ImageBytes.UNKNOWN_SIZE) {
            // A stream before its end: the trailer has not passed yet; the final run sees it.
            return OptionalLong.empty();
        }
        long start = Math.max(0, size - WINDOW);
        ByteBuffer tail = image.read(start, (int) (size - start));
        for (int i = 0; i + KOLY.length <= tail.remaining(); i++) {
            if (tail.get(i) == KOLY[0] && tail.get(i + 1) == KOLY[1] && tail.get(i + 2) == KOLY[2]
                    && tail.get(i + 3) == KOLY[3]) {
                return OptionalLong.of(start + i);
            }
        }
        return OptionalLong.empty();
    }
}
