package dev.diskimage.core;

import java.util.Locale;

/**
 * The disk image formats this project understands, with the name qemu-img uses and the name
 * Glance (and therefore Cinder's API) uses.
 *
 * <p>Callers may speak either dialect: {@link #fromName(String)} accepts both, so
 * {@code vhd} and {@code vpc} are the same format, as are {@code ploop} and {@code parallels}.
 * This replaces Cinder's {@code fixup_disk_format} (use {@link #qemuName()}) and
 * {@code from_qemu_img_disk_format} (use {@link #glanceName()}).
 */
public enum DiskFormat {
    /** Plain bytes: what matches no other format. */
    RAW("raw", "raw"),
    /** QEMU copy-on-write v2 and v3. */
    QCOW2("qcow2", "qcow2"),
    /** QEMU enhanced disk. */
    QED("qed", "qed"),
    /** VMware virtual disk (sparse, streamOptimized or a text descriptor). */
    VMDK("vmdk", "vmdk"),
    /** Microsoft Virtual PC / VHD; qemu calls it {@code vpc}, Glance {@code vhd}. */
    VPC("vpc", "vhd"),
    /** Microsoft Hyper-V VHDX. */
    VHDX("vhdx", "vhdx"),
    /** VirtualBox disk image. */
    VDI("vdi", "vdi"),
    /** A LUKS1 or LUKS2 encrypted volume. */
    LUKS("luks", "luks"),
    /** Parallels / Virtuozzo ploop; qemu calls it {@code parallels}, Glance {@code ploop}. */
    PARALLELS("parallels", "ploop"),
    /** An ISO 9660 optical disc image; qemu reads it as {@code raw}. */
    ISO("raw", "iso");

    private final String qemuName;
    private final String glanceName;

    DiskFormat(String qemuName, String glanceName) {
        this.qemuName = qemuName;
        this.glanceName = glanceName;
    }

    /**
     * The name to pass to {@code qemu-img -f/-O}; an ISO is read by qemu as {@code raw}.
     *
     * @return the qemu driver name, e.g. {@code vpc}, {@code parallels}, {@code raw}
     */
    public String qemuName() {
        return qemuName;
    }

    /**
     * The name Glance and Cinder use for this format ({@code vhd}, {@code ploop}, {@code iso}).
     *
     * @return the Glance disk format name, lower case
     */
    public String glanceName() {
        return glanceName;
    }

    /**
     * Parses a format name in either the qemu or the Glance dialect, case-insensitively.
     * {@code raw} maps to {@link #RAW}, never to {@link #ISO}.
     *
     * @param name a Glance name ({@code vhd}, {@code ploop}, {@code iso} ...) or a qemu name
     *     ({@code vpc}, {@code parallels} ...); surrounding white space is ignored
     * @return the format with that Glance name, else the one with that qemu name
     * @throws IllegalArgumentException if the name is not a known format
     */
    public static DiskFormat fromName(String name) {
        if (name == null) {
            throw new IllegalArgumentException("disk format name is null");
        }
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        for (DiskFormat format : values()) {
            if (format.glanceName.equals(wanted)) {
                return format;
            }
        }
        for (DiskFormat format : values()) {
            if (format.qemuName.equals(wanted)) {
                return format;
            }
        }
        throw new IllegalArgumentException("unknown disk format '" + UntrustedText.sanitize(name, 100) + "' (known: "
                + knownNames() + ")");
    }

    /**
     * Every name {@link #fromName} accepts, for messages and help texts: Glance names, with the
     * qemu name in parentheses where it differs ({@code vhd (vpc)}).
     *
     * @return the names, comma-separated, in declaration order
     */
    public static String knownNames() {
        StringBuilder names = new StringBuilder();
        for (DiskFormat format : values()) {
            if (names.length() > 0) {
                names.append(", ");
            }
            names.append(format.glanceName);
            if (format != ISO && !format.qemuName.equals(format.glanceName)) {
                names.append(" (").append(format.qemuName).append(')');
            }
        }
        return names.toString();
    }

    /**
     * Parses the {@code format} field qemu-img reports. qemu reports ISOs as {@code raw}, so
     * this never returns {@link #ISO}.
     *
     * @param qemuName the format name as qemu-img reports it (either dialect is accepted)
     * @return the format, {@link #RAW} for {@code raw} and {@code iso}
     * @throws IllegalArgumentException if qemu-img reports a format this project does not know
     */
    public static DiskFormat fromQemuName(String qemuName) {
        DiskFormat format = fromName(qemuName);
        return format == ISO ? RAW : format;
    }

    /**
     * Whether qemu-img reads this format and {@code other} with the same driver.
     *
     * @param other the format to compare with; not null
     * @return true if both have the same {@link #qemuName()}, as {@link #ISO} and {@link #RAW} do
     */
    public boolean sameQemuDriverAs(DiskFormat other) {
        return qemuName.equals(other.qemuName);
    }
}
