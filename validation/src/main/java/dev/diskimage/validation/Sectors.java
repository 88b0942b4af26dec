package dev.diskimage.validation;

/**
 * The disk sector as image formats count it. qcow2, VMDK, VHD, VDI, QED, Parallels and LUKS1
 * state offsets and sizes in 512-byte sectors whatever the device underneath; VHDX and GPT also
 * allow 4096-byte (Advanced Format 4Kn) logical sectors.
 */
final class Sectors {
    /** The classic 512-byte sector that image formats count offsets and sizes in. */
    static final int SIZE = 512;

    /** The 4096-byte logical sector of Advanced Format (4Kn) disks. */
    static final int LARGE_SIZE = 4096;

    private Sectors() {
    }

    /**
     * {@code bytes} rounded up to a whole number of 512-byte sectors. The caller has bounded
     * {@code bytes}; a value within 511 of {@code Long.MAX_VALUE} would overflow.
     */
    static long roundUp(long bytes) {
        return (bytes + SIZE - 1) / SIZE * SIZE;
    }

    /** Whether {@code bytes} is one of the logical sector sizes formats allow: 512 or 4096. */
    static boolean isLogicalSectorSize(long bytes) {
        return bytes == SIZE || bytes == LARGE_SIZE;
    }
}
