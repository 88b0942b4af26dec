package dev.diskimage.conversion;

import dev.diskimage.core.CacheMode;
import dev.diskimage.core.DiskFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What a finished conversion made.
 *
 * @param target the converted image, at the path the request named
 * @param sourceFormat the source's format as the validator detected it (passed with {@code -f})
 * @param targetFormat the target's format, confirmed by validating the output
 * @param virtualSize the source's virtual size in bytes
 * @param targetCacheMode the cache mode qemu-img wrote the target with ({@code none} or
 *     {@code writeback} after a fallback)
 * @param writtenInPlace true when the target was written where it is (a block device or an
 *     existing target), false when it was written beside it and renamed into place
 * @param duration how long qemu-img ran (the last run, after a cache fallback)
 * @param command the qemu-img command line that produced the target
 */
public record ConversionResult(Path target, DiskFormat sourceFormat, DiskFormat targetFormat, long virtualSize,
        CacheMode targetCacheMode, boolean writtenInPlace, Duration duration, List<String> command) {
    /**
     * Checks and copies the parts.
     *
     * @throws NullPointerException if a part is null
     */
    public ConversionResult {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(sourceFormat, "sourceFormat");
        Objects.requireNonNull(targetFormat, "targetFormat");
        Objects.requireNonNull(targetCacheMode, "targetCacheMode");
        Objects.requireNonNull(duration, "duration");
        command = List.copyOf(command);
    }
}
