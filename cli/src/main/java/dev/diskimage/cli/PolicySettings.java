package dev.diskimage.cli;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.validation.ImagePolicy;
import java.math.BigInteger;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The policy file's schema, bound by Jackson: each component is one key in snake_case, absent
 * keys are {@code null} and keep the policy's safe default. Keeping the schema a record means
 * the keys, their types and the documentation in {@link PolicyFile} cannot drift apart.
 *
 * @param allowedFormats    {@code allowed_formats}: qemu or Glance format names
 * @param vmdkAllowedTypes  {@code vmdk_allowed_types}: VMDK createTypes
 * @param allowBackingFiles {@code allow_backing_files}
 * @param maxVirtualSize    {@code max_virtual_size}: bytes or a size string
 * @param minVirtualSize    {@code min_virtual_size}: bytes or a size string
 * @param qemuCrossCheck    {@code qemu_cross_check}
 * @param readBudget        {@code read_budget}: bytes or a size string
 */
record PolicySettings(List<String> allowedFormats, List<String> vmdkAllowedTypes, Boolean allowBackingFiles,
        Size maxVirtualSize, Size minVirtualSize, Boolean qemuCrossCheck, Size readBudget) {

    /** The keys of the file, in the order the documentation lists them. */
    static final List<String> KEYS = List.of("allowed_formats", "vmdk_allowed_types", "allow_backing_files",
            "max_virtual_size", "min_virtual_size", "qemu_cross_check", "read_budget");

    /** A size given as a non-negative number of bytes or as a string like {@code "1TiB"}. */
    record Size(long bytes) {
        /** What a size key must hold, for error messages. */
        static final String EXPECTED = "a non-negative number of bytes or a size like \"1TiB\"";

        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        static Size of(Object value) {
            if (value instanceof String text) {
                return new Size(SizeParser.parse(text));
            }
            if (value instanceof Integer || value instanceof Long || value instanceof BigInteger) {
                BigInteger number = new BigInteger(value.toString());
                if (number.signum() >= 0 && number.bitLength() < Long.SIZE) {
                    return new Size(number.longValue());
                }
            }
            throw new IllegalArgumentException("must be " + EXPECTED);
        }
    }

    /** The defaults with every key of the file applied on top. */
    ImagePolicy apply(ImagePolicy defaults) {
        ImagePolicy policy = defaults;
        if (allowedFormats != null) {
            Set<DiskFormat> formats = EnumSet.noneOf(DiskFormat.class);
            for (String name : allowedFormats) {
                try {
                    formats.add(DiskFormat.fromName(name));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("'allowed_formats': " + e.getMessage(), e);
                }
            }
            policy = policy.withAllowedFormats(formats);
        }
        if (vmdkAllowedTypes != null) {
            policy = policy.withVmdkAllowedTypes(new LinkedHashSet<>(vmdkAllowedTypes));
        }
        if (allowBackingFiles != null) {
            policy = policy.withAllowBackingFiles(allowBackingFiles);
        }
        if (maxVirtualSize != null) {
            policy = policy.withMaxVirtualSize(maxVirtualSize.bytes());
        }
        if (minVirtualSize != null) {
            policy = policy.withMinVirtualSize(minVirtualSize.bytes());
        }
        if (qemuCrossCheck != null) {
            policy = policy.withQemuCrossCheck(qemuCrossCheck);
        }
        if (readBudget != null) {
            policy = policy.withReadBudget(readBudget.bytes());
        }
        return policy;
    }
}
