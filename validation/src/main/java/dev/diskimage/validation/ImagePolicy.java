package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * What a deployment accepts. Every field defaults to the safe choice, and each {@code with...}
 * method returns a changed copy, so a policy can be shared between threads and validators.
 *
 * @param allowedFormats        formats an image may have; anything else is refused
 * @param vmdkAllowedTypes      VMDK createTypes allowed (Cinder's {@code vmdk_allowed_types})
 * @param allowBackingFiles     whether backing files and parent disks may be referenced; data
 *                              files and foreign VMDK extents are refused regardless
 * @param maxVirtualSize        the largest guest-visible size accepted, in bytes
 * @param minVirtualSize        the smallest guest-visible size accepted, in bytes; 0 accepts an
 *                              empty file as a raw image of size 0 (with a warning), as qemu does
 * @param qemuCrossCheck        whether an accepted image is also read by {@code qemu-img info}
 *                              (under process limits) and its answer compared
 * @param readBudget            the most bytes inspection may read from one image; a dynamic VHD's
 *                              whole block allocation table is read, so VHDs above about 500 GiB
 *                              with 2 MiB blocks need more than the 1 MiB default (4 MB of table
 *                              for the 2040 GiB maximum)
 */
public record ImagePolicy(Set<DiskFormat> allowedFormats, Set<String> vmdkAllowedTypes, boolean allowBackingFiles,
        long maxVirtualSize, long minVirtualSize, boolean qemuCrossCheck, long readBudget) {

    /** Default VMDK allowlist, as Cinder's {@code vmdk_allowed_types}: the single-file sparse types. */
    public static final Set<String> DEFAULT_VMDK_TYPES = Set.of("monolithicSparse", "streamOptimized");

    /**
     * Default ceiling for virtual sizes: 1 PiB. Far beyond any real volume, yet low enough that
     * sizes which only a crafted header would state are refused.
     */
    public static final long DEFAULT_MAX_VIRTUAL_SIZE = 1L << 50;

    /** Default read budget per image: 1 MiB, whatever the image's size. */
    public static final long DEFAULT_READ_BUDGET = 1L << 20;

    public ImagePolicy {
        Objects.requireNonNull(allowedFormats, "allowedFormats");
        Objects.requireNonNull(vmdkAllowedTypes, "vmdkAllowedTypes");
        allowedFormats = allowedFormats.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(allowedFormats));
        vmdkAllowedTypes = Set.copyOf(vmdkAllowedTypes);
        // Messages name the policy-file keys: that is the vocabulary users configure policies in.
        if (maxVirtualSize < 0) {
            throw new IllegalArgumentException("max_virtual_size must not be negative: " + maxVirtualSize);
        }
        if (minVirtualSize < 0 || minVirtualSize > maxVirtualSize) {
            throw new IllegalArgumentException("min_virtual_size must be between 0 and max_virtual_size ("
                    + maxVirtualSize + "): " + minVirtualSize);
        }
        if (readBudget < FileImageBytes.BLOCK) {
            throw new IllegalArgumentException("read_budget must be at least " + FileImageBytes.BLOCK + " bytes: "
                    + readBudget);
        }
    }

    /**
     * The safe defaults: every known format, VMDK only as monolithicSparse or streamOptimized,
     * no backing files, at most 1 PiB virtual size (no minimum), no qemu-img cross-check, 1 MiB
     * read budget.
     */
    public static ImagePolicy defaults() {
        return new ImagePolicy(EnumSet.allOf(DiskFormat.class), DEFAULT_VMDK_TYPES, false, DEFAULT_MAX_VIRTUAL_SIZE,
                0, false, DEFAULT_READ_BUDGET);
    }

    /** A copy that accepts only {@code formats}. */
    public ImagePolicy withAllowedFormats(Set<DiskFormat> formats) {
        return new ImagePolicy(formats, vmdkAllowedTypes, allowBackingFiles, maxVirtualSize, minVirtualSize,
                qemuCrossCheck, readBudget);
    }

    /** A copy with another VMDK createType allowlist. */
    public ImagePolicy withVmdkAllowedTypes(Set<String> types) {
        return new ImagePolicy(allowedFormats, types, allowBackingFiles, maxVirtualSize, minVirtualSize,
                qemuCrossCheck, readBudget);
    }

    /** A copy that allows (or refuses) backing files and parent disks. */
    public ImagePolicy withAllowBackingFiles(boolean allow) {
        return new ImagePolicy(allowedFormats, vmdkAllowedTypes, allow, maxVirtualSize, minVirtualSize,
                qemuCrossCheck, readBudget);
    }

    /** A copy with another virtual size ceiling in bytes. */
    public ImagePolicy withMaxVirtualSize(long bytes) {
        return new ImagePolicy(allowedFormats, vmdkAllowedTypes, allowBackingFiles, bytes, minVirtualSize,
                qemuCrossCheck, readBudget);
    }

    /** A copy with another virtual size floor in bytes (1 refuses empty images). */
    public ImagePolicy withMinVirtualSize(long bytes) {
        return new ImagePolicy(allowedFormats, vmdkAllowedTypes, allowBackingFiles, maxVirtualSize, bytes,
                qemuCrossCheck, readBudget);
    }

    /** A copy that does (or does not) cross-check accepted images with {@code qemu-img info}. */
    public ImagePolicy withQemuCrossCheck(boolean enabled) {
        return new ImagePolicy(allowedFormats, vmdkAllowedTypes, allowBackingFiles, maxVirtualSize, minVirtualSize,
                enabled, readBudget);
    }

    /** A copy with another per-image read budget in bytes. */
    public ImagePolicy withReadBudget(long bytes) {
        return new ImagePolicy(allowedFormats, vmdkAllowedTypes, allowBackingFiles, maxVirtualSize, minVirtualSize,
                qemuCrossCheck, bytes);
    }
}
