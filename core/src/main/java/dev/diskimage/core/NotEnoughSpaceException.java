package dev.diskimage.core;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * The destination file system lacks the free space an image needs. Carries the numbers, so a
 * caller can report or retry elsewhere without parsing the message, which names them too.
 */
public class NotEnoughSpaceException extends ImageException {
    private static final long serialVersionUID = 1L;

    /** The image that does not fit, as named in the message. */
    private final String image;
    private final transient Path path;
    private final transient Path mountPoint;
    /** Bytes needed; {@link Long#MAX_VALUE} when the need overflowed. */
    private final long needed;
    /** Bytes available to this process. */
    private final long available;

    /**
     * Creates the error; the message names the image, the destination, its file system and both
     * sizes.
     *
     * @param image the image that does not fit
     * @param path the destination that was checked
     * @param mountPoint where the file system holding {@code path} is mounted
     * @param needed bytes needed ({@link Long#MAX_VALUE} when the need itself overflowed)
     * @param available bytes available to this process
     */
    public NotEnoughSpaceException(String image, Path path, Path mountPoint, long needed, long available) {
        super(String.format(Locale.ROOT,
                "not enough space at %s (file system mounted on %s) for image %s: %s bytes needed, %d bytes available",
                path, mountPoint, image, needed == Long.MAX_VALUE ? "at least " + needed : Long.toString(needed),
                available));
        this.image = Objects.requireNonNull(image, "image");
        this.path = Objects.requireNonNull(path, "path");
        this.mountPoint = Objects.requireNonNull(mountPoint, "mountPoint");
        this.needed = needed;
        this.available = available;
    }

    /**
     * The image that does not fit.
     *
     * @return the image as named by the caller, e.g. its id
     */
    public String image() {
        return image;
    }

    /**
     * The destination that was checked.
     *
     * @return the destination path; null after deserialization (paths are not serialized)
     */
    public Path path() {
        return path;
    }

    /**
     * Where the file system holding {@link #path()} is mounted.
     *
     * @return the mount point; null after deserialization (paths are not serialized)
     */
    public Path mountPoint() {
        return mountPoint;
    }

    /**
     * Bytes needed; {@link Long#MAX_VALUE} when the need exceeded what a long can count.
     *
     * @return the bytes the image needs at the destination
     */
    public long needed() {
        return needed;
    }

    /**
     * Bytes available to this process on that file system.
     *
     * @return the usable bytes on the file system when it was checked
     */
    public long available() {
        return available;
    }
}
