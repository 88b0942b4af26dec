package dev.diskimage.core;

import com.google.common.math.LongMath;
import java.io.IOException;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Checks that an image fits before work starts: into the free space of the file system that
 * will hold a download or conversion, and into the volume it is written to. Cinder's
 * {@code check_available_space} and {@code check_virtual_size}.
 *
 * <p>Why check first: a conversion that runs out of space fails late, after minutes of I/O,
 * and leaves a partial file behind; an image whose virtual size exceeds the volume cannot be
 * made usable by any resize. Both are cheaper to refuse up front with a message that names the
 * numbers.
 */
public final class SpaceCheck {

    /** One gibibyte: volume sizes are whole GiB, as in Cinder ({@code units.Gi}). */
    public static final long GIB = 1L << 30;

    /** What Linux's strerror(ENOSPC) says. */
    private static final String NO_SPACE_LEFT = "No space left on device";

    private SpaceCheck() {
    }

    /**
     * Checks that the file system holding {@code dest} has at least {@code sizeBytes} bytes
     * available to this process. {@code dest} need not exist yet: the nearest existing parent
     * decides which file system is asked (Cinder looks only at the parent of a non-directory).
     * Available space is what an unprivileged writer may use (the file system's reserved blocks
     * excluded), as Cinder's {@code shutil.disk_usage().free} reports.
     *
     * <p>Cinder refuses when the free space is exactly the size; here exactly enough is enough.
     *
     * @param dest      the file or directory that will receive the image
     * @param sizeBytes the bytes the image will take there
     * @param imageId   the image, named in the error
     * @throws IllegalArgumentException if {@code sizeBytes} is negative
     * @throws NotEnoughSpaceException  if less than {@code sizeBytes} bytes are available; it
     *                                  carries and names the image, the place, its mount point,
     *                                  needed and available
     * @throws ImageIoException         if the file system cannot be asked
     */
    public static void checkAvailableSpace(Path dest, long sizeBytes, String imageId) {
        checkAvailableSpace(dest, sizeBytes, 0, imageId);
    }

    /**
     * Like {@link #checkAvailableSpace(Path, long, String)}, but also keeps {@code reserveBytes}
     * free after the image is written (room for logs, a second file of the same job, the
     * metadata the file system needs). A total beyond what a long counts is refused as not
     * enough space, never wrapped into a negative need.
     *
     * @param dest         the file or directory that will receive the image
     * @param sizeBytes    the bytes the image will take there
     * @param reserveBytes the bytes that must stay free besides
     * @param imageId      the image, named in the error
     * @throws IllegalArgumentException if a size is negative
     * @throws NotEnoughSpaceException  if less than {@code sizeBytes + reserveBytes} are available
     * @throws ImageIoException         if the file system cannot be asked
     */
    public static void checkAvailableSpace(Path dest, long sizeBytes, long reserveBytes, String imageId) {
        checkAvailableSpace(dest, sizeBytes, reserveBytes, imageId, FileSystemSpace.SYSTEM);
    }

    /** The check, asking {@code space} instead of the real file systems. */
    static void checkAvailableSpace(Path dest, long sizeBytes, long reserveBytes, String imageId,
            FileSystemSpace space) {
        Objects.requireNonNull(dest, "dest");
        Objects.requireNonNull(imageId, "imageId");
        requireNonNegative(sizeBytes, "size");
        requireNonNegative(reserveBytes, "reserve");
        Path place = nearestExisting(dest);
        FileSystemSpace.Usage usage;
        try {
            usage = space.usageOf(place);
        } catch (IOException e) {
            throw new ImageIoException("cannot determine the free space for image " + imageId + " at", place, e);
        }
        long needed;
        try {
            needed = LongMath.checkedAdd(sizeBytes, reserveBytes);
        } catch (ArithmeticException overflow) {
            throw new NotEnoughSpaceException(imageId, dest, usage.mountPoint(), Long.MAX_VALUE, usage.usableBytes());
        }
        if (usage.usableBytes() < needed) {
            throw new NotEnoughSpaceException(imageId, dest, usage.mountPoint(), needed, usage.usableBytes());
        }
    }

