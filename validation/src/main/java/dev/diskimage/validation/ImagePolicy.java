package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.UntrustedText;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a deployment accepts. Every field defaults to the safe choice. Policies are immutable and
 * can be shared between threads and validators; change one through {@link #builder()},
 * {@link #toBuilder()} or the {@code with...} copy methods, so that a new field never breaks a
 * caller.
 *
 * <p>Every value is checked when a policy is built; messages name the policy-file keys
 * ({@code max_virtual_size}, ...), the vocabulary users configure policies in.
 */
public final class ImagePolicy {

    /** Default VMDK allowlist, as Cinder's {@code vmdk_allowed_types}: the single-file sparse types. */
    public static final Set<String> DEFAULT_VMDK_TYPES = Set.of(VmdkCreateType.MONOLITHIC_SPARSE.descriptorName(),
            VmdkCreateType.STREAM_OPTIMIZED.descriptorName());

    /**
     * Default ceiling for virtual sizes: 1 PiB. Far beyond any real volume, yet low enough that
     * sizes which only a crafted header would state are refused.
     */
    public static final long DEFAULT_MAX_VIRTUAL_SIZE = 1L << 50;

    /** Default read budget per image: 1 MiB, whatever the image's size. */
    public static final long DEFAULT_READ_BUDGET = 1L << 20;

    private static final ImagePolicy DEFAULTS = new Builder().build();

    private final Set<DiskFormat> allowedFormats;
    private final Set<String> vmdkAllowedTypes;
    private final boolean allowBackingFiles;
    private final long maxVirtualSize;
    private final long minVirtualSize;
    private final boolean qemuCrossCheck;
    private final long readBudget;

    private ImagePolicy(Builder builder) {
        this.allowedFormats = builder.allowedFormats;
        this.vmdkAllowedTypes = builder.vmdkAllowedTypes;
        this.allowBackingFiles = builder.allowBackingFiles;
        this.maxVirtualSize = builder.maxVirtualSize;
        this.minVirtualSize = builder.minVirtualSize;
        this.qemuCrossCheck = builder.qemuCrossCheck;
        this.readBudget = builder.readBudget;
    }

    /**
     * The safe defaults: every known format, VMDK only as monolithicSparse or streamOptimized,
     * no backing files, at most 1 PiB virtual size (no minimum), no qemu-img cross-check, 1 MiB
     * read budget.
     *
     * @return the shared default policy
     */
    public static ImagePolicy defaults() {
        return DEFAULTS;
    }

    /**
     * A builder starting from {@link #defaults()}.
     *
     * @return a new builder holding the default values
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder starting from this policy's values.
     *
     * @return a new builder holding this policy's values; this policy does not change
     */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Formats an image may have; anything else is refused.
     *
     * @return the allowed formats, unmodifiable; empty if every image is refused
     */
    public Set<DiskFormat> allowedFormats() {
        return allowedFormats;
    }

    /**
     * VMDK createTypes allowed (Cinder's {@code vmdk_allowed_types}); each a {@link VmdkCreateType} name.
     *
     * @return the allowed descriptor names (case-sensitive, e.g. {@code monolithicSparse}),
     *     unmodifiable; empty if every VMDK is refused
     */
    public Set<String> vmdkAllowedTypes() {
        return vmdkAllowedTypes;
    }

    /**
     * Whether backing files and parent disks may be referenced; data files and foreign VMDK
     * extents are refused regardless.
     *
     * @return true if images may name a backing file or parent disk; false (the default) if
     *     such images are refused
     */
    public boolean allowBackingFiles() {
        return allowBackingFiles;
    }

    /**
     * The largest guest-visible size accepted, in bytes.
     *
     * @return the ceiling in bytes, {@link #DEFAULT_MAX_VIRTUAL_SIZE} unless set
     */
    public long maxVirtualSize() {
        return maxVirtualSize;
    }

    /**
     * The smallest guest-visible size accepted, in bytes; 0 accepts an empty file as a raw image
     * of size 0 (with a warning), as qemu does.
     *
     * @return the floor in bytes, 0 unless set
     */
    public long minVirtualSize() {
        return minVirtualSize;
    }

    /**
     * Whether an accepted image is also read by {@code qemu-img info} (under process limits) and
     * its answer compared.
     *
     * @return true if the cross-check runs; false (the default) if only this project's own
     *     inspection decides
     */
    public boolean qemuCrossCheck() {
        return qemuCrossCheck;
    }

    /**
     * The most bytes inspection may read from one image. A dynamic VHD's whole block allocation
     * table is read, so VHDs above about 500 GiB with 2 MiB blocks need more than the 1 MiB
     * default (4 MB of table for the 2040 GiB maximum).
     *
     * @return the budget in bytes, {@link #DEFAULT_READ_BUDGET} unless set
     */
    public long readBudget() {
        return readBudget;
    }

    /**
     * A copy that accepts only {@code formats}.
     *
     * @param formats the formats to accept; an empty set refuses every image
     * @return a copy of this policy with that format allowlist
     * @throws NullPointerException when {@code formats} or one of its elements is null
     */
    public ImagePolicy withAllowedFormats(Set<DiskFormat> formats) {
        return toBuilder().allowedFormats(formats).build();
    }

    /**
     * A copy with another VMDK createType allowlist.
     *
     * @param types the createTypes to accept, as descriptors name them (case-sensitive, e.g.
     *     {@code streamOptimized}); an empty set refuses every VMDK
     * @return a copy of this policy with that VMDK allowlist
     * @throws NullPointerException when {@code types} or one of its elements is null
     * @throws IllegalArgumentException when a type is not a {@link VmdkCreateType} name
     */
    public ImagePolicy withVmdkAllowedTypes(Set<String> types) {
        return toBuilder().vmdkAllowedTypes(types).build();
    }

    /**
     * A copy that allows (or refuses) backing files and parent disks.
     *
     * @param allow true to accept images that name a backing file or parent disk, false to
     *     refuse them
     * @return a copy of this policy with that setting
     */
    public ImagePolicy withAllowBackingFiles(boolean allow) {
        return toBuilder().allowBackingFiles(allow).build();
    }

    /**
     * A copy with another virtual size ceiling in bytes.
     *
     * @param bytes the largest virtual size to accept, in bytes; not below the minimum
     * @return a copy of this policy with that ceiling
     * @throws IllegalArgumentException when negative or below the minimum
     */
    public ImagePolicy withMaxVirtualSize(long bytes) {
        return toBuilder().maxVirtualSize(bytes).build();
    }

    /**
     * A copy with another virtual size floor in bytes (1 refuses empty images).
     *
     * @param bytes the smallest virtual size to accept, in bytes; 0 to the maximum
     * @return a copy of this policy with that floor
     * @throws IllegalArgumentException when negative or above the maximum
     */
    public ImagePolicy withMinVirtualSize(long bytes) {
        return toBuilder().minVirtualSize(bytes).build();
    }

    /**
     * A copy that does (or does not) cross-check accepted images with {@code qemu-img info}.
     *
     * @param enabled true to run the cross-check on every image the inspection accepts
     * @return a copy of this policy with that setting
     */
    public ImagePolicy withQemuCrossCheck(boolean enabled) {
        return toBuilder().qemuCrossCheck(enabled).build();
    }

    /**
     * A copy with another per-image read budget in bytes.
     *
     * @param bytes the most bytes inspection may read from one image; at least 4096
     * @return a copy of this policy with that budget
     * @throws IllegalArgumentException when below the smallest block inspection reads
     */
    public ImagePolicy withReadBudget(long bytes) {
        return toBuilder().readBudget(bytes).build();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ImagePolicy that
                && allowedFormats.equals(that.allowedFormats)
                && vmdkAllowedTypes.equals(that.vmdkAllowedTypes)
                && allowBackingFiles == that.allowBackingFiles
                && maxVirtualSize == that.maxVirtualSize
                && minVirtualSize == that.minVirtualSize
                && qemuCrossCheck == that.qemuCrossCheck
                && readBudget == that.readBudget;
    }

    @Override
    public int hashCode() {
        return Objects.hash(allowedFormats, vmdkAllowedTypes, allowBackingFiles, maxVirtualSize, minVirtualSize,
                qemuCrossCheck, readBudget);
    }

    @Override
    public String toString() {
        return "ImagePolicy[allowedFormats=" + EnumSet.copyOf(allowedFormats.isEmpty()
                ? EnumSet.noneOf(DiskFormat.class) : allowedFormats)
                + ", vmdkAllowedTypes=" + vmdkAllowedTypes.stream().sorted().toList()
                + ", allowBackingFiles=" + allowBackingFiles
                + ", maxVirtualSize=" + maxVirtualSize
                + ", minVirtualSize=" + minVirtualSize
                + ", qemuCrossCheck=" + qemuCrossCheck
                + ", readBudget=" + readBudget + "]";
    }

    /**
     * Collects policy values, starting from the defaults or from an existing policy. Setters only
     * record; {@link #build()} checks. Not thread-safe.
     */
    public static final class Builder {
        /** A createType is a short word; a longer entry is quoted only this far in an error. */
        private static final int MAX_QUOTED_TYPE_CHARS = 64;

        private Set<DiskFormat> allowedFormats = Set.copyOf(EnumSet.allOf(DiskFormat.class));
        private Set<String> vmdkAllowedTypes = DEFAULT_VMDK_TYPES;
        private boolean allowBackingFiles;
        private long maxVirtualSize = DEFAULT_MAX_VIRTUAL_SIZE;
        private long minVirtualSize;
        private boolean qemuCrossCheck;
        private long readBudget = DEFAULT_READ_BUDGET;

        private Builder() {
        }

        private Builder(ImagePolicy policy) {
            allowedFormats = policy.allowedFormats;
            vmdkAllowedTypes = policy.vmdkAllowedTypes;
            allowBackingFiles = policy.allowBackingFiles;
            maxVirtualSize = policy.maxVirtualSize;
            minVirtualSize = policy.minVirtualSize;
            qemuCrossCheck = policy.qemuCrossCheck;
            readBudget = policy.readBudget;
        }

        /**
         * Formats an image may have; anything else is refused. An empty set refuses every image.
         *
         * @param formats the formats to accept; copied
         * @return this builder
         * @throws NullPointerException when {@code formats} or one of its elements is null
         */
        public Builder allowedFormats(Set<DiskFormat> formats) {
            Objects.requireNonNull(formats, "allowedFormats");
            allowedFormats = formats.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(formats));
            return this;
        }

        /**
         * VMDK createTypes allowed; checked against {@link VmdkCreateType} by {@link #build()}.
         * An empty set refuses every VMDK.
         *
         * @param types the createTypes to accept, as descriptors name them (case-sensitive);
         *     copied
         * @return this builder
         * @throws NullPointerException when {@code types} or one of its elements is null
         */
        public Builder vmdkAllowedTypes(Set<String> types) {
            vmdkAllowedTypes = Set.copyOf(Objects.requireNonNull(types, "vmdkAllowedTypes"));
            return this;
        }

        /**
         * Whether backing files and parent disks may be referenced.
         *
         * @param allow true to accept images that name a backing file or parent disk
         * @return this builder
         */
        public Builder allowBackingFiles(boolean allow) {
            allowBackingFiles = allow;
            return this;
        }

        /**
         * The largest guest-visible size accepted, in bytes.
         *
         * @param bytes the ceiling in bytes; {@link #build()} refuses a negative one
         * @return this builder
         */
        public Builder maxVirtualSize(long bytes) {
            maxVirtualSize = bytes;
            return this;
        }

        /**
         * The smallest guest-visible size accepted, in bytes (1 refuses empty images).
         *
         * @param bytes the floor in bytes; {@link #build()} refuses one outside 0 to the maximum
         * @return this builder
         */
        public Builder minVirtualSize(long bytes) {
            minVirtualSize = bytes;
            return this;
        }

        /**
         * Whether accepted images are cross-checked with {@code qemu-img info}.
         *
         * @param enabled true to run the cross-check on every image the inspection accepts
         * @return this builder
         */
        public Builder qemuCrossCheck(boolean enabled) {
            qemuCrossCheck = enabled;
            return this;
        }

        /**
         * The most bytes inspection may read from one image.
         *
         * @param bytes the budget in bytes; {@link #build()} refuses one below 4096
         * @return this builder
         */
        public Builder readBudget(long bytes) {
            readBudget = bytes;
            return this;
        }

        /**
         * The policy, once every value is checked.
         *
         * @return an immutable policy with the values set so far
         * @throws IllegalArgumentException naming the policy-file key of the first bad value: a
         *         negative {@code max_virtual_size}, a {@code min_virtual_size} outside 0 to the
         *         maximum, a {@code read_budget} below the smallest block inspection reads, or a
         *         {@code vmdk_allowed_types} entry that is not a {@link VmdkCreateType} name
         */
        public ImagePolicy build() {
            if (maxVirtualSize < 0) {
                throw new IllegalArgumentException("max_virtual_size must not be negative: " + maxVirtualSize);
            }
            if (minVirtualSize < 0 || minVirtualSize > maxVirtualSize) {
                throw new IllegalArgumentException("min_virtual_size must be between 0 and max_virtual_size ("
                        + maxVirtualSize + "): " + minVirtualSize);
            }
            if (readBudget < FileImageBytes.BLOCK) {
                throw new IllegalArgumentException("read_budget must be at least " + FileImageBytes.BLOCK
                        + " bytes: " + readBudget);
            }
            vmdkAllowedTypes.stream().sorted().filter(type -> VmdkCreateType.fromDescriptorName(type).isEmpty())
                    .findFirst().ifPresent(type -> {
                        throw unknownVmdkType(type);
                    });
            return new ImagePolicy(this);
        }

        private static IllegalArgumentException unknownVmdkType(String type) {
            Optional<VmdkCreateType> meant = VmdkCreateType.ignoringCase(type);
            String hint = meant.map(known -> " (createTypes are case-sensitive: did you mean '"
                    + known.descriptorName() + "'?)").orElse("");
            return new IllegalArgumentException("vmdk_allowed_types: '"
                    + UntrustedText.sanitize(type, MAX_QUOTED_TYPE_CHARS) + "' is not a VMDK createType" + hint + "; valid createTypes: "
                    + String.join(", ", VmdkCreateType.descriptorNames()));
        }
    }
}
