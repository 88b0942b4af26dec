package dev.diskimage.core.vhd;

/** The disk types a VHD footer declares (VHD spec, "Hard Disk Footer Format", Disk Type). */
public enum VhdDiskType {
    /** A fixed disk: the data, then the footer. */
    FIXED(2),
    /** A dynamic disk: footer copy, dynamic header, block allocation table, blocks, footer. */
    DYNAMIC(3),
    /** A differencing disk: a dynamic disk whose unallocated sectors come from a parent. */
    DIFFERENCING(4);

    private final int code;

    VhdDiskType(int code) {
        this.code = code;
    }

    /**
     * The value the footer stores.
     *
     * @return 2, 3 or 4
     */
    public int code() {
        return code;
    }

    /**
     * Whether the disk has a dynamic header, a block allocation table and a footer copy at offset 0.
     *
     * @return true for dynamic and differencing disks
     */
    public boolean isSparse() {
        return this != FIXED;
    }

    /**
     * The type a footer's disk type field names.
     *
     * @param code the field's value
     * @param fieldAt where the field sits in the file, for the error
     * @return the type
     * @throws VhdFormatException when the value is none of 2, 3 and 4 (0 "none", 1 and 5 and 6
     *         "deprecated" in the specification, and every other value)
     */
    public static VhdDiskType of(long code, long fieldAt) {
        for (VhdDiskType type : values()) {
            if (type.code == code) {
                return type;
            }
        }
        throw VhdFormatException.malformed(fieldAt, "VHD disk type " + code
                + " is not fixed (2), dynamic (3) or differencing (4)");
    }
}