    /**
     * The error for a write that ran out of space at {@code dest} (a conversion that failed with
     * ENOSPC): it names the file system's mount point and what is available now, so the caller
     * reports the place the user can free, not a qemu-img message.
     *
     * @param dest      the file or directory that was being written
     * @param neededBytes the bytes the write was expected to need
     * @param imageId   the image, named in the error
     * @return the error to throw; {@code dest}'s nearest existing parent decides the file system
     * @throws ImageIoException if the file system cannot be asked
     */
    public static NotEnoughSpaceException outOfSpace(Path dest, long neededBytes, String imageId) {
        Path place = nearestExisting(dest);
        try {
            FileSystemSpace.Usage usage = FileSystemSpace.SYSTEM.usageOf(place);
            return new NotEnoughSpaceException(imageId, dest, usage.mountPoint(), neededBytes, usage.usableBytes());
        } catch (IOException e) {
            throw new ImageIoException("cannot determine the free space for image " + imageId + " at", place, e);
        }
    }

    /**
     * Whether a failed write ran out of space (ENOSPC), for the writers that turn it into
     * {@link #outOfSpace}: the JDK puts Linux's {@code strerror(ENOSPC)} in the message.
     *
     * @param error the write's error
     * @return true when the file system was full
     */
    public static boolean isOutOfSpace(IOException error) {
        String message = error.getMessage();
        return message != null && message.contains(NO_SPACE_LEFT);
    }


    /**
     * Checks that an image of {@code virtualSizeBytes} fits into a volume of
     * {@code volumeSizeGiB}, rounding the virtual size up to whole GiB as volume sizes are whole
     * GiB (a byte over 1 GiB needs a 2 GiB volume).
     *
     * @param virtualSizeBytes the image's virtual size, as {@code qemu-img info} reports it
     * @param volumeSizeGiB    the size of the target volume in GiB
     * @param imageId          the image, named in the error
     * @return the virtual size rounded up to whole GiB
     * @throws IllegalArgumentException if a size is negative
     * @throws ImageTooBigException     if the rounded virtual size exceeds the volume size; it
     *                                  carries the image, the virtual size and the volume size
     *                                  in bytes, and the message names them (Cinder raises
     *                                  {@code ImageUnacceptable} here)
     */
    public static long checkVirtualSize(long virtualSizeBytes, long volumeSizeGiB, String imageId) {
        Objects.requireNonNull(imageId, "imageId");
        requireNonNegative(virtualSizeBytes, "virtual size");
        requireNonNegative(volumeSizeGiB, "volume size");
        long virtualSizeGiB = ceilGiB(virtualSizeBytes);
        if (virtualSizeGiB > volumeSizeGiB) {
            // No overflow: the rounded size is at most Long.MAX_VALUE / GIB + 1, so a smaller
            // volume size times GIB still fits a long.
            throw new ImageTooBigException(imageId, virtualSizeBytes, LongMath.checkedMultiply(volumeSizeGiB, GIB),
                    String.format(Locale.ROOT,
                            "image %s has a virtual size of %d GiB (%d bytes) and does not fit in a volume of %d GiB",
                            imageId, virtualSizeGiB, virtualSizeBytes, volumeSizeGiB));
        }
        return virtualSizeGiB;
    }

    /** {@code bytes} in GiB, rounded up, without overflow. */
    static long ceilGiB(long bytes) {
        return LongMath.divide(bytes, GIB, RoundingMode.CEILING);
    }

    private static Path nearestExisting(Path dest) {
        Path candidate = dest.toAbsolutePath();
        while (candidate != null && !Files.exists(candidate)) {
            candidate = candidate.getParent();
        }
        // An absolute path always ends at the root, which exists; the fallback is for a root
        // that has vanished (a detached mount), where asking the root itself gives a clear error.
        return candidate != null ? candidate : dest.toAbsolutePath().getRoot();
    }

    private static void requireNonNegative(long value, String what) {
        if (value < 0) {
            throw new IllegalArgumentException(what + " must not be negative: " + value);
        }
    }
}
