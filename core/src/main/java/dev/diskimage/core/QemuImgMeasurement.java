package dev.diskimage.core;

import java.util.OptionalLong;

/**
 * The answer of {@code qemu-img measure}: the space a conversion to the target format needs.
 *
 * @param required bytes needed for the data as allocated now
 * @param fullyAllocated bytes needed if every cluster were allocated
 * @param bitmaps bytes for persistent bitmaps, if qemu reports them
 */
public record QemuImgMeasurement(long required, long fullyAllocated, OptionalLong bitmaps) {
}
