package dev.diskimage.core.vhd;

/**
 * The CHS (cylinders, heads, sectors per track) geometry a VHD footer stores (VHD spec, "Hard Disk
 * Footer Format", Disk Geometry), and the specification's computation of it from a size
 * (appendix "CHS Calculation"), so that a writer stores what Virtual PC, Hyper-V and qemu expect.
 *
 * @param cylinders cylinders, 0 to 65535
 * @param heads heads, 0 to 255 (the computation uses at most 16)
 * @param sectorsPerTrack sectors per track, 0 to 255
 */
public record VhdGeometry(int cylinders, int heads, int sectorsPerTrack) {

    /** VHD spec, CHS calculation: the largest geometry, 65535 x 16 x 255 sectors (about 127 GiB). */
    public static final VhdGeometry MAX = new VhdGeometry(65535, 16, 255);

    // VHD spec, CHS calculation: the thresholds of its sectors-per-track choices.
    private static final int MAX_CYLINDERS = 65535;
    private static final int MAX_HEADS = 16;
    private static final int MAX_SECTORS_PER_TRACK = 255;
    private static final long LARGE_DISK_SECTORS = 65535L * 16 * 63;
    private static final int CYLINDERS_PER_HEAD_LIMIT = 1024;
    private static final int MIN_HEADS = 4;

    /**
     * Checks each field fits its on-disk width.
     *
     * @param cylinders cylinders (16 bits)
     * @param heads heads (8 bits)
     * @param sectorsPerTrack sectors per track (8 bits)
     */
    public VhdGeometry {
        if (cylinders < 0 || cylinders > MAX_CYLINDERS || heads < 0 || heads > 255 || sectorsPerTrack < 0
                || sectorsPerTrack > MAX_SECTORS_PER_TRACK) {
            throw new IllegalArgumentException("CHS geometry " + cylinders + "/" + heads + "/" + sectorsPerTrack
                    + " does not fit the footer's fields");
        }
    }

    /**
     * The number of 512-byte sectors the geometry addresses.
     *
     * @return cylinders x heads x sectors per track
     */
    public long sectors() {
        return (long) cylinders * heads * sectorsPerTrack;
    }

    /**
     * Whether this is the maximal geometry, which readers take to mean "the geometry cannot express
     * the size: use the footer's current size".
     *
     * @return whether this equals {@link #MAX}
     */
    public boolean isMax() {
        return equals(MAX);
    }

    /**
     * The geometry the specification computes for a disk of {@code totalSectors} sectors (appendix
     * "CHS Calculation"). It may address fewer sectors than asked (the computation rounds down);
     * a writer that sizes by geometry tries larger counts until {@link #sectors()} is enough.
     *
     * @param totalSectors the disk's size in 512-byte sectors, 0 or more; capped at {@link #MAX}
     * @return the geometry
     */
    public static VhdGeometry forSectors(long totalSectors) {
        if (totalSectors < 0) {
            throw new IllegalArgumentException("negative sector count " + totalSectors);
        }
        long sectors = Math.min(totalSectors, MAX.sectors());
        int sectorsPerTrack;
        long heads;
        long cylinderTimesHeads;
        if (sectors >= LARGE_DISK_SECTORS) {
            sectorsPerTrack = MAX_SECTORS_PER_TRACK;
            heads = MAX_HEADS;
            cylinderTimesHeads = sectors / sectorsPerTrack;
        } else {
            sectorsPerTrack = 17;
            cylinderTimesHeads = sectors / sectorsPerTrack;
            heads = Math.max((cylinderTimesHeads + 1023) / 1024, MIN_HEADS);
            if (cylinderTimesHeads >= heads * CYLINDERS_PER_HEAD_LIMIT || heads > MAX_HEADS) {
                sectorsPerTrack = 31;
                heads = MAX_HEADS;
                cylinderTimesHeads = sectors / sectorsPerTrack;
            }
            if (cylinderTimesHeads >= heads * CYLINDERS_PER_HEAD_LIMIT) {
                sectorsPerTrack = 63;
                heads = MAX_HEADS;
                cylinderTimesHeads = sectors / sectorsPerTrack;
            }
        }
        return new VhdGeometry((int) (cylinderTimesHeads / heads), (int) heads, sectorsPerTrack);
    }
}
