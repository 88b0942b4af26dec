package dev.diskimage.validation;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The VMDK {@code createType} values VMware defines (Virtual Disk Format 5.0, "The Descriptor
 * File", and the ESX types of later releases): the names a descriptor states and a policy's
 * {@link ImagePolicy#vmdkAllowedTypes() VMDK allowlist} may hold. Names are case-sensitive, as
 * in descriptors and in qemu's {@code vmdk} driver.
 *
 * <p>The inspector reports whatever createType a descriptor states, known or not, so that the
 * policy refuses an unknown one by name; a policy, by contrast, may only name the types listed
 * here, so that a typo cannot silently refuse every VMDK.
 */
public enum VmdkCreateType {
    /** A single growable (sparse) extent with a hosted sparse header. */
    MONOLITHIC_SPARSE("monolithicSparse"),
    /** A single preallocated (flat) extent in a separate file. */
    MONOLITHIC_FLAT("monolithicFlat"),
    /** Sparse extents of at most 2 GB each, in separate files. */
    TWO_GB_MAX_EXTENT_SPARSE("twoGbMaxExtentSparse"),
    /** Flat extents of at most 2 GB each, in separate files. */
    TWO_GB_MAX_EXTENT_FLAT("twoGbMaxExtentFlat"),
    /** A single sparse extent with deflate-compressed grains, written as a stream (OVF exports). */
    STREAM_OPTIMIZED("streamOptimized"),
    /** An ESX flat disk on VMFS. */
    VMFS("vmfs"),
    /** An ESX redo log (COWD sparse extent), a differencing disk on VMFS. */
    VMFS_SPARSE("vmfsSparse"),
    /** An ESX thin-provisioned disk on VMFS. */
    VMFS_THIN("vmfsThin"),
    /** An ESX disk mapped to a raw device. */
    VMFS_RAW("vmfsRaw"),
    /** An ESX raw device mapping in virtual compatibility mode. */
    VMFS_RAW_DEVICE_MAP("vmfsRawDeviceMap"),
    /** An ESX raw device mapping in physical compatibility (pass-through) mode. */
    VMFS_PASSTHROUGH_RAW_DEVICE_MAP("vmfsPassthroughRawDeviceMap"),
    /** An ESX disk preallocated on VMFS (lazily zeroed). */
    VMFS_PREALLOCATED("vmfsPreallocated"),
    /** An ESX disk preallocated and zeroed up front on VMFS. */
    VMFS_EAGER_ZEROED_THICK("vmfsEagerZeroedThick"),
    /** Extents of any kinds the descriptor lists. */
    CUSTOM("custom"),
    /** A whole physical device used as the disk. */
    FULL_DEVICE("fullDevice"),
    /** Partitions of a physical device used as the disk. */
    PARTITIONED_DEVICE("partitionedDevice"),
    /** An ESX space-efficient sparse (SE sparse) extent. */
    SE_SPARSE("seSparse"),
    /** A vSAN sparse extent. */
    VSAN_SPARSE("vsanSparse");

    private static final Set<String> DESCRIPTOR_NAMES = Collections.unmodifiableSet(new LinkedHashSet<>(
            Arrays.stream(values()).map(VmdkCreateType::descriptorName).toList()));

    private final String descriptorName;

    VmdkCreateType(String descriptorName) {
        this.descriptorName = descriptorName;
    }

    /**
     * The name as a descriptor states it ({@code createType="monolithicSparse"}).
     *
     * @return the case-sensitive descriptor name, e.g. {@code streamOptimized}
     */
    public String descriptorName() {
        return descriptorName;
    }

    /**
     * Every known descriptor name, in the order of this enum.
     *
     * @return the descriptor names, unmodifiable
     */
    public static Set<String> descriptorNames() {
        return DESCRIPTOR_NAMES;
    }

    /**
     * The type a descriptor names by exactly {@code name} (case-sensitive), if it is a known one.
     *
     * @param name a createType as a descriptor or policy states it; may be null
     * @return the type with exactly that descriptor name, or empty if there is none
     */
    public static Optional<VmdkCreateType> fromDescriptorName(String name) {
        return Arrays.stream(values()).filter(type -> type.descriptorName.equals(name)).findFirst();
    }

    /** The known type whose name equals {@code name} ignoring case: a hint for a miscapitalised name. */
    static Optional<VmdkCreateType> ignoringCase(String name) {
        return Arrays.stream(values()).filter(type -> type.descriptorName.equalsIgnoreCase(name)).findFirst();
    }
}
